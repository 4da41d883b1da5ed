"""Who wrote a range: each commit's people as distinct persons, and everyone's commit count.

A person may appear under several records (another name, a GitHub login on one commit, a
no-reply address as co-author); records whose :attr:`Person.keys` meet, even through a third
record, are one person.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.commits import Person

__all__ = ["Contributor", "credit"]


@dataclass(frozen=True)
class Contributor:
    person: Person
    commits: int
    first_time: bool = False


def credit(
    credits: Sequence[Sequence[Person]], known: frozenset[str]
) -> tuple[list[tuple[Person, ...]], tuple[Contributor, ...]]:
    """Each commit's people as distinct persons, and everyone's commit count. Records whose
    :attr:`Person.keys` meet (transitively) are one person, shown as the record with a login,
    then the most frequent name, then the most commits authored (not co-authored)."""
    root: dict[str, str] = {}

    def find(key: str) -> str:
        while root.setdefault(key, key) != key:
            root[key] = root[root[key]]
            key = root[key]
        return key

    for people in credits:
        for person in people:
            first, *others = sorted(person.keys)
            for key in others:
                root[find(key)] = find(first)
    records: dict[str, dict[Person, None]] = {}
    names: Counter[tuple[str, str]] = Counter()
    authored: Counter[Person] = Counter()
    counts: Counter[str] = Counter()
    groups: list[tuple[str, ...]] = []
    for people in credits:
        if people:
            authored[people[0]] += 1
        found: dict[str, None] = {}
        for person in people:
            group = find(min(person.keys))
            found[group] = None
            records.setdefault(group, {})[person] = None
            names[group, person.name] += 1
        for group in found:
            counts[group] += 1
        groups.append(tuple(found))
    shown = {
        group: max(those, key=lambda p: (p.login is not None, names[group, p.name], authored[p]))
        for group, those in records.items()
    }
    contributors = [
        Contributor(
            person=shown[group],
            commits=counts[group],
            first_time=not any(p.keys & known or p.is_bot for p in those),
        )
        for group, those in records.items()
    ]
    contributors.sort(key=lambda c: (-c.commits, c.person.name.casefold()))
    return [tuple(shown[g] for g in found) for found in groups], tuple(contributors)
