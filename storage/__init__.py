"""Storage adapter: SQLModel tables, the async engine, repositories and alembic migrations.

- :mod:`storage.engine`: ``create_engine``, ``session_factory``, ``ping``, ``dialect_name``.
- :mod:`storage.migrate`: ``upgrade``, ``ensure_schema``, ``pending_migrations`` and friends;
  the scripts live in ``storage/migrations`` and ship as package data.
- :mod:`storage.base` and :mod:`storage.models`: the declarative base and the tables.
- Repositories, one module each: :mod:`storage.audit`, :mod:`storage.idempotency`,
  :mod:`storage.slack_refs`, :mod:`storage.releases` (with compare-and-set),
  :mod:`storage.trains` and :mod:`storage.milestones`. They take an ``AsyncSession`` and never
  commit: the caller owns the transaction, so a change and its audit event commit together.
- :mod:`storage.locks`: the scheduler's leader lock (a PostgreSQL advisory lock).

Storage never imports Slack, aiohttp or the services.
"""
