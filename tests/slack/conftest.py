from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import Running, running_bot


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Running]:
    async with running_bot(tmp_path=tmp_path) as running:
        yield running
