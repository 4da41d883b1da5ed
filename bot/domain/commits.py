"""Commits as sources give them, and their messages read as Conventional Commits (1.0),
leniently. Pure: no git, no HTTP.

::

    feat(api)!: drop the v1 endpoints (#12)     header: type, (scope), !, description, (#pull)

    Why, at length.                             body

    BREAKING CHANGE: /v1 is gone;               footers, the last paragraphs: "Token: value" or
    callers move to /v2.                        "Token #value"; a value runs on until the next
    Co-authored-by: Ada <ada@example.com>       token line

A message that does not follow the header keeps its subject as the description and has no
type. Footers, trailing ``(#12)`` pulls and revert targets are read from any message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

__all__ = [
    "NO_MESSAGE", "REFS", "TYPES", "CommitMessage", "Footer", "Person", "SourceCommit",
    "is_issue_project", "issue_keys", "looks_like_sha", "merge_pull", "parse_message",
    "same_commit",
]  # fmt: skip

#: The Conventional Commit types read as such (Angular's, and security); any other ``word:``
#: subject is not conventional.
TYPES = frozenset({
    "feat", "fix", "perf", "docs", "doc", "security", "sec", "refactor", "revert", "chore",
    "ci", "test", "tests", "build", "style", "deps",
})  # fmt: skip
#: The description of a commit with an empty message.
NO_MESSAGE = "(no message)"

_HEADER = re.compile(
    r"(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?:[ \t]+(?P<description>\S.*)"
)
_FOOTER = re.compile(
    r"(?P<token>BREAKING[ -]CHANGE|[A-Za-z][A-Za-z-]*)(?::(?:[ \t]+|$)|[ \t]+#)(?P<value>.*)"
)
_BREAKING = frozenset({"BREAKING CHANGE", "BREAKING-CHANGE"})
_TRAILING_PULL = re.compile(r"\(#([1-9][0-9]{0,6})\)\Z")
_REVERTS_SHA = re.compile(r"\bthis reverts commit ([0-9a-f]{7,40})\b", re.IGNORECASE)
_REVERTS_PULL = re.compile(r"^Reverts[ \t]+(?:[\w.-]+/[\w.-]+)?#([1-9][0-9]*)\b", re.MULTILINE)
_HEX = re.compile(r"\b[0-9a-fA-F]{7,40}\b")
_MERGE_PULL = re.compile(r"Merge pull request #([1-9][0-9]*) from \S")
_NOREPLY = re.compile(
    r"(?:[0-9]+\+)?([A-Za-z0-9-]+(?:\[bot\])?)@users\.noreply\.github\.com", re.IGNORECASE
)
_PERSON = re.compile(r"(?P<name>[^<>]*?)\s*<(?P<email>[^<>]*)>\s*")

#: ``#12`` (``#`` not after a word character or ``&``) or an issue key ``ABC-12`` (a whole
#: word); the groups are ``pull`` and ``issue``.
REFS = re.compile(
    r"(?<![\w&])#(?P<pull>[1-9][0-9]{0,6})(?!\w)|(?<!\w)(?P<issue>[A-Z][A-Z0-9_]+-[1-9][0-9]*)(?!\w)"
)


@dataclass(frozen=True)
class Person:
    """Someone who wrote or co-wrote a commit. ``login`` is their GitHub login when known."""

    name: str
    email: str
    login: str | None = None

    @cached_property
    def keys(self) -> frozenset[str]:
        """What identifies this person across commits: the lower-cased email and login."""
        found = {self.email.strip().lower()} if self.email.strip() else set()
        if self.login:
            found.add(f"@{self.login.lower()}")
        return frozenset(found or {self.name.strip().lower()})

    @property
    def is_bot(self) -> bool:
        return (self.login or self.name).lower().endswith("[bot]")


@dataclass(frozen=True)
class SourceCommit:
    """One commit as a source reads it. ``pulls`` are pull request numbers the source knows
    (the GitHub API's pulls for the commit); numbers in the message are found here."""

    sha: str
    message: str
    author: Person
    parents: tuple[str, ...] = ()
    pulls: tuple[int, ...] = ()

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def subject(self) -> str:
        return self.message.strip().split("\n", 1)[0].strip()


@dataclass(frozen=True)
class Footer:
    token: str
    value: str

    @property
    def is_breaking(self) -> bool:
        return self.token in _BREAKING


@dataclass(frozen=True)
class CommitMessage:
    """One message, parsed. ``description`` is the header's (or the subject) without the
    trailing ``(#12)`` numbers, which are ``pulls``; ``reverts`` are the sha prefixes
    (lower-cased) and ``reverts_pulls`` the pull requests the commit says it reverts."""

    text: str
    subject: str
    description: str
    type: str | None = None
    scope: str | None = None
    bang: bool = False
    body: str = ""
    footers: tuple[Footer, ...] = ()
    pulls: tuple[int, ...] = ()
    reverts: tuple[str, ...] = ()
    reverts_pulls: tuple[int, ...] = ()

    @cached_property
    def breaking(self) -> str | None:
        """What breaks: the breaking footers' text, or the description for a bare ``!``."""
        notes = [f.value for f in self.footers if f.is_breaking and f.value]
        if notes:
            return "\n\n".join(notes)
        if self.bang or any(f.is_breaking for f in self.footers):
            return self.description
        return None

    @property
    def co_authors(self) -> tuple[tuple[str, str, str | None], ...]:
        """``(name, email, login)`` of each ``Co-authored-by`` footer, in order; the login
        only from GitHub's no-reply address (``123+login@users.noreply.github.com``)."""
        found: list[tuple[str, str, str | None]] = []
        for footer in self.footers:
            if footer.token.casefold() != "co-authored-by":
                continue
            line = footer.value.split("\n", 1)[0].strip()
            match = _PERSON.fullmatch(line)
            name, email = (match["name"].strip(), match["email"].strip()) if match else (line, "")
            if name or email:
                login = _NOREPLY.fullmatch(email)
                found.append((name or email, email, login[1] if login else None))
        return tuple(found)


def parse_message(message: str) -> CommitMessage:
    """``message`` read as a Conventional Commit; never raises."""
    text = message.replace("\r\n", "\n").replace("\r", "\n").strip()
    if "\n" not in text:  # a subject alone: no body, footers or revert targets
        header = _header(text)
        description, pulls = _strip_pulls(header["description"].strip() if header else text)
        return CommitMessage(
            text=text,
            subject=text,
            description=description or NO_MESSAGE,
            type=header["type"].lower() if header else None,
            scope=(header["scope"] or "").strip() or None if header else None,
            bang=bool(header and header["bang"]),
            pulls=pulls,
        )
    lines = text.split("\n")
    subject = lines[0].strip()
    rest = lines[1:]
    start = _footer_start(rest)
    footers = _footers(rest[start:])
    body = "\n".join(rest[:start]).strip()
    after = "\n".join(rest)
    revert_shas = [sha.lower() for sha in _REVERTS_SHA.findall(after)]
    header = _header(subject)
    kind = header["type"].lower() if header else None
    scope = (header["scope"] or "").strip() if header else ""
    if kind == "revert":
        refs = (f.value for f in footers if f.token.casefold() == "refs")
        revert_shas += [sha.lower() for value in refs for sha in _HEX.findall(value)]
    description, pulls = _strip_pulls(header["description"].strip() if header else subject)
    return CommitMessage(
        text=text,
        subject=subject,
        description=description or NO_MESSAGE,
        type=kind,
        scope=scope or None,
        bang=bool(header and header["bang"]),
        body=body,
        footers=footers,
        pulls=pulls,
        reverts=tuple(dict.fromkeys(revert_shas)),
        reverts_pulls=tuple(dict.fromkeys(int(n) for n in _REVERTS_PULL.findall(after))),
    )


def _header(subject: str) -> re.Match[str] | None:
    """The Conventional Commit header of ``subject``, when its type is one teams use; a
    subject such as ``Notifier: one path`` is prose, and keeps its words."""
    header = _HEADER.fullmatch(subject)
    return header if header and header["type"].lower() in TYPES else None


def same_commit(commit: str, sha: str) -> bool:
    """Whether two commit ids (full or abbreviated, any case) name the same commit."""
    a, b = commit.lower(), sha.lower()
    return a.startswith(b) or b.startswith(a)


def looks_like_sha(ref: str) -> bool:
    """Whether ``ref`` reads as a commit id (7 to 64 hex digits) rather than a version."""
    return 7 <= len(ref) <= 64 and all(c in "0123456789abcdefABCDEF" for c in ref)


def merge_pull(subject: str) -> int | None:
    """The pull request of GitHub's ``Merge pull request #12 from owner/branch``."""
    match = _MERGE_PULL.match(subject.strip())
    return int(match[1]) if match else None


def issue_keys(text: str, prefixes: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The unique issue keys in ``text``, in order; only ``prefixes`` projects when given."""
    if "-" not in text:
        return ()
    keys = (m["issue"] for m in REFS.finditer(text) if m["issue"])
    return tuple(dict.fromkeys(k for k in keys if is_issue_project(k, prefixes)))


def is_issue_project(key: str, prefixes: Iterable[str]) -> bool:
    allowed = frozenset(prefixes)
    return not allowed or key.split("-", 1)[0] in allowed


def _strip_pulls(description: str) -> tuple[str, tuple[int, ...]]:
    """``fix: x (#11) (#12)`` → ``fix: x`` and (11, 12), unless nothing would be left."""
    text = description.rstrip()
    if not text.endswith(")"):
        return text, ()
    found: list[int] = []
    while match := _TRAILING_PULL.search(text, max(0, len(text) - 10)):
        left = text[: match.start()].rstrip()
        if not left:
            break
        found.append(int(match[1]))
        text = left
    return text, tuple(dict.fromkeys(reversed(found)))


def _footer_start(lines: list[str]) -> int:
    """Where the footers begin in the lines after the subject (``len(lines)`` for none): the
    trailing paragraphs that each open with a token line; a paragraph that does not may still
    continue a ``BREAKING CHANGE`` note."""
    tokens = [_FOOTER.fullmatch(line) for line in lines]
    paragraphs: list[int] = []  # the first line of each paragraph
    open_breaking: list[bool] = []  # whether the latest token line so far is breaking, per line
    breaking = False
    for i, line in enumerate(lines):
        if (match := tokens[i]) is not None:
            breaking = match["token"] in _BREAKING
        open_breaking.append(breaking)
        if line.strip() and (i == 0 or not lines[i - 1].strip()):
            paragraphs.append(i)
    start = len(lines)
    for first in reversed(paragraphs):
        opens = tokens[first] is not None
        if opens:
            start = first
        continues = first > 0 and open_breaking[first - 1]
        if not (opens or continues):
            break
    return start


def _footers(lines: list[str]) -> tuple[Footer, ...]:
    """The footers of ``lines``, which open with a token line (from :func:`_footer_start`)."""
    found: list[tuple[str, list[str]]] = []
    for line in lines:
        if (match := _FOOTER.fullmatch(line)) is not None:
            found.append((match["token"], [match["value"]]))
        else:
            found[-1][1].append(line)
    return tuple(Footer(token, "\n".join(value).strip()) for token, value in found)
