"""Rows for the storage tests, with defaults a test overrides only where it matters."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ReleaseRow
from storage.releases import create_release

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def new_release(
    session: AsyncSession,
    *,
    train: str = "web",
    version: str = "2026.11.1",
    kind: str = "train",
    state: str = "planned",
    cut_by: str = "U0ALICE",
    now: datetime = T0,
) -> ReleaseRow:
    """A release created through the repository; returns it with its id."""
    release = await create_release(
        session=session,
        train=train,
        version=version,
        kind=kind,
        state=state,
        cut_by=cut_by,
        now=now,
    )
    assert release.id is not None
    return release
