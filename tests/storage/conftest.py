"""The storage tests run every database test on SQLite and on PostgreSQL (see
``tests.storage.fixtures``, loaded suite-wide from ``tests/conftest.py``)."""
