"""What tests and the console ask the simulator: set up people and channels, read what
happened, wait for something, and follow changes as they happen.

Channel and user arguments accept an id, a name or ``#name`` / ``@name``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TypeVar

from bot.sim.slack.config import SimConfig
from bot.sim.slack.errors import SimulatorError
from bot.sim.slack.events import EventBus
from bot.sim.slack.interactions import ResponseUrlRegistry, TriggerRegistry
from bot.sim.slack.models import (
    EphemeralSource,
    JsonDict,
    RecordedCall,
    SimChannel,
    SimEphemeral,
    SimEvent,
    SimFile,
    SimMessage,
    SimReaction,
    SimUser,
    SimUserGroup,
    SimView,
)
from bot.sim.slack.response_urls import ResponseRejected, apply_response
from bot.sim.slack.state import Workspace

T = TypeVar("T")
MessageRef = SimMessage | SimEphemeral | tuple[str, str]


class WorkspaceQueries:
    config: SimConfig
    workspace: Workspace
    bus: EventBus
    calls: list[RecordedCall]
    triggers: TriggerRegistry
    response_urls: ResponseUrlRegistry

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    # setting up ----------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        *,
        real_name: str | None = None,
        tz: str = "UTC",
        is_bot: bool = False,
        deleted: bool = False,
        email: str | None = None,
        user_id: str | None = None,
    ) -> SimUser:
        return self.workspace.add_user(
            SimUser(
                id=user_id or self.workspace.new_id("U"),
                name=name,
                real_name=real_name or name.title(),
                tz=tz,
                is_bot=is_bot,
                deleted=deleted,
                email=email,
            )
        )

    def add_channel(
        self,
        name: str,
        *,
        bot_is_member: bool = True,
        is_private: bool = False,
        members: Iterable[str] | None = None,
        channel_id: str | None = None,
    ) -> SimChannel:
        """A channel; its members default to every person (not bots) in the workspace."""
        people = (
            {self.user(m).id for m in members}
            if members is not None
            else {u.id for u in self.workspace.users.values() if not u.is_bot and not u.deleted}
        )
        return self.workspace.add_channel(
            SimChannel(
                id=channel_id or self.workspace.new_id("G" if is_private else "C"),
                name=name.removeprefix("#"),
                is_member=bot_is_member,
                is_private=is_private,
                members=people,
            )
        )

    def add_usergroup(
        self,
        handle: str,
        *,
        users: Iterable[str],
        name: str | None = None,
        group_id: str | None = None,
    ) -> SimUserGroup:
        handle = handle.removeprefix("@")
        return self.workspace.add_usergroup(
            SimUserGroup(
                id=group_id or self.workspace.new_id("S"),
                handle=handle,
                name=name or handle,
                users=[self.user(u).id for u in users],
            )
        )

    # looking up ----------------------------------------------------------------------------

    def user(self, ref: str) -> SimUser:
        user = self.workspace.find_user(ref)
        if user is None:
            raise SimulatorError(f"no user {ref!r} in the simulated workspace")
        return user

    def channel(self, ref: str) -> SimChannel:
        channel = self.workspace.find_channel(ref)
        if channel is None:
            raise SimulatorError(f"no channel {ref!r} in the simulated workspace")
        return channel

    def usergroup(self, ref: str) -> SimUserGroup:
        group = self.workspace.find_usergroup(ref)
        if group is None:
            raise SimulatorError(f"no user group {ref!r} in the simulated workspace")
        return group

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.method == method]

    def messages_in(
        self, channel: str, *, include_replies: bool = True, include_deleted: bool = False
    ) -> list[SimMessage]:
        return self.workspace.messages_in(
            self.channel(channel).id,
            include_replies=include_replies,
            include_deleted=include_deleted,
        )

    def message(self, channel: str, ts: str) -> SimMessage:
        message = self.workspace.message(self.channel(channel).id, ts)
        if message is None:
            raise SimulatorError(f"no message {ts} in {channel}")
        return message

    def resolve_message(self, ref: MessageRef) -> SimMessage | SimEphemeral:
        """A live message or ephemeral message, given itself or ``(channel, ts)``."""
        if isinstance(ref, tuple):
            channel_id, ts = self.channel(ref[0]).id, ref[1]
            found = self.workspace.message(channel_id, ts) or self.workspace.find_ephemeral(
                channel_id, ts
            )
            if found is None:
                raise SimulatorError(f"no message {ts} in {ref[0]}")
            ref = found
        if ref.deleted:
            raise SimulatorError(f"message {ref.ts} was deleted")
        return ref

    def post_as(
        self, *, user: str, channel: str, text: str, thread_ts: str | None = None
    ) -> SimMessage:
        """Store a message a person wrote (see ``SimClient.say`` to also tell the bot)."""
        place = self.channel(channel)
        root = self.workspace.message(place.id, thread_ts) if thread_ts else None
        if thread_ts and root is None:
            raise SimulatorError(f"no message {thread_ts} in {channel}")
        return self.workspace.post(
            SimMessage(
                channel=place.id,
                ts=self.workspace.next_ts(),
                text=text,
                user=self.user(user).id,
                thread_ts=(root.thread_ts or root.ts) if root is not None else None,
            )
        )

    def thread(self, channel: str, ts: str) -> list[SimMessage]:
        return self.workspace.thread(self.channel(channel).id, ts)

    def ephemerals_for(self, user: str, *, channel: str | None = None) -> list[SimEphemeral]:
        user_id = self.user(user).id
        channel_id = self.channel(channel).id if channel is not None else None
        return [
            e
            for e in self.workspace.ephemerals
            if e.user == user_id and not e.deleted and channel_id in (None, e.channel)
        ]

    def view(self, view_id: str) -> SimView:
        if view_id not in self.workspace.views:
            raise SimulatorError(f"no view {view_id}")
        return self.workspace.views[view_id]

    def open_modals(self, user: str) -> list[SimView]:
        """The user's modal stack, bottom first."""
        stack = self.workspace.modal_stacks.get(self.user(user).id, [])
        return [self.workspace.views[view_id] for view_id in stack]

    def home_for(self, user: str) -> SimView | None:
        view_id = self.workspace.homes.get(self.user(user).id)
        return self.workspace.views[view_id] if view_id else None

    @property
    def files(self) -> list[SimFile]:
        return list(self.workspace.files.values())

    @property
    def reactions(self) -> list[SimReaction]:
        return list(self.workspace.reactions)

    # waiting and following -------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], T | None], *, timeout: float = 5.0) -> T:  # noqa: ASYNC109
        """Wait until ``predicate()`` is truthy and return it; ``TimeoutError`` otherwise."""
        return await self.bus.wait_for(predicate, timeout=timeout)

    def subscribe(self) -> asyncio.Queue[SimEvent]:
        """Every posted/updated/deleted/ephemeral/view event from now on."""
        return self.bus.subscribe()

    def unsubscribe(self, queue: asyncio.Queue[SimEvent]) -> None:
        self.bus.unsubscribe(queue)

    # interaction handles, for the user-side client ---------------------------------------------

    def issue_trigger(self, *, user: str) -> str:
        return self.triggers.issue(user=self.user(user).id)

    def issue_response_url(
        self,
        *,
        user: str,
        channel: str,
        message_ts: str | None = None,
        ephemeral: SimEphemeral | None = None,
        thread_ts: str | None = None,
    ) -> str:
        target = self.response_urls.issue(
            user=self.user(user).id,
            channel=self.channel(channel).id,
            message_ts=message_ts,
            ephemeral=ephemeral,
            thread_ts=thread_ts,
        )
        return f"{self.base_url}/response/{target.id}"

    def show_response(
        self, *, response_url: str, payload: JsonDict, source: EphemeralSource = "ack"
    ) -> None:
        """Show a bot's answer (an ack body) as Slack would, through the interaction's response
        URL target but without using one of its five posts."""
        target_id = response_url.rsplit("/", 1)[-1]
        target = self.response_urls.peek(target_id)
        if target is None:
            raise SimulatorError(f"unknown response URL {response_url}")
        if not any(payload.get(key) for key in ("text", "blocks", "delete_original")):
            return  # an answer with nothing to show, such as {}, shows nothing
        try:
            apply_response(
                workspace=self.workspace,
                config=self.config,
                target=target,
                payload=payload,
                source=source,
            )
        except ResponseRejected as rejected:
            raise SimulatorError(f"Slack would reject the app's answer: {rejected.error}") from None
