"""The commits between two refs of a source, as release notes. Shared by the notes service
(at cut, ``/release notes``) and ``stationmaster notes``; light on imports, because the CLI
is measured against plain ``git log``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.notes import ReleaseNotes, build_notes, with_known
from integrations.source.base import SourceRepository

__all__ = ["NotesRange", "collect"]


@dataclass(frozen=True)
class NotesRange:
    """Notes with the range they cover: ``base`` is None for the whole history of ``head``."""

    notes: ReleaseNotes
    base: str | None
    head: str

    @property
    def span(self) -> str:
        head = self.head[:7]
        return f"{self.base[:7]}..{head}" if self.base else f"everything up to {head}"


async def collect(
    source: SourceRepository,
    *,
    base: str | None,
    head: str,
    paths: Sequence[str] = (),
    show_types: Sequence[str] = (),
    issue_prefixes: Sequence[str] = (),
) -> NotesRange:
    """Resolve ``base`` and ``head``, read the range and build its notes. First-time
    contributors are those with no commit reachable from ``base`` (none for a whole history)."""
    head_sha = await source.resolve(ref=head)
    base_sha = await source.resolve(ref=base) if base else None
    commits = await source.commits(base=base_sha, head=head_sha)
    in_scope = await source.touching(base=base_sha, head=head_sha, paths=paths) if paths else None
    notes = build_notes(
        commits,
        head=head_sha,
        in_scope=in_scope,
        show_types=show_types,
        issue_prefixes=issue_prefixes,
        scope=tuple(paths),
    )
    people = [c.person for c in notes.contributors]
    if base_sha is None or not people:
        known = frozenset(key for person in people for key in person.keys)
    else:
        known = await source.known_before(ref=base_sha, people=people)
    return NotesRange(notes=with_known(notes, known), base=base_sha, head=head_sha)
