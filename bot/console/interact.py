"""Pressing numbered elements, and filling, submitting or closing modals."""

from __future__ import annotations

from collections.abc import Callable

from bot.console import text
from bot.console.controls import Controls, MessageTarget, Numbered, ViewTarget
from bot.console.feed import Feed
from bot.console.forms import FormInput, choices, form_inputs, parse_value
from bot.console.mrkdwn import Names
from bot.console.people import names_of
from bot.console.render import ControlKind
from bot.console.terminal import Terminal
from bot.sim.slack import BotResponse, SimClient, SimulatorError, SlackSimulator
from bot.sim.slack.modals import close_modal
from bot.sim.slack.payloads import ElementValue, find_element

Lookup = Callable[[str], str]


class Interactions:
    """What a person does with what the bot showed: buttons, options, fields and forms."""

    def __init__(
        self,
        *,
        sim: SlackSimulator,
        people: SimClient,
        controls: Controls,
        feed: Feed,
        terminal: Terminal,
        you: Callable[[], str],
        user_id: Lookup,
        channel_id: Lookup,
    ) -> None:
        self.sim, self.people, self.controls = sim, people, controls
        self.feed, self.terminal, self.you = feed, terminal, you
        self._user_id, self._channel_id = user_id, channel_id

    def say(self, message: str) -> None:
        self.terminal.write(message)

    def accepted(self, response: BotResponse) -> bool:
        """True for a 2xx answer; otherwise say what the bot answered."""
        if response.ok:
            return True
        self.say(text.BOT_REFUSED.format(status=response.status, body=response.body[:200]))
        return False

    # pressing ---------------------------------------------------------------------------

    async def press(self, number: int, value: str | None) -> None:
        numbered = self.controls.get(number)
        if numbered is None:
            last = self.controls.last_number
            self.say(
                text.NO_SUCH_NUMBER.format(number=number, last=last)
                if last
                else text.NOTHING_TO_PRESS
            )
            return
        control = numbered.control
        shown = {"number": number, "label": control.label}
        try:
            element = self._element(numbered)
        except SimulatorError:
            self.say(text.GONE.format(**shown))
            return
        sent: ElementValue
        if control.kind is ControlKind.FIELD:
            if not value:
                self.say(text.NEEDS_VALUE.format(**shown))
                return
            sent = self._parse(element, value)
            said = text.FILLED.format(value=value, **shown)
        elif value:
            self.say(text.NO_VALUE_HERE.format(**shown))
            return
        elif control.kind is ControlKind.CHECKBOX:
            ticked, sent = self.controls.toggle(numbered)
            said = (text.TICKED if ticked else text.UNTICKED).format(**shown)
        else:
            sent = control.value
            done = text.PRESSED if control.kind is ControlKind.BUTTON else text.PICKED
            said = done.format(**shown)
        if control.in_input:
            self.controls.set(numbered.key, sent)
            self.say(text.SET_IN_FORM.format(message=said))
            return
        if self.accepted(await self._click(numbered, sent)):
            self.say(said)
            await self.feed.settle(expect_reply=False)

    async def _click(self, numbered: Numbered, value: ElementValue) -> BotResponse:
        control, target = numbered.control, numbered.target
        block_id = control.block_id or None
        if isinstance(target, MessageTarget):
            return await self.people.click(
                user=self.you(),
                message=(target.channel, target.ts),
                action_id=control.action_id,
                block_id=block_id,
                value=value,
            )
        return await self.people.click_in_view(
            user=self.you(),
            view_id=target.view_id,
            action_id=control.action_id,
            block_id=block_id,
            value=value,
        )

    def _element(self, numbered: Numbered) -> dict[str, object]:
        """The element as it is now (its message or view may have changed since)."""
        target, control = numbered.target, numbered.control
        if isinstance(target, MessageTarget):
            blocks = self.sim.resolve_message((target.channel, target.ts)).blocks
        else:
            view = self.sim.view(target.view_id)
            if view.closed:
                raise SimulatorError(f"view {view.id} is closed")
            blocks = view.blocks
        return find_element(blocks, action_id=control.action_id, block_id=control.block_id)[1]

    def _parse(self, element: dict[str, object], typed: str) -> ElementValue:
        return parse_value(
            element, typed, names=self._names(), user=self._user_id, channel=self._channel_id
        )

    def _names(self) -> Names:
        return names_of(self.sim)

    # modals -----------------------------------------------------------------------------

    async def submit(self) -> None:
        """Send the open modal, first asking for each required input left empty."""
        modals = self.sim.open_modals(self.you())
        if not modals:
            self.say(text.NO_MODAL)
            return
        view = modals[-1]
        fields = form_inputs(view.blocks, names=self._names())
        for field in fields:
            key = (ViewTarget(view.id), field.block_id, field.action_id)
            if field.optional or field.has_initial or self.controls.filled(key):
                continue
            value = await self._ask(field)
            if value is None:
                self.say(text.SUBMIT_ABANDONED)
                return
            self.controls.set(key, value)
        response = await self.people.submit_view(
            user=self.you(), view_id=view.id, values=self.controls.form_values(view.id)
        )
        if not self.accepted(response):
            return
        answer = response.json if isinstance(response.json, dict) else {}
        if answer.get("response_action") == "errors":
            labels = {f.block_id: f.label for f in fields}
            lines = [text.FORM_ERRORS]
            for block_id, error in (answer.get("errors") or {}).items():
                label = labels.get(block_id, block_id)
                lines.append(text.FORM_ERROR.format(label=label, error=error))
            self.say("\n".join(lines))
        await self.feed.settle(expect_reply=False)

    async def _ask(self, field: FormInput) -> ElementValue:
        """Ask for one input until the answer reads; None at the end of the input."""
        options = ", ".join(label for label, _ in choices(field.element, names=self._names()))
        prompt = text.ASK_FIELD.format(
            label=field.label, choices=text.CHOICES.format(options=options) if options else ""
        )
        while True:
            typed = await self.terminal.read_line(prompt)
            if typed is None:
                return None
            try:
                value = self._parse(field.element, typed)
            except LookupError as error:
                self.say(one_line(error))
                continue
            if value not in (None, []):
                return value

    async def cancel(self) -> None:
        """Close the top modal, as its Cancel button does."""
        modals = self.sim.open_modals(self.you())
        if not modals:
            self.say(text.NO_MODAL)
            return
        close_modal(self.sim.workspace, modals[-1])
        await self.feed.settle(expect_reply=False)


def one_line(error: BaseException) -> str:
    """An error's message on one line (KeyError quotes its message; drop the quotes)."""
    message = str(error).strip()
    if isinstance(error, KeyError) and len(message) > 1 and message[0] == message[-1] == "'":
        message = message[1:-1]
    return " ".join(message.split()) or type(error).__name__
