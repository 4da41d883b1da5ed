"""The user side of Slack: people typing commands, clicking buttons and submitting modals.

:class:`SimClient` sends a bot what Slack would send when a person acts, over HTTP (signed,
to the bot's request URL) or over the Socket Mode websocket the bot opened. Each request
carries a fresh ``trigger_id`` and, where Slack gives one, a ``response_url`` issued by the
simulator. What the bot answers is applied as Slack applies it: a slash command's ack body is
shown to the user; a ``view_submission`` answer closes, updates, pushes or keeps the modal.
"""

from __future__ import annotations

import json
import secrets
from types import TracebackType
from typing import Literal
from urllib.parse import urlencode

from bot.sim.slack import limits
from bot.sim.slack.errors import SimulatorError
from bot.sim.slack.modals import apply_submission_answer
from bot.sim.slack.models import JsonDict, SimEphemeral, SimMessage
from bot.sim.slack.payloads import (
    ElementValue,
    action_json,
    block_actions_payload,
    event_callback,
    find_element,
    message_event,
    slash_command_fields,
    state_values,
    view_submission_payload,
)
from bot.sim.slack.queries import MessageRef
from bot.sim.slack.render import message_json
from bot.sim.slack.server import SlackSimulator
from bot.sim.slack.socket_mode import EnvelopeType
from bot.sim.slack.transport import BotResponse, HttpTransport, Knobs

Transport = Literal["http", "socket"]
FORM = "application/x-www-form-urlencoded"


class SimClient:
    """Acts as people in ``sim``'s workspace towards the bot at ``bot_url`` (HTTP) or on the
    Socket Mode connection (``transport="socket"``). Users are given by id or name.

    Requests are signed with the simulator's clock, so a simulator on a test clock sends
    timestamps from that clock, as a real Slack sends its own time."""

    def __init__(
        self,
        sim: SlackSimulator,
        *,
        bot_url: str | None = None,
        transport: Transport = "http",
        signing_secret: str | None = None,
        ack_timeout: float = limits.ACK_TIMEOUT_SECONDS,
    ) -> None:
        if transport == "http" and not bot_url:
            raise ValueError("an HTTP SimClient needs the bot's request URL (bot_url)")
        self.sim = sim
        self.transport = transport
        self.ack_timeout = ack_timeout
        self._http = HttpTransport(
            url=bot_url or "",
            signing_secret=signing_secret or sim.config.signing_secret,
            clock=sim.clock,
            ack_timeout=ack_timeout,
        )

    async def close(self) -> None:
        await self._http.close()

    async def __aenter__(self) -> SimClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # what people do ------------------------------------------------------------------------

    async def slash_command(
        self,
        *,
        user: str,
        text: str,
        command: str = "/release",
        channel: str = "#releases",
        knobs: Knobs | None = None,
    ) -> BotResponse:
        person, place = self.sim.user(user), self.sim.channel(channel)
        response_url = self.sim.issue_response_url(user=person.id, channel=place.id)
        fields = slash_command_fields(
            config=self.sim.config,
            user=person,
            channel=place,
            command=command,
            text=text,
            response_url=response_url,
            trigger_id=self.sim.issue_trigger(user=person.id),
        )
        if self.transport == "socket":
            response = await self._envelope("slash_commands", fields, accepts_response_payload=True)
        else:
            response = await self._http.post(
                body=urlencode(fields).encode(), content_type=FORM, knobs=knobs or Knobs()
            )
        if response.status == 200 and response.body:
            shown = response.json if isinstance(response.json, dict) else {"text": response.body}
            self.sim.show_response(response_url=response_url, payload=shown)
        return response

    async def click(
        self,
        *,
        user: str,
        message: MessageRef,
        action_id: str,
        value: ElementValue = None,
        block_id: str | None = None,
        knobs: Knobs | None = None,
    ) -> BotResponse:
        """Press a button (or pick ``value`` in a select or checkboxes) on a message."""
        person = self.sim.user(user)
        target = self.sim.resolve_message(message)
        channel = self.sim.workspace.channels[target.channel]
        found_block, element = find_element(target.blocks, action_id=action_id, block_id=block_id)
        container: JsonDict = {
            "type": "message",
            "message_ts": target.ts,
            "channel_id": channel.id,
            "is_ephemeral": isinstance(target, SimEphemeral),
        }
        if target.thread_ts:
            container["thread_ts"] = target.thread_ts
        is_message = isinstance(target, SimMessage)
        response_url = self.sim.issue_response_url(
            user=person.id,
            channel=channel.id,
            message_ts=target.ts if is_message else None,
            ephemeral=target if isinstance(target, SimEphemeral) else None,
            thread_ts=target.thread_ts,
        )
        payload = block_actions_payload(
            config=self.sim.config,
            user=person,
            container=container,
            actions=[self._action(element, found_block, value)],
            state=state_values(target.blocks, overrides={(found_block, action_id): value}),
            trigger_id=self.sim.issue_trigger(user=person.id),
            channel=channel,
            message=message_json(target, config=self.sim.config)
            if isinstance(target, SimMessage)
            else None,
            response_url=response_url,
        )
        return await self._interactive(payload, knobs=knobs, accepts_response_payload=False)

    async def click_in_view(
        self,
        *,
        user: str,
        view_id: str,
        action_id: str,
        value: ElementValue = None,
        block_id: str | None = None,
        knobs: Knobs | None = None,
    ) -> BotResponse:
        """Press a button (or change an element) in a modal or on the App Home tab."""
        person, view = self.sim.user(user), self.sim.view(view_id)
        found_block, element = find_element(view.blocks, action_id=action_id, block_id=block_id)
        state = state_values(view.blocks, overrides={(found_block, action_id): value})
        payload = block_actions_payload(
            config=self.sim.config,
            user=person,
            container={"type": "view", "view_id": view.id},
            actions=[self._action(element, found_block, value)],
            state=state,
            trigger_id=self.sim.issue_trigger(user=person.id),
            view={**view.view, "state": {"values": state}},
        )
        return await self._interactive(payload, knobs=knobs, accepts_response_payload=False)

    async def submit_view(
        self,
        *,
        user: str,
        view_id: str,
        values: dict[str, dict[str, ElementValue]] | None = None,
        knobs: Knobs | None = None,
    ) -> BotResponse:
        """Submit an open modal. ``values`` maps block_id, then action_id, to what the person
        entered: text, an option value, or a list of option values."""
        person, view = self.sim.user(user), self.sim.view(view_id)
        if view.closed:
            raise SimulatorError(f"view {view_id} is closed")
        overrides: dict[tuple[str, str], ElementValue] = {}
        for block_id, entries in (values or {}).items():
            for action_id, value in entries.items():
                find_element(view.blocks, action_id=action_id, block_id=block_id)
                overrides[(block_id, action_id)] = value
        payload = view_submission_payload(
            config=self.sim.config,
            user=person,
            view=view,
            state=state_values(view.blocks, overrides=overrides),
            trigger_id=self.sim.issue_trigger(user=person.id),
        )
        response = await self._interactive(payload, knobs=knobs, accepts_response_payload=True)
        if response.status == 200:
            apply_submission_answer(self.sim.workspace, self.sim.config, view, response.json)
        return response

    async def event(
        self,
        *,
        event: JsonDict,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        knobs: Knobs | None = None,
    ) -> BotResponse:
        """Deliver an Events API event (``retry_num`` marks it as Slack's n-th retry)."""
        event = {"event_ts": self.sim.workspace.next_ts(), **event}
        body = event_callback(
            config=self.sim.config,
            event=event,
            event_id="Ev" + secrets.token_hex(5).upper(),
            event_time=int(self.sim.clock()),
        )
        if self.transport == "socket":
            return await self._envelope(
                "events_api",
                body,
                accepts_response_payload=False,
                retry_attempt=retry_num,
                retry_reason=retry_reason if retry_num else None,
            )
        knobs = knobs or Knobs()
        if retry_num is not None:
            retry = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
            knobs = Knobs(knobs.timestamp, knobs.signature, {**retry, **knobs.headers})
        return await self._http.post(
            body=json.dumps(body).encode(), content_type="application/json", knobs=knobs
        )

    async def say(
        self,
        *,
        user: str,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        knobs: Knobs | None = None,
    ) -> BotResponse:
        """A person writes in a channel: the message is stored and the bot gets a ``message``
        event, or ``app_mention`` when the text mentions the bot."""
        message = self.sim.post_as(user=user, channel=channel, text=text, thread_ts=thread_ts)
        place = self.sim.workspace.channels[message.channel]
        event = message_event(message, channel=place, bot_user_id=self.sim.config.bot_user_id)
        return await self.event(event=event, knobs=knobs)

    async def post_raw(
        self, *, body: bytes, content_type: str, knobs: Knobs | None = None
    ) -> BotResponse:
        """Send ``body`` as is (signed unless ``knobs`` say otherwise), over HTTP."""
        return await self._http.post(body=body, content_type=content_type, knobs=knobs or Knobs())

    # plumbing ------------------------------------------------------------------------------

    def _action(self, element: JsonDict, block_id: str, value: ElementValue) -> JsonDict:
        return action_json(
            element, block_id=block_id, value=value, action_ts=self.sim.workspace.next_ts()
        )

    async def _interactive(
        self, payload: JsonDict, *, knobs: Knobs | None, accepts_response_payload: bool
    ) -> BotResponse:
        if self.transport == "socket":
            return await self._envelope(
                "interactive", payload, accepts_response_payload=accepts_response_payload
            )
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._http.post(body=body, content_type=FORM, knobs=knobs or Knobs())

    async def _envelope(
        self,
        envelope_type: EnvelopeType,
        payload: JsonDict,
        *,
        accepts_response_payload: bool,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> BotResponse:
        ack = await self.sim.socket.send(
            envelope_type=envelope_type,
            payload=payload,
            accepts_response_payload=accepts_response_payload,
            ack_timeout=self.ack_timeout,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
        )
        return BotResponse.from_ack(ack)
