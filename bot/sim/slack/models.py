"""What the simulated workspace holds, and what it records.

Plain mutable dataclasses: the simulator updates a message in place when the bot edits it, so a
test holding a :class:`SimMessage` sees the latest text. :class:`SimEvent` values handed to
subscribers carry a shallow copy taken when the event happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

JsonDict = dict[str, Any]


@dataclass(slots=True)
class SimUser:
    id: str
    name: str
    real_name: str
    is_bot: bool = False
    tz: str = "UTC"
    deleted: bool = False
    email: str | None = None


@dataclass(slots=True)
class SimChannel:
    """A conversation. ``is_member`` is the bot's membership; ``members`` are the people in it."""

    id: str
    name: str
    is_member: bool = True
    is_im: bool = False
    is_mpim: bool = False
    is_private: bool = False
    members: set[str] = field(default_factory=set)
    im_user: str | None = None
    created: int = 0
    topic: str = ""
    purpose: str = ""


@dataclass(slots=True)
class SimUserGroup:
    id: str
    handle: str
    name: str
    users: list[str] = field(default_factory=list)
    description: str = ""


@dataclass(slots=True)
class SimMessage:
    channel: str
    ts: str
    text: str
    blocks: list[JsonDict] = field(default_factory=list)
    user: str | None = None
    bot_id: str | None = None
    thread_ts: str | None = None
    edited: str | None = None  # ts of the last edit
    edit_count: int = 0
    deleted: bool = False
    reply_count: int = 0
    reply_users: list[str] = field(default_factory=list)
    latest_reply: str | None = None
    files: list[str] = field(default_factory=list)
    reactions: dict[str, list[str]] = field(default_factory=dict)
    attachments: list[JsonDict] = field(default_factory=list)
    metadata: JsonDict | None = None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


EphemeralSource = Literal["api", "response_url", "ack"]


@dataclass(slots=True)
class SimEphemeral:
    """A message only ``user`` sees: chat.postEphemeral, a response URL or an ack body."""

    channel: str
    user: str
    ts: str
    text: str
    blocks: list[JsonDict] = field(default_factory=list)
    thread_ts: str | None = None
    source: EphemeralSource = "api"
    deleted: bool = False
    edit_count: int = 0


@dataclass(slots=True)
class SimView:
    id: str
    type: str  # "modal" or "home"
    user: str
    view: JsonDict  # the stored view, as views.open/update/push/publish return it
    hash: str
    external_id: str | None = None
    root_view_id: str | None = None
    previous_view_id: str | None = None
    closed: bool = False

    @property
    def callback_id(self) -> str:
        return str(self.view.get("callback_id") or "")

    @property
    def private_metadata(self) -> str:
        return str(self.view.get("private_metadata") or "")

    @property
    def blocks(self) -> list[JsonDict]:
        blocks: list[JsonDict] = self.view.get("blocks") or []
        return blocks


@dataclass(slots=True)
class SimFile:
    id: str
    name: str
    title: str
    length: int
    content: bytes | None = None
    completed: bool = False
    channels: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    initial_comment: str | None = None


@dataclass(frozen=True, slots=True)
class SimReaction:
    channel: str
    ts: str
    name: str
    user: str


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One request the simulator answered: a Web API method, a response URL or an upload."""

    method: str
    params: JsonDict
    ok: bool
    error: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class SocketAck:
    envelope_id: str
    payload: JsonDict | None
    at: datetime


class SimEventKind(StrEnum):
    POSTED = "posted"
    UPDATED = "updated"
    DELETED = "deleted"
    EPHEMERAL = "ephemeral"
    VIEW_OPENED = "view_opened"
    VIEW_UPDATED = "view_updated"
    VIEW_PUSHED = "view_pushed"
    VIEW_CLOSED = "view_closed"
    VIEW_PUBLISHED = "view_published"
    REACTION_ADDED = "reaction_added"
    FILE_SHARED = "file_shared"


@dataclass(frozen=True, slots=True)
class SimEvent:
    """Something a person in the workspace would see change, for a console to render."""

    kind: SimEventKind
    at: datetime
    channel: str | None = None
    message: SimMessage | None = None
    ephemeral: SimEphemeral | None = None
    view: SimView | None = None
    reaction: SimReaction | None = None
    file: SimFile | None = None
