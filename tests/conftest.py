"""Suite-wide fixtures: every database test can run on SQLite and on PostgreSQL."""

pytest_plugins = ["tests.storage.fixtures"]
