"""How a simulated method fails: the error Slack would name, plus what comes with it.

::

    ApiError            {"ok": false, "error": ...} with HTTP 200, or 429 for ``ratelimited``
    SimulatorError      a test or the console asked the simulator for something impossible
    └── AckTimeout      the bot did not acknowledge within Slack's 3 seconds
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Web API error. ``extra`` keys join the JSON body (``errors``, ``response_metadata``)."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}


def with_messages(error: str, messages: list[str], *, errors_key: bool = True) -> ApiError:
    """An error that lists its details the way Slack does for Block Kit and argument problems."""
    extra: dict[str, Any] = {"response_metadata": {"messages": [f"[ERROR] {m}" for m in messages]}}
    if errors_key:
        extra["errors"] = list(messages)
    return ApiError(error, extra=extra)


class SimulatorError(Exception):
    """The simulator was asked for something that cannot happen in Slack (e.g. clicking a
    button that is not on the message). The message says what was wrong."""


class AckTimeout(SimulatorError, TimeoutError):
    """The bot did not answer a request within Slack's acknowledgement window."""
