"""The one exception tree of Stationmaster.

Every error a person may see derives from :class:`StationmasterError`. Its message says what
failed and what to do next; interfaces show it as is (an ephemeral Slack reply, one CLI line, an
HTTP 4xx reason). Anything else is unexpected: it is logged with a short id and the traceback,
and the user sees only the id.

::

    StationmasterError
    ├── ConfigError          the config file is invalid (carries the line and key path)
    ├── UsageError           a command's arguments are unusable (carries the usage line)
    │   ├── UnknownCommand   no such subcommand (carries a did-you-mean)
    │   └── ReportError      a CI report cannot be read (hostile, truncated, wrong format)
    ├── NotAllowed           the caller lacks a role, or the state forbids the action now
    ├── NotFound             a named thing (release, train, ref) does not exist
    ├── Conflict             someone else changed the thing first (compare-and-set lost)
    ├── StorageError         the database is unreachable or not migrated
    │   └── MigrationsPending
    └── IntegrationError     an outside system (Slack, CI, deploy target) failed
"""

from __future__ import annotations


class StationmasterError(Exception):
    """Base of every error whose message is meant for a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(StationmasterError):
    """An invalid config file. ``str()`` gives ``line N: key.path: reason``."""

    def __init__(self, reason: str, *, line: int | None = None, path: str = "") -> None:
        self.reason = reason
        self.line = line
        self.path = path
        where = f"line {line}: " if line is not None else ""
        key = f"{path}: " if path else ""
        super().__init__(f"{where}{key}{reason}")


class UsageError(StationmasterError):
    """Arguments that cannot be used; ``usage`` is the command's usage line."""

    def __init__(self, message: str, *, usage: str = "") -> None:
        super().__init__(message)
        self.usage = usage


class UnknownCommand(UsageError):
    """A subcommand that does not exist."""


class ReportError(UsageError):
    """A CI report that cannot be used: the message names the file and what is wrong with it.

    The webhook answers 422 with it, the CLI exits 2 with it.
    """


class NotAllowed(StationmasterError):
    """The caller may not do this, or the current state forbids it."""


class NotFound(StationmasterError):
    """A named thing does not exist."""


class Conflict(StationmasterError):
    """Another actor changed the thing first; the message says who and what."""


class StorageError(StationmasterError):
    """The database cannot be used."""


class MigrationsPending(StorageError):
    """The database schema is behind the code."""


class IntegrationError(StationmasterError):
    """An outside system failed; the message names it and what to try."""
