"""The declarative base every Stationmaster table derives from.

Its own :class:`~sqlalchemy.MetaData` carries a naming convention, so indexes and constraints
get the same names on SQLite and PostgreSQL and a migration can refer to them by name. Define
new tables as ``class Thing(StorageModel, table=True)`` and import their module from
:mod:`storage.models`, which the migrations read as the target metadata.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class StorageModel(SQLModel, registry=registry(metadata=metadata)):
    """Base of every table; not itself a table."""


FRESH: dict[str, Any] = {"populate_existing": True}
"""Execution options for the repositories' reads: the database's row replaces the session's copy.

Sessions keep objects after commit, so without this a session that lost a compare-and-set and
reads the row again would get its own stale copy back, and retry with it forever.
"""

FRESH_WRITE: dict[str, Any] = {**FRESH, "synchronize_session": False}
"""For ``UPDATE … RETURNING`` the entity: the returned row refreshes the session's copy, and
nothing else is guessed in Python (which could wrongly apply a compare-and-set that lost)."""
