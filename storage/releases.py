"""Releases: create them, find them, and change them only by compare-and-set.

A release is unique on ``(train, version)``. :func:`create_release` is one atomic
``INSERT … ON CONFLICT DO NOTHING``: a duplicate raises :class:`~bot.errors.Conflict` without an
error inside the database, so the caller's transaction stays usable (no savepoint is needed,
and none is used: on SQLite a savepoint opened outside a transaction would commit on release).

Every later change is a compare-and-set, one statement of the shape
``UPDATE releases SET …, row_version = row_version + 1 WHERE id = ? AND state = ? AND
row_version = ?``. It returns ``True`` when it changed the row and ``False`` when someone else
changed it first (or it does not exist); the caller reads the row again to tell the person what
happened. Two writers of one row never both win, on either backend.

Reads always refresh the session's copy of a row (``populate_existing``), so a session that
lost a compare-and-set and reads again sees the winner's change, not its own stale copy.
States are plain strings: their rules live in ``bot.domain.release``.

Repositories never commit: the caller owns the transaction, so a state change and its audit
event commit together.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.errors import Conflict
from storage.base import FRESH, FRESH_WRITE
from storage.models import ReleaseKind, ReleaseRow
from storage.types import to_utc
from storage.upsert import upsert_into

CHANGEABLE_FIELDS = frozenset({"commit_sha", "ref", "reason", "released_at"})
"""The columns a compare-and-set may change besides the state."""


async def create_release(
    *,
    session: AsyncSession,
    train: str,
    version: str,
    kind: str,
    state: str,
    cut_by: str,
    commit_sha: str | None = None,
    ref: str | None = None,
    base_version: str | None = None,
    reason: str | None = None,
    now: datetime,
) -> ReleaseRow:
    """Insert a release at ``row_version`` 1; :class:`Conflict` if ``train/version`` exists."""
    if kind not in set(ReleaseKind):
        raise ValueError(f"release kind must be one of train, hotfix; got {kind!r}")
    now = to_utc(now, name="now")
    insert = upsert_into(session=session, entity=ReleaseRow).values(
        train=train,
        version=version,
        kind=str(kind),
        state=str(state),
        commit_sha=commit_sha,
        ref=ref,
        base_version=base_version,
        reason=reason,
        cut_by=cut_by,
        row_version=1,
        created_at=now,
        updated_at=now,
        state_changed_at=now,
        released_at=None,
    )
    statement = insert.on_conflict_do_nothing(
        index_elements=[col(ReleaseRow.train), col(ReleaseRow.version)]
    ).returning(ReleaseRow)
    result = await session.exec(statement, execution_options=FRESH)
    created: ReleaseRow | None = result.scalars().first()
    if created is None:
        raise Conflict(f"release {train}/{version} already exists: a version is cut once per train")
    return created


async def get_release(*, session: AsyncSession, train: str, version: str) -> ReleaseRow | None:
    """The release ``train/version``, if any."""
    statement = (
        select(ReleaseRow)
        .where(col(ReleaseRow.train) == train)
        .where(col(ReleaseRow.version) == version)
    )
    return (await session.exec(statement, execution_options=FRESH)).first()


async def get_release_by_id(*, session: AsyncSession, release_id: int) -> ReleaseRow | None:
    """The release with this id, if any."""
    statement = select(ReleaseRow).where(col(ReleaseRow.id) == release_id)
    return (await session.exec(statement, execution_options=FRESH)).first()


async def find_by_version(*, session: AsyncSession, version: str) -> list[ReleaseRow]:
    """Every train's release called ``version``, by train name (two or more: "which one?")."""
    statement = (
        select(ReleaseRow).where(col(ReleaseRow.version) == version).order_by(col(ReleaseRow.train))
    )
    return list(await session.exec(statement, execution_options=FRESH))


async def find_by_commit(
    *, session: AsyncSession, sha: str, states: Collection[str] | None = None
) -> list[ReleaseRow]:
    """Releases cut at a commit whose sha starts with ``sha`` (lowercase hex), newest first."""
    statement = select(ReleaseRow).where(
        col(ReleaseRow.commit_sha).startswith(sha.lower(), autoescape=True)
    )
    if states is not None:
        statement = statement.where(col(ReleaseRow.state).in_(list(states)))
    return list(await session.exec(_newest_first(statement), execution_options=FRESH))


async def list_releases(
    *,
    session: AsyncSession,
    train: str | None = None,
    states: Collection[str] | None = None,
    kinds: Collection[str] | None = None,
    limit: int = 50,
) -> list[ReleaseRow]:
    """Releases newest first, at most ``limit``; ``None`` filters match everything."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    statement = _newest_first(_filtered(train=train, states=states, kinds=kinds)).limit(limit)
    return list(await session.exec(statement, execution_options=FRESH))


async def latest_release(
    *,
    session: AsyncSession,
    train: str,
    states: Collection[str] | None = None,
    kind: str | None = None,
) -> ReleaseRow | None:
    """The train's newest release, optionally only in ``states`` and of ``kind``."""
    kinds = None if kind is None else [kind]
    statement = _newest_first(_filtered(train=train, states=states, kinds=kinds)).limit(1)
    return (await session.exec(statement, execution_options=FRESH)).first()


async def previous_release(
    *, session: AsyncSession, release: ReleaseRow, states: Collection[str]
) -> ReleaseRow | None:
    """The newest release of ``release``'s train created before it, in ``states`` and with a
    commit: where its release notes start."""
    statement = (
        _newest_first(_filtered(train=release.train, states=states, kinds=None))
        .where(col(ReleaseRow.id) < release.id)
        .where(col(ReleaseRow.commit_sha).is_not(None))
        .limit(1)
    )
    return (await session.exec(statement, execution_options=FRESH)).first()


async def versions_of(*, session: AsyncSession, train: str) -> list[str]:
    """Every version the train has, in the order they were created (for the next version)."""
    statement = (
        select(ReleaseRow.version)
        .where(col(ReleaseRow.train) == train)
        .order_by(col(ReleaseRow.created_at), col(ReleaseRow.id))
    )
    return list(await session.exec(statement))


async def compare_and_set(
    *,
    session: AsyncSession,
    release_id: int,
    expected_state: str,
    expected_row_version: int,
    new_state: str,
    now: datetime,
    changes: Mapping[str, Any] | None = None,
) -> bool:
    """Move the release to ``new_state`` if it is still ``expected_state`` at that row version.

    Also sets ``changes`` (any of :data:`CHANGEABLE_FIELDS`, e.g. ``released_at``), stamps
    ``state_changed_at`` and ``updated_at`` with ``now`` and bumps ``row_version``. ``True``
    when exactly this row changed; ``False`` when another writer got there first.
    """
    now = to_utc(now, name="now")
    values = {**_checked(changes), "state": str(new_state), "state_changed_at": now}
    guard = col(ReleaseRow.state) == str(expected_state)
    return await _cas(
        session=session,
        release_id=release_id,
        expected_row_version=expected_row_version,
        guard=guard,
        values=values,
        now=now,
    )


async def update_fields_cas(
    *,
    session: AsyncSession,
    release_id: int,
    expected_row_version: int,
    changes: Mapping[str, Any],
    now: datetime,
) -> bool:
    """Set ``changes`` without a state change (e.g. record a commit), guarded by row version."""
    now = to_utc(now, name="now")
    values = _checked(changes)
    if not values:
        raise ValueError("update_fields_cas needs at least one change")
    return await _cas(
        session=session,
        release_id=release_id,
        expected_row_version=expected_row_version,
        guard=None,
        values=values,
        now=now,
    )


async def _cas(
    *,
    session: AsyncSession,
    release_id: int,
    expected_row_version: int,
    guard: ColumnElement[bool] | None,
    values: dict[str, Any],
    now: datetime,
) -> bool:
    statement = (
        update(ReleaseRow)
        .where(col(ReleaseRow.id) == release_id)
        .where(col(ReleaseRow.row_version) == expected_row_version)
        .values(**values, updated_at=now, row_version=col(ReleaseRow.row_version) + 1)
        .returning(ReleaseRow)
    )
    if guard is not None:
        statement = statement.where(guard)
    result = await session.exec(statement, execution_options=FRESH_WRITE)
    return result.scalars().first() is not None


def _checked(changes: Mapping[str, Any] | None) -> dict[str, Any]:
    values = dict(changes or {})
    unknown = sorted(set(values) - CHANGEABLE_FIELDS)
    if unknown:
        allowed = ", ".join(sorted(CHANGEABLE_FIELDS))
        raise ValueError(
            f"a compare-and-set cannot change {', '.join(unknown)}: it may change {allowed}"
        )
    if values.get("released_at") is not None:
        values["released_at"] = to_utc(values["released_at"], name="released_at")
    return values


def _filtered(
    *,
    train: str | None,
    states: Collection[str] | None,
    kinds: Collection[str] | None,
) -> SelectOfScalar[ReleaseRow]:
    statement = select(ReleaseRow)
    if train is not None:
        statement = statement.where(col(ReleaseRow.train) == train)
    if states is not None:
        statement = statement.where(col(ReleaseRow.state).in_([str(s) for s in states]))
    if kinds is not None:
        statement = statement.where(col(ReleaseRow.kind).in_([str(k) for k in kinds]))
    return statement


def _newest_first(statement: SelectOfScalar[ReleaseRow]) -> SelectOfScalar[ReleaseRow]:
    return statement.order_by(col(ReleaseRow.created_at).desc(), col(ReleaseRow.id).desc())
