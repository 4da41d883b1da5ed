"""The live feed: every change in the simulated workspace, printed as it happens.

::

    #releases · Stationmaster · only visible to you
      Stationmaster runs your releases. ...

        ↳ #releases · Stationmaster · reply in the thread of 'Release 2024.05.1'
            Gates passed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.console import text
from bot.console.controls import Controls, MessageTarget, Target, ViewTarget
from bot.console.mrkdwn import Names, plain, to_text
from bot.console.people import names_of
from bot.console.render import Rendered, render_blocks, text_of
from bot.console.terminal import Terminal
from bot.observability.logs import get_logger
from bot.sim.slack import (
    SimEphemeral,
    SimEvent,
    SimEventKind,
    SimMessage,
    SimulatorError,
    SimView,
    SlackSimulator,
)

log = get_logger(__name__)

BODY = "  "
THREAD = "    "
SNIPPET = 40
POLL_SECONDS = 0.05
#: After a command, print what follows until the workspace has been quiet this long...
QUIET_SECONDS = 0.3
#: ...and, when the bot owes an answer (an empty ack), wait this long for it.
REPLY_SECONDS = 3.0

_VIEW_HEADERS = {
    SimEventKind.VIEW_OPENED: text.MODAL_OPENED,
    SimEventKind.VIEW_UPDATED: text.MODAL_UPDATED,
    SimEventKind.VIEW_PUSHED: text.MODAL_PUSHED,
    SimEventKind.VIEW_CLOSED: text.MODAL_CLOSED,
    SimEventKind.VIEW_PUBLISHED: text.HOME_PUBLISHED,
}


class Feed:
    def __init__(
        self,
        *,
        sim: SlackSimulator,
        controls: Controls,
        terminal: Terminal,
        you: Callable[[], str],
    ) -> None:
        self._sim = sim
        self._controls = controls
        self._terminal = terminal
        self._you = you
        self._queue = sim.subscribe()
        self._shown = 0
        self._last = 0.0

    def close(self) -> None:
        self._sim.unsubscribe(self._queue)

    async def run(self) -> None:
        """Print events until cancelled; one that cannot be shown is one line, not the end."""
        while True:
            event = await self._queue.get()
            try:
                self.show(event)
            except Exception as error:
                log.exception("console could not show an event", kind=event.kind.value)
                self._terminal.write(text.UNSHOWABLE.format(kind=event.kind.value, error=error))

    def show(self, event: SimEvent) -> None:
        shown = self.describe(event)
        self._last = asyncio.get_running_loop().time()
        if shown:
            self._terminal.write("\n" + shown)
            self._shown += 1

    async def settle(self, *, expect_reply: bool) -> bool:
        """Wait until what the last command caused has been printed; True if anything was."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        shown = self._shown
        self._last = max(self._last, start)
        while True:
            await asyncio.sleep(POLL_SECONDS)
            now = loop.time()
            if not self._queue.empty():
                continue
            got = self._shown > shown
            if now - self._last >= QUIET_SECONDS and (got or not expect_reply):
                return got
            if now - start >= REPLY_SECONDS:
                return got

    # describing events ------------------------------------------------------------------

    def describe(self, event: SimEvent) -> str | None:
        names = names_of(self._sim)
        if event.view is not None:
            return self._view(event.kind, event.view, names=names)
        if event.message is not None:
            return self._message(event.kind, event.message, names=names)
        if event.ephemeral is not None:
            return self._ephemeral(event.kind, event.ephemeral, names=names)
        if event.reaction is not None:
            reaction = event.reaction
            return text.REACTION.format(
                where=self._where(reaction.channel, names=names),
                user=self._person(reaction.user, names=names),
                name=reaction.name,
                message=self._snippet(reaction.channel, reaction.ts, names=names),
            )
        if event.file is not None:
            return text.FILE_SHARED.format(
                where=self._where(event.channel or "", names=names),
                name=event.file.name,
                size=event.file.length,
            )
        return None

    def _message(self, kind: SimEventKind, message: SimMessage, *, names: Names) -> str:
        where = self._where(message.channel, names=names)
        author = self._author(message.user or message.bot_id or "", names=names)
        if kind is SimEventKind.DELETED:
            return text.DELETED.format(where=where, author=author)
        tags = [text.EDITED] if kind is SimEventKind.UPDATED else []
        body = self._body(message.text, message.blocks, MessageTarget(message.channel, message.ts))
        parent = message.thread_ts if message.is_reply else None
        return self._framed(where, author, tags, body, message.channel, parent, names=names)

    def _ephemeral(self, kind: SimEventKind, ephemeral: SimEphemeral, *, names: Names) -> str:
        where = self._where(ephemeral.channel, names=names)
        author = self._author(self._sim.config.bot_user_id, names=names)
        if kind is SimEventKind.DELETED:
            return text.DELETED.format(where=where, author=author)
        mine = ephemeral.user == self._you()
        who = names.users.get(ephemeral.user, ephemeral.user)
        tags = [text.ONLY_YOU if mine else text.ONLY_FOR.format(user=who)]
        if ephemeral.edit_count:
            tags.append(text.EDITED)
        target = MessageTarget(ephemeral.channel, ephemeral.ts)
        body = self._body(ephemeral.text, ephemeral.blocks, target)
        parent = ephemeral.thread_ts
        return self._framed(where, author, tags, body, ephemeral.channel, parent, names=names)

    def _framed(
        self,
        where: str,
        author: str,
        tags: list[str],
        body: list[str],
        channel: str,
        parent: str | None,
        *,
        names: Names,
    ) -> str:
        if parent is None:
            header = " · ".join([where, author, *tags])
            return "\n".join([header, *(BODY + line for line in body)])
        snippet = self._snippet(channel, parent, names=names)
        header = " · ".join([where, author, *tags, text.IN_THREAD.format(parent=snippet)])
        return "\n".join([THREAD + "↳ " + header, *(THREAD + BODY + line for line in body)])

    def _view(self, kind: SimEventKind, view: SimView, *, names: Names) -> str | None:
        template = _VIEW_HEADERS.get(kind)
        if template is None:
            return None
        you = view.user == self._you()
        user = text.YOU if you else names.users.get(view.user, view.user)
        title = text_of(view.view.get("title"), names=names)
        header = template.format(title=title, user=user)
        if kind is SimEventKind.VIEW_CLOSED:
            self._controls.forget(view_id=view.id)
            return header
        rendered = self._rendered(view.blocks, ViewTarget(view.id))
        lines = [header, *(BODY + line for line in rendered.lines)]
        if view.type == "modal":
            close = text_of(view.view.get("close"), names=names) or "Cancel"
            submit = text_of(view.view.get("submit"), names=names)
            if submit:
                lines.append(BODY + text.MODAL_BUTTONS.format(submit=submit, close=close))
            if any(c.in_input for c in rendered.controls):
                lines.append(BODY + text.MODAL_HINT)
        return "\n".join(lines)

    # pieces -----------------------------------------------------------------------------

    def _body(self, fallback: str, blocks: list[dict[str, object]], target: Target) -> list[str]:
        if blocks:
            return self._rendered(blocks, target).lines
        return to_text(fallback, names=names_of(self._sim)).split("\n")

    def _rendered(self, blocks: list[dict[str, object]], target: Target) -> Rendered:
        rendered = render_blocks(
            blocks, names=names_of(self._sim), first_number=self._controls.next_number
        )
        self._controls.register(rendered.controls, target=target)
        return rendered

    def _where(self, channel_id: str, *, names: Names) -> str:
        channel = self._sim.workspace.channels.get(channel_id)
        if channel is not None and channel.is_im and channel.im_user:
            return "DM with @" + names.users.get(channel.im_user, channel.im_user)
        return "#" + names.channels.get(channel_id, channel_id)

    def _author(self, user_id: str, *, names: Names) -> str:
        user = self._sim.workspace.users.get(user_id)
        if user is None:
            return self._sim.workspace.users[self._sim.config.bot_user_id].real_name
        return user.real_name if user.is_bot else user.name

    def _person(self, user_id: str, *, names: Names) -> str:
        return text.YOU if user_id == self._you() else names.users.get(user_id, user_id)

    def _snippet(self, channel: str, ts: str, *, names: Names) -> str:
        try:
            message = self._sim.message(channel, ts)
        except SimulatorError:
            return ts
        words = plain(message.text, names=names)
        return words if len(words) <= SNIPPET else words[: SNIPPET - 1] + "…"
