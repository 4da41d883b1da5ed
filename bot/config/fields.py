"""Value types of the config file, as annotated pydantic types with messages a person can act on.

Each validator raises ``ValueError`` with the whole sentence that follows ``line N: key.path:``.
Each type also serialises back to the form a person writes, so a dumped config reads like
the file it came from.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, PlainSerializer, PlainValidator

from bot.domain.cron import CronError, CronSpec, parse_cron
from bot.domain.durations import DurationError, format_duration, parse_duration
from bot.domain.versioning import Scheme

__all__ = [
    "Channel",
    "Cron",
    "Duration",
    "GitBranch",
    "GitHubRepo",
    "HttpUrl",
    "RepoPath",
    "RoleList",
    "RoleMember",
    "ServicePath",
    "Slug",
    "TimeZone",
    "Versioning",
    "describe",
    "is_group_handle",
    "is_user_id",
    "none_as_empty",
    "text_value",
]

_CHANNEL_NAME = re.compile(r"#[a-z0-9_-]{1,80}", re.ASCII)
_CHANNEL_ID = re.compile(r"[CG](?=[A-Z]*[0-9])[A-Z0-9]{8,}", re.ASCII)
_USER_ID = re.compile(r"[UW](?=[A-Z]*[0-9])[A-Z0-9]{8,}", re.ASCII)
_GROUP_HANDLE = re.compile(r"@[a-z0-9][a-z0-9._-]{0,79}", re.ASCII)
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?", re.ASCII)


def describe(value: object) -> str:
    """Name what a person wrote, for "expected X, got Y" messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"{value!s}"


def text_value(value: object, *, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected {what}, got {describe(value)}")
    return value.strip()


def _channel(value: object) -> str:
    text = text_value(value, what="a channel (#name or a channel ID)")
    if _CHANNEL_NAME.fullmatch(text) or _CHANNEL_ID.fullmatch(text):
        return text
    raise ValueError(f"{text!r} is not a channel: use #name or a channel ID")


def is_user_id(entry: str) -> bool:
    """True for a Slack user ID such as ``U024BE7LH`` or ``W0123ABC``."""
    return _USER_ID.fullmatch(entry) is not None


def is_group_handle(entry: str) -> bool:
    """True for a user-group handle written with its ``@``, such as ``@release-managers``."""
    return _GROUP_HANDLE.fullmatch(entry) is not None


def _role_member(value: object) -> str:
    text = text_value(value, what="a user ID or @group-handle")
    if is_user_id(text) or is_group_handle(text):
        return text
    raise ValueError(
        f"{text!r} is not a user ID or a user-group handle: use an ID such as U024BE7LH "
        "or a handle such as @release-managers"
    )


def _slug(value: object) -> str:
    text = text_value(value, what="a name")
    if _SLUG.fullmatch(text):
        return text
    raise ValueError(
        f"{text!r} is not a valid name: use lowercase letters, digits and '-' (e.g. web-app)"
    )


def _duration(value: object) -> timedelta:
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
        if seconds < 0:
            raise ValueError(f"a duration cannot be negative, got {seconds}")
        return timedelta(seconds=seconds)
    text = text_value(value, what="a duration such as 30s, 5m or 1h")
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise ValueError(str(exc)) from None


def _positive_duration(value: object) -> timedelta:
    result = _duration(value)
    if result <= timedelta(0):
        raise ValueError(f"a duration here must be more than 0s, got {format_duration(result)}")
    return result


def _cron(value: object) -> CronSpec:
    text = text_value(value, what="a cron expression such as '0 10 * * MON'")
    try:
        return parse_cron(text)
    except CronError as exc:
        raise ValueError(f"invalid cron {text!r}: {exc}") from None


def _time_zone(value: object) -> ZoneInfo:
    text = text_value(value, what="a time zone such as Europe/Berlin")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {text!r}") from None


_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//", re.ASCII)


def _git_branch(value: object) -> str:
    text = text_value(value, what="a git branch name such as main")
    problem = _ref_problem(text)
    if problem is None:
        return text
    raise ValueError(f"{text!r} is not a git branch name: {problem}")


def _ref_problem(text: str) -> str | None:
    """Why ``text`` breaks git's rules for a branch name (``git check-ref-format``), if it does."""
    if not text:
        return "it is empty"
    found = _REF_FORBIDDEN.search(text)
    if found is not None:
        return f"it may not contain {found.group()!r}"
    if text == "@" or text.startswith(("-", "/")) or text.endswith(("/", ".", ".lock")):
        return "it may not be '@', start with '-' or '/', or end with '/', '.' or '.lock'"
    if any(part.startswith(".") or part.endswith(".lock") for part in text.split("/")):
        return "no part between slashes may start with '.' or end with '.lock'"
    return None


def _repo_path(value: object) -> Path:
    if isinstance(value, Path):
        return value
    text = text_value(value, what='a directory such as "."')
    if not text:
        raise ValueError('a repository path cannot be empty: use "." for the config\'s directory')
    return Path(text)


def _service_path(value: object) -> str:
    text = text_value(value, what="a path inside the repository such as services/checkout/")
    parts = PurePosixPath(text).parts
    if not text or text.startswith("/") or "\\" in text or ".." in parts:
        raise ValueError(
            f"{text!r} is not a path inside the repository: write it from the repository's "
            "root with '/', such as services/checkout/"
        )
    return text


def _versioning(value: object) -> Scheme:
    if isinstance(value, Scheme):
        return value
    text = text_value(value, what="calver or semver")
    try:
        return Scheme(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a versioning scheme: use calver or semver") from None


_GITHUB_REPO = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}", re.ASCII)


def _github_repo(value: object) -> str:
    text = text_value(value, what="a GitHub repository such as acme/shop")
    if _GITHUB_REPO.fullmatch(text) and not text.endswith((".git", "/.", "/..")):
        return text
    raise ValueError(f"{text!r} is not a GitHub repository: write owner/name, such as acme/shop")


def _http_url(value: object) -> str:
    text = text_value(value, what="a URL such as https://api.github.com")
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc and not parts.query:
        return text.rstrip("/")
    raise ValueError(f"{text!r} is not an http(s) URL such as https://api.github.com")


def none_as_empty(value: Any) -> Any:
    """Read an empty YAML value (``key:`` with nothing after it) as an empty list."""
    return [] if value is None else value


Channel = Annotated[str, PlainValidator(_channel)]
"""``#name`` (lowercase letters, digits, ``-``, ``_``; at most 80) or an ID ``C…``/``G…``."""

RoleMember = Annotated[str, PlainValidator(_role_member)]
"""A Slack user ID (``U…``/``W…``) or a user-group handle written with its ``@``."""

Slug = Annotated[str, PlainValidator(_slug)]
"""A name such as a train's: lowercase letters, digits and inner ``-``, at most 64."""

Duration = Annotated[
    timedelta, PlainValidator(_positive_duration), PlainSerializer(format_duration)
]
"""A positive duration: ``30s``, ``5m``, ``1h``, ``1h30m``, or a number of seconds."""

Cron = Annotated[CronSpec, PlainValidator(_cron), PlainSerializer(str)]
"""A five-field cron expression, read in the time zone of whatever it belongs to."""

TimeZone = Annotated[ZoneInfo, PlainValidator(_time_zone), PlainSerializer(str)]
"""An IANA time zone name such as ``Europe/Berlin``."""

GitBranch = Annotated[str, PlainValidator(_git_branch)]
"""A branch name git accepts, such as ``main`` or ``release/web``."""

RepoPath = Annotated[Path, PlainValidator(_repo_path), PlainSerializer(str)]
"""A local directory; the config model reads it relative to the config file's directory."""

ServicePath = Annotated[str, PlainValidator(_service_path)]
"""A path inside the repository, from its root, such as ``services/checkout/``."""

Versioning = Annotated[Scheme, PlainValidator(_versioning), PlainSerializer(str)]
"""``calver`` or ``semver``: how a train numbers its releases."""

GitHubRepo = Annotated[str, PlainValidator(_github_repo)]
"""``owner/name`` of a GitHub repository."""

HttpUrl = Annotated[str, PlainValidator(_http_url)]
"""An ``http(s)://`` base URL, kept without its trailing slash."""

RoleList = Annotated[tuple[RoleMember, ...], BeforeValidator(none_as_empty)]
"""A list of role members; an empty value means nobody."""
