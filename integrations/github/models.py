"""What the GitHub client returns: small frozen dataclasses, parsed from GitHub's JSON here.

Each ``parse_*`` function takes one decoded JSON value and raises ``KeyError``, ``TypeError`` or
``ValueError`` when GitHub's answer lacks what it documents; the client turns those into an
:class:`bot.errors.IntegrationError` naming the request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import httpx

from bot.errors import IntegrationError

T = TypeVar("T")

StatusState = Literal["error", "failure", "pending", "success"]
STATUS_STATES: tuple[StatusState, ...] = ("error", "failure", "pending", "success")


@dataclass(frozen=True)
class CommitStatus:
    """One status GitHub recorded on a commit (``POST /repos/{o}/{r}/statuses/{sha}``)."""

    id: int
    state: StatusState
    context: str
    description: str | None = None
    target_url: str | None = None


@dataclass(frozen=True)
class Commit:
    """One commit of a comparison; ``author_login`` is None when no GitHub account matches."""

    sha: str
    message: str
    author_name: str
    author_email: str
    author_login: str | None
    authored_at: datetime
    committed_at: datetime
    parents: tuple[str, ...]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def summary(self) -> str:
        """The first line of the message."""
        return self.message.split("\n", 1)[0]


@dataclass(frozen=True)
class PullRequest:
    """A pull request associated with a commit; ``merged_at`` is None while it is unmerged."""

    number: int
    title: str
    html_url: str
    user_login: str | None
    merged_at: datetime | None


def _str(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{key} is not a string")
    return value


def _int(value: Any, key: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{key} is not an integer")
    return value


def _optional_str(value: Any, key: str) -> str | None:
    return None if value is None else _str(value, key)


def _login(account: Any) -> str | None:
    """An account object's login; GitHub sends ``null`` for unknown or deleted accounts."""
    return None if account is None else _str(account["login"], "login")


def parse_time(value: Any, key: str) -> datetime:
    """GitHub's ISO 8601 timestamps (``2024-05-01T12:00:00Z``) as aware UTC datetimes."""
    moment = datetime.fromisoformat(_str(value, key))
    if moment.tzinfo is None:
        raise ValueError(f"{key} has no timezone")
    return moment.astimezone(UTC)


def parse_status(data: Any) -> CommitStatus:
    state = _str(data["state"], "state")
    if state not in STATUS_STATES:
        raise ValueError(f"state {state!r} is not one GitHub documents")
    return CommitStatus(
        id=_int(data["id"], "id"),
        state=state,
        context=_str(data["context"], "context"),
        description=_optional_str(data.get("description"), "description"),
        target_url=_optional_str(data.get("target_url"), "target_url"),
    )


def parse_commit(data: Any) -> Commit:
    git = data["commit"]
    author = git["author"]
    return Commit(
        sha=_str(data["sha"], "sha"),
        message=_str(git["message"], "commit.message"),
        author_name=_str(author["name"], "commit.author.name"),
        author_email=_str(author["email"], "commit.author.email"),
        author_login=_login(data.get("author")),
        authored_at=parse_time(author["date"], "commit.author.date"),
        committed_at=parse_time(git["committer"]["date"], "commit.committer.date"),
        parents=tuple(_str(parent["sha"], "parents.sha") for parent in data["parents"]),
    )


def parse_pull(data: Any) -> PullRequest:
    merged_at = data.get("merged_at")
    return PullRequest(
        number=_int(data["number"], "number"),
        title=_str(data["title"], "title"),
        html_url=_str(data["html_url"], "html_url"),
        user_login=_login(data.get("user")),
        merged_at=None if merged_at is None else parse_time(merged_at, "merged_at"),
    )


def parse_compare_page(data: Any) -> list[Commit]:
    """The ``commits`` of one page of ``GET /repos/{o}/{r}/compare/{base}...{head}``."""
    return [parse_commit(item) for item in data["commits"]]


def parse_commit_list(data: Any) -> list[Commit]:
    """One page of ``GET /repos/{o}/{r}/commits``."""
    if not isinstance(data, list):
        raise TypeError("expected a list of commits")
    return [parse_commit(item) for item in data]


def parse_pulls(data: Any) -> list[PullRequest]:
    """One page of ``GET /repos/{o}/{r}/commits/{sha}/pulls``."""
    if not isinstance(data, list):
        raise TypeError("expected a list of pull requests")
    return [parse_pull(item) for item in data]


def parse_branch_sha(data: Any) -> str:
    """The tip of ``GET /repos/{o}/{r}/branches/{branch}``."""
    return _str(data["commit"]["sha"], "commit.sha")


def timestamp(moment: datetime) -> str:
    """An aware datetime as GitHub's ISO 8601 ``YYYY-MM-DDTHH:MM:SSZ``."""
    if moment.tzinfo is None:
        raise ValueError("GitHub timestamps need a timezone-aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def parse_body(what: str, parse: Callable[[Any], T], body: Any) -> T:
    try:
        return parse(body)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise IntegrationError(
            f"GitHub answered {what} with a body Stationmaster cannot read ({exc!r})"
        ) from exc


def error_details(body: Any) -> str:
    """GitHub's 422 ``errors`` list, as ``field: message`` parts."""
    errors = body.get("errors") if isinstance(body, dict) else None
    parts: list[str] = []
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, str):
            parts.append(error)
        elif isinstance(error, dict):
            field, message = error.get("field"), error.get("message")
            what = message or " ".join(
                str(error[key]) for key in ("resource", "code") if error.get(key)
            )
            parts.append(f"{field}: {what}" if field else str(what))
    return "; ".join(parts[:5])
