"""On PostgreSQL, ``run`` refuses pending migrations and ``db upgrade`` applies them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from tests.processes import running_server, stationmaster


@pytest.mark.parametrize("db_backend", ["postgresql"])
async def test_run_refuses_pending_migrations_until_db_upgrade(
    empty_db_url: str, tmp_path: Path
) -> None:
    plain = empty_db_url.replace("postgresql+asyncpg://", "postgresql://")
    env = {"STATIONMASTER_DATABASE_URL": plain}
    refused = await asyncio.to_thread(stationmaster, "run", "--port", "0", env=env, cwd=tmp_path)
    assert refused.returncode == 1
    last = refused.stderr.strip().splitlines()[-1]
    assert last.startswith("stationmaster: ")
    assert "run `stationmaster db upgrade`" in last
    assert "Traceback" not in refused.stderr

    upgraded = await asyncio.to_thread(stationmaster, "db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr

    async with (
        running_server(env=env, cwd=tmp_path) as server,
        aiohttp.ClientSession() as session,
        session.get(f"{server.url}/readyz") as response,
    ):
        assert response.status == 200
