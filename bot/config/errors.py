"""Every problem found in one config file, in one exception.

:class:`ConfigErrors` is a :class:`bot.errors.ConfigError` whose ``str()`` is the first problem
(by line), so code that shows one line keeps working; ``errors`` holds them all for
``stationmaster check-config`` to print.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import ConfigError

__all__ = ["ConfigError", "ConfigErrors"]


class ConfigErrors(ConfigError):
    """All problems of one config file, once each, ordered by line; the first is the message."""

    def __init__(self, *, errors: Sequence[ConfigError], source: str = "<string>") -> None:
        if not errors:
            raise ValueError("ConfigErrors needs at least one error")
        unique: dict[str, ConfigError] = {}
        for error in errors:
            unique.setdefault(str(error), error)
        ordered = tuple(sorted(unique.values(), key=lambda e: 0 if e.line is None else e.line))
        first = ordered[0]
        super().__init__(first.reason, line=first.line, path=first.path)
        self.errors = ordered
        self.source = source

    def lines(self) -> list[str]:
        """One ``line N: key.path: reason`` line per problem."""
        return [str(error) for error in self.errors]
