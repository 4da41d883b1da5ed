"""Release notes: commits in, grouped and credited notes out. Pure: no git, no HTTP, no Slack.

::

    SourceCommit* (oldest first, merges included) + head + scope + known contributors
        ──build_notes──> ReleaseNotes (sections in a fixed order, credits, first-time contributors)

A commit's message is read as a Conventional Commit (1.0): ``type(scope)!: description``, a
body, and footers (``BREAKING CHANGE: …``, ``BREAKING-CHANGE: …``, ``Co-authored-by: …``,
``Refs: …``), parsed by :mod:`bot.domain.commits`. A commit that does not follow it lands in
"Other changes" under its subject. Merge commits are never entries: they only lend their pull
request number to the commits they brought in. A revert whose target is in the range cancels
it, and both disappear. :func:`with_known` decides first-time contributors again once the
people before the range are known.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot.domain.commits import (
    REFS,
    CommitMessage,
    Person,
    SourceCommit,
    is_issue_project,
    issue_keys,
    merge_pull,
    parse_message,
)
from bot.domain.credits import Contributor, credit

__all__ = [
    "DEFAULT_HIDDEN_TYPES",
    "Contributor",
    "Entry",
    "IssueRef",
    "NotesSection",
    "Person",
    "PullRef",
    "ReleaseNotes",
    "SectionKind",
    "SourceCommit",
    "Text",
    "build_notes",
    "segments",
    "with_known",
]

#: Conventional types left out of the notes unless the config's ``notes.show_types`` names them.
DEFAULT_HIDDEN_TYPES: frozenset[str] = frozenset({"chore", "ci", "test", "build", "style"})


class SectionKind(StrEnum):
    """The sections of the notes, in the order they are shown."""

    BREAKING = "breaking"
    FEATURES = "features"
    FIXES = "fixes"
    PERFORMANCE = "performance"
    SECURITY = "security"
    DOCUMENTATION = "documentation"
    OTHER = "other"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _TITLES[self]


_TITLES = {
    SectionKind.BREAKING: "Breaking changes",
    SectionKind.FEATURES: "Features",
    SectionKind.FIXES: "Fixes",
    SectionKind.PERFORMANCE: "Performance",
    SectionKind.SECURITY: "Security",
    SectionKind.DOCUMENTATION: "Documentation",
    SectionKind.OTHER: "Other changes",
}


@dataclass(frozen=True)
class Text:
    """Plain text of a description, to be escaped by the renderer."""

    text: str


@dataclass(frozen=True)
class PullRef:
    """``#12`` in a description: a pull request (or issue) number on the code host."""

    number: int

    @property
    def text(self) -> str:
        return f"#{self.number}"


@dataclass(frozen=True)
class IssueRef:
    """``JIRA-321`` in a description: an issue tracker key."""

    key: str

    @property
    def text(self) -> str:
        return self.key


Segment = Text | PullRef | IssueRef


@dataclass(frozen=True)
class Entry:
    """One line of the notes: a commit (or a squash-merged pull request)."""

    sha: str
    description: str
    type: str | None = None
    scope: str | None = None
    breaking: str | None = None
    """What breaks, from the ``BREAKING CHANGE`` footer (or the description for ``!``)."""
    pulls: tuple[int, ...] = ()
    issues: tuple[str, ...] = ()
    authors: tuple[Person, ...] = ()

    @property
    def short_sha(self) -> str:
        return self.sha[:7]


@dataclass(frozen=True)
class NotesSection:
    kind: SectionKind
    entries: tuple[Entry, ...]

    @property
    def title(self) -> str:
        return self.kind.title


@dataclass(frozen=True)
class ReleaseNotes:
    """The notes of one range. ``sections`` holds only non-empty sections, in order."""

    sections: tuple[NotesSection, ...]
    contributors: tuple[Contributor, ...] = ()
    commits: int = 0
    """Non-merge commits in the range (in scope), shown or not."""
    hidden: int = 0
    """Commits left out because their type is hidden."""
    reverted: int = 0
    """Commits that cancelled out (a revert and its target each count)."""
    scope: tuple[str, ...] = field(default=())
    """The paths the notes were limited to (a monorepo service's ``paths``), or empty."""

    @property
    def entries(self) -> int:
        return sum(len(section.entries) for section in self.sections)

    @property
    def first_timers(self) -> tuple[Person, ...]:
        return tuple(c.person for c in self.contributors if c.first_time)

    @property
    def is_empty(self) -> bool:
        return not self.sections


def build_notes(
    commits: Sequence[SourceCommit],
    *,
    head: str | None = None,
    in_scope: frozenset[str] | None = None,
    known: frozenset[str] = frozenset(),
    show_types: Iterable[str] = (),
    issue_prefixes: Iterable[str] = (),
    scope: Sequence[str] = (),
) -> ReleaseNotes:
    """The notes of ``commits`` (oldest first, merges included).

    ``head`` is the range's tip, for following first parents when merges lend their pull
    request numbers (the newest commit when None or not in the range). ``in_scope`` limits the
    entries to those shas (a service's paths), None for all. ``known`` holds
    :attr:`Person.keys` of people with commits before the range; the others are first-time
    contributors. ``show_types`` un-hides hidden types; ``issue_prefixes`` limits issue keys to
    those projects (any when empty).
    """
    unique: dict[str, SourceCommit] = {}
    for commit in commits:
        unique.setdefault(commit.sha, commit)
    owners = _brought_in(unique, head)
    picked = [
        c for c in unique.values() if not c.is_merge and (in_scope is None or c.sha in in_scope)
    ]
    parsed = {c.sha: parse_message(c.message) for c in picked}
    pulls: dict[str, tuple[int, ...]] = {}
    for c in picked:
        own = tuple(dict.fromkeys((*c.pulls, *parsed[c.sha].pulls)))
        lent = merge_pull(unique[owners[c.sha]].subject) if c.sha in owners else None
        pulls[c.sha] = own or ((lent,) if lent is not None else ())
    cancelled = _cancelled(picked, parsed, pulls, owners, unique)
    alive = [c for c in picked if c.sha not in cancelled]
    credits, contributors = credit(
        [[c.author, *(Person(*who) for who in parsed[c.sha].co_authors)] for c in alive],
        known,
    )
    shown = frozenset(t.lower() for t in show_types)
    prefixes = frozenset(issue_prefixes)
    by_kind: dict[SectionKind, list[Entry]] = {kind: [] for kind in SectionKind}
    hidden = 0
    for commit, authors in zip(alive, credits, strict=True):
        message = parsed[commit.sha]
        kind = _kind(message, shown)
        if kind is None:
            hidden += 1
            continue
        by_kind[kind].append(
            Entry(
                sha=commit.sha,
                description=message.description,
                type=message.type,
                scope=message.scope,
                breaking=message.breaking,
                pulls=pulls[commit.sha],
                issues=issue_keys(message.text, prefixes),
                authors=authors,
            )
        )
    return ReleaseNotes(
        sections=tuple(
            NotesSection(kind, tuple(found)) for kind, found in by_kind.items() if found
        ),
        contributors=contributors,
        commits=len(picked),
        hidden=hidden,
        reverted=len(cancelled),
        scope=tuple(scope),
    )


def with_known(notes: ReleaseNotes, known: frozenset[str]) -> ReleaseNotes:
    """``notes`` with first-time contributors decided again: those whose :attr:`Person.keys`
    are not in ``known`` (bots never are)."""
    return replace(
        notes,
        contributors=tuple(
            replace(c, first_time=not (c.person.keys & known or c.person.is_bot))
            for c in notes.contributors
        ),
    )


def segments(text: str, *, issue_prefixes: Iterable[str] = ()) -> tuple[Segment, ...]:
    """``text`` split into plain text, ``#12`` pull references and ``ABC-12`` issue keys."""
    prefixes = frozenset(issue_prefixes)
    found: list[Segment] = []
    done = 0
    for match in REFS.finditer(text):
        if match["pull"]:
            ref: Segment = PullRef(int(match["pull"]))
        elif is_issue_project(match["issue"], prefixes):
            ref = IssueRef(match["issue"])
        else:
            continue
        if match.start() > done:
            found.append(Text(text[done : match.start()]))
        found.append(ref)
        done = match.end()
    if done < len(text):
        found.append(Text(text[done:]))
    return tuple(found)


_KINDS = {
    "feat": SectionKind.FEATURES,
    "fix": SectionKind.FIXES,
    "perf": SectionKind.PERFORMANCE,
    "security": SectionKind.SECURITY,
    "sec": SectionKind.SECURITY,
    "docs": SectionKind.DOCUMENTATION,
    "doc": SectionKind.DOCUMENTATION,
}


def _kind(message: CommitMessage, shown: frozenset[str]) -> SectionKind | None:
    """The section of a commit, None when its type is hidden."""
    if message.breaking is not None:
        return SectionKind.BREAKING
    if message.type in DEFAULT_HIDDEN_TYPES and message.type not in shown:
        return None
    return _KINDS.get(message.type or "", SectionKind.OTHER)


def _brought_in(commits: dict[str, SourceCommit], head: str | None) -> dict[str, str]:
    """For each commit a merge on the first-parent chain from ``head`` brought in, that
    merge's sha. Older merges claim first; each commit is visited once."""
    tip = head if head in commits else next(reversed(commits), None)
    mainline: list[SourceCommit] = []
    claimed: set[str] = set()
    while tip is not None and tip in commits and tip not in claimed:
        claimed.add(tip)
        mainline.append(commits[tip])
        tip = next(iter(commits[tip].parents), None)
    owners: dict[str, str] = {}
    for merge in reversed(mainline):
        queue = deque(merge.parents[1:])
        while queue:
            sha = queue.popleft()
            if sha in commits and sha not in claimed:
                claimed.add(sha)
                owners[sha] = merge.sha
                queue.extend(commits[sha].parents)
    return owners


def _cancelled(
    picked: Sequence[SourceCommit],
    parsed: Mapping[str, CommitMessage],
    pulls: Mapping[str, tuple[int, ...]],
    owners: Mapping[str, str],
    commits: Mapping[str, SourceCommit],
) -> set[str]:
    """The shas of reverts and their targets that cancel out, newest revert first. A revert of
    a merge reverts what the merge brought in; one of a pull request, its commits."""
    in_play = {c.sha for c in picked}
    brought: dict[str, list[str]] = {}
    for sha, merge in owners.items():
        if sha in in_play:
            brought.setdefault(merge, []).append(sha)
    by_prefix: dict[str, list[str]] = {}
    for sha in commits:
        by_prefix.setdefault(sha[:7].lower(), []).append(sha)
    by_pull: dict[int, list[str]] = {}
    for sha in in_play:
        for number in pulls[sha]:
            by_pull.setdefault(number, []).append(sha)
    dead: set[str] = set()
    for commit in reversed(picked):
        message = parsed[commit.sha]
        if commit.sha in dead:
            continue
        named = [
            s for p in message.reverts for s in by_prefix.get(p[:7], ()) if s.lower().startswith(p)
        ]
        targets = [t for s in named for t in ([s] if s in in_play else brought.get(s, ()))]
        targets += [t for n in message.reverts_pulls for t in by_pull.get(n, ())]
        alive = {t for t in targets if t != commit.sha and t not in dead}
        if alive:
            dead |= alive | {commit.sha}
    return dead
