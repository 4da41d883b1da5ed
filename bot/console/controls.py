"""The numbers shown in brackets, for the whole session, and what has been ticked or typed.

A number stays valid after its message changes; pressing it then uses the element on the
message as it is now (the simulator says so if the element is gone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.console.render import Control, ControlKind
from bot.sim.slack.payloads import ElementValue


@dataclass(frozen=True)
class MessageTarget:
    """A message or an ephemeral message, by channel ID and ts."""

    channel: str
    ts: str


@dataclass(frozen=True)
class ViewTarget:
    """A modal or an App Home tab."""

    view_id: str


Target = MessageTarget | ViewTarget
Key = tuple[Target, str, str]  # target, block_id, action_id


@dataclass(frozen=True)
class Numbered:
    control: Control
    target: Target

    @property
    def key(self) -> Key:
        return (self.target, self.control.block_id, self.control.action_id)


class Controls:
    def __init__(self) -> None:
        self._entries: dict[int, Numbered] = {}
        self._next = 1
        self._values: dict[Key, ElementValue] = {}

    @property
    def next_number(self) -> int:
        return self._next

    @property
    def last_number(self) -> int:
        return self._next - 1

    def register(self, controls: Iterable[Control], *, target: Target) -> None:
        """Remember freshly rendered controls (numbered from :attr:`next_number`)."""
        fresh: dict[Key, list[str]] = {}
        for control in controls:
            numbered = Numbered(control=control, target=target)
            self._entries[control.number] = numbered
            self._next = max(self._next, control.number + 1)
            if control.kind is ControlKind.CHECKBOX:
                chosen = fresh.setdefault(numbered.key, [])
                if control.selected and control.value is not None:
                    chosen.append(control.value)
        for key, chosen in fresh.items():
            # A message shows its true state again; a form keeps what was ticked in it.
            if isinstance(target, MessageTarget) or key not in self._values:
                self._values[key] = chosen

    def get(self, number: int) -> Numbered | None:
        return self._entries.get(number)

    def toggle(self, numbered: Numbered) -> tuple[bool, list[str]]:
        """Tick or untick a box; returns whether it is now ticked and every ticked value."""
        current = self._values.get(numbered.key)
        chosen = list(current) if isinstance(current, list) else []
        value = str(numbered.control.value)
        ticked = value not in chosen
        chosen = [*chosen, value] if ticked else [v for v in chosen if v != value]
        self._values[numbered.key] = chosen
        return ticked, chosen

    def set(self, key: Key, value: ElementValue) -> None:
        self._values[key] = value

    def form_values(self, view_id: str) -> dict[str, dict[str, ElementValue]]:
        """What was entered in a modal's inputs: block_id -> action_id -> value."""
        values: dict[str, dict[str, ElementValue]] = {}
        for (target, block_id, action_id), value in self._values.items():
            if isinstance(target, ViewTarget) and target.view_id == view_id:
                values.setdefault(block_id, {})[action_id] = value
        return values

    def filled(self, key: Key) -> bool:
        return key in self._values

    def forget(self, *, view_id: str) -> None:
        """Drop what was entered in a modal once it is submitted or closed."""
        for key in [k for k in self._values if k[0] == ViewTarget(view_id)]:
            del self._values[key]
