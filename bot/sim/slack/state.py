"""The in-memory workspace: people, conversations, messages, views, files and reactions.

The Web API methods change it through these functions, which publish a
:class:`~bot.sim.slack.models.SimEvent` for each change a person would see.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from bot.sim.slack.events import EventBus
from bot.sim.slack.models import (
    JsonDict,
    SimChannel,
    SimEphemeral,
    SimEventKind,
    SimFile,
    SimMessage,
    SimReaction,
    SimUser,
    SimUserGroup,
    SimView,
)


class Workspace:
    def __init__(self, *, bot_user_id: str, clock: Callable[[], float], bus: EventBus) -> None:
        self.bot_user_id = bot_user_id
        self.clock = clock
        self.bus = bus
        self.users: dict[str, SimUser] = {}
        self.channels: dict[str, SimChannel] = {}
        self.usergroups: dict[str, SimUserGroup] = {}
        self.ephemerals: list[SimEphemeral] = []
        self.views: dict[str, SimView] = {}
        self.modal_stacks: dict[str, list[str]] = {}
        self.homes: dict[str, str] = {}
        self.files: dict[str, SimFile] = {}
        self.reactions: list[SimReaction] = []
        self._messages: dict[str, list[SimMessage]] = {}
        self._by_ts: dict[tuple[str, str], SimMessage] = {}
        self._counter = itertools.count(1)
        self._last_micros = 0

    # ids and timestamps -------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """A fresh Slack-looking id such as ``C00000007``."""
        return f"{prefix}{next(self._counter):08d}"

    def next_ts(self) -> str:
        """A message ``ts``: seconds.microseconds, strictly increasing, unique in the workspace."""
        micros = max(int(self.clock() * 1_000_000), self._last_micros + 1)
        self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    # people and conversations -------------------------------------------------------------

    def add_user(self, user: SimUser) -> SimUser:
        self.users[user.id] = user
        return user

    def add_channel(self, channel: SimChannel) -> SimChannel:
        channel.created = channel.created or int(self.clock())
        self.channels[channel.id] = channel
        self._messages.setdefault(channel.id, [])
        return channel

    def add_usergroup(self, group: SimUserGroup) -> SimUserGroup:
        self.usergroups[group.id] = group
        return group

    def find_user(self, ref: str) -> SimUser | None:
        """A user by id, ``name`` or ``@name``."""
        if ref in self.users:
            return self.users[ref]
        name = ref.removeprefix("@")
        return next((u for u in self.users.values() if u.name == name), None)

    def find_channel(self, ref: str) -> SimChannel | None:
        """A conversation by id, ``#name`` or ``name``."""
        if ref in self.channels:
            return self.channels[ref]
        name = ref.removeprefix("#")
        return next((c for c in self.channels.values() if c.name == name and not c.is_im), None)

    def find_usergroup(self, ref: str) -> SimUserGroup | None:
        if ref in self.usergroups:
            return self.usergroups[ref]
        handle = ref.removeprefix("@")
        return next((g for g in self.usergroups.values() if g.handle == handle), None)

    def im_with(self, user_id: str, *, create: bool = True) -> SimChannel | None:
        """The bot's direct-message conversation with ``user_id``."""
        for channel in self.channels.values():
            if channel.is_im and channel.im_user == user_id:
                return channel
        if not create:
            return None
        return self.add_channel(
            SimChannel(
                id=self.new_id("D"),
                name=self.users[user_id].name,
                is_im=True,
                is_private=True,
                members={user_id},
                im_user=user_id,
            )
        )

    # messages -----------------------------------------------------------------------------

    def post(self, message: SimMessage) -> SimMessage:
        self._messages.setdefault(message.channel, []).append(message)
        self._by_ts[(message.channel, message.ts)] = message
        if message.is_reply:
            parent = self._by_ts[(message.channel, str(message.thread_ts))]
            parent.reply_count += 1
            parent.latest_reply = message.ts
            author = message.user or message.bot_id or ""
            if author not in parent.reply_users:
                parent.reply_users.append(author)
            if parent.thread_ts is None:
                parent.thread_ts = parent.ts
        self.bus.publish(SimEventKind.POSTED, channel=message.channel, message=message)
        return message

    def message(self, channel: str, ts: str) -> SimMessage | None:
        return self._by_ts.get((channel, ts))

    def update(
        self, message: SimMessage, *, text: str | None, blocks: list[JsonDict] | None
    ) -> SimMessage:
        if text is not None:
            message.text = text
        if blocks is not None:
            message.blocks = blocks
        message.edited = self.next_ts()
        message.edit_count += 1
        self.bus.publish(SimEventKind.UPDATED, channel=message.channel, message=message)
        return message

    def delete(self, message: SimMessage) -> None:
        message.deleted = True
        self.bus.publish(SimEventKind.DELETED, channel=message.channel, message=message)

    def messages_in(
        self, channel: str, *, include_replies: bool = True, include_deleted: bool = False
    ) -> list[SimMessage]:
        return [
            m
            for m in self._messages.get(channel, [])
            if (include_replies or not m.is_reply) and (include_deleted or not m.deleted)
        ]

    def thread(self, channel: str, ts: str) -> list[SimMessage]:
        """The parent followed by its replies, oldest first."""
        return [
            m
            for m in self._messages.get(channel, [])
            if (m.ts == ts or m.thread_ts == ts) and not m.deleted
        ]

    def all_messages(self) -> list[SimMessage]:
        return [m for messages in self._messages.values() for m in messages]

    def add_ephemeral(self, ephemeral: SimEphemeral) -> SimEphemeral:
        self.ephemerals.append(ephemeral)
        self.bus.publish(SimEventKind.EPHEMERAL, channel=ephemeral.channel, ephemeral=ephemeral)
        return ephemeral

    def replace_ephemeral(
        self, ephemeral: SimEphemeral, *, text: str, blocks: list[JsonDict]
    ) -> SimEphemeral:
        ephemeral.text, ephemeral.blocks = text, blocks
        ephemeral.edit_count += 1
        self.bus.publish(SimEventKind.EPHEMERAL, channel=ephemeral.channel, ephemeral=ephemeral)
        return ephemeral

    def delete_ephemeral(self, ephemeral: SimEphemeral) -> None:
        ephemeral.deleted = True
        self.bus.publish(SimEventKind.DELETED, channel=ephemeral.channel, ephemeral=ephemeral)

    def find_ephemeral(self, channel: str, ts: str) -> SimEphemeral | None:
        return next(
            (e for e in self.ephemerals if e.channel == channel and e.ts == ts and not e.deleted),
            None,
        )

    # reactions and files ------------------------------------------------------------------

    def add_reaction(self, message: SimMessage, *, name: str, user: str) -> SimReaction:
        reaction = SimReaction(channel=message.channel, ts=message.ts, name=name, user=user)
        self.reactions.append(reaction)
        message.reactions.setdefault(name, []).append(user)
        self.bus.publish(SimEventKind.REACTION_ADDED, channel=message.channel, reaction=reaction)
        return reaction

    def share_file(self, file: SimFile, *, channel: str) -> None:
        self.bus.publish(SimEventKind.FILE_SHARED, channel=channel, file=file)
