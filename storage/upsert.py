"""``INSERT … ON CONFLICT``, built with the construct of the session's dialect.

SQLite and PostgreSQL spell the upsert the same way, and both decide a conflict atomically
inside the one statement, so two writers of one key never both insert and never fail on the
unique constraint. Both constructs share the API used here (``on_conflict_do_nothing``,
``on_conflict_do_update(index_elements=…, set_=…, where=…)`` and ``excluded``).
"""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import StorageError
from storage.engine import dialect_name

Upsert: TypeAlias = postgresql.Insert | sqlite.Insert


def upsert_into(*, session: AsyncSession, entity: Any) -> Upsert:
    """An ``INSERT`` into ``entity`` (a table class) that can take an ``ON CONFLICT`` clause."""
    name = dialect_name(session)
    if name == "postgresql":
        return postgresql.insert(entity)
    if name == "sqlite":
        return sqlite.insert(entity)
    raise StorageError(f"the {name} database is not supported: use SQLite or PostgreSQL")
