"""The sign-off request in Block Kit: the release, its gates and notes, the shared checklist,
who approved, and the Approve / Reject / Withdraw buttons; and the Reject modal.

Once the sign-off is decided (approved, rejected, replaced by a new build, or the release
cancelled) the message keeps its record and loses every control.
"""

from __future__ import annotations

from enum import StrEnum

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import messages
from bot.domain.gates import Verdict
from bot.domain.signoff import SignoffStatus
from bot.services.signoff import SignoffView
from bot.slack.gate_views import ReleaseButton
from bot.slack.views import slack_date

__all__ = [
    "REASON_ACTION",
    "REASON_BLOCK",
    "SignoffAction",
    "SignoffButton",
    "reject_modal",
    "signoff_lines",
    "signoff_request",
]

REASON_BLOCK = "reason"
REASON_ACTION = "reason_input"


class SignoffAction(StrEnum):
    APPROVE = "signoff.approve"
    REJECT = "signoff.reject"
    WITHDRAW = "signoff.withdraw"
    CHECKLIST = "signoff.checklist"
    REJECT_MODAL = "signoff.reject_modal"


class SignoffButton(ReleaseButton):
    """The value of a sign-off button: the release and the request it was posted for."""

    request_id: int


def _gates(view: SignoffView) -> str:
    if view.gates is None:
        return "Gates: unknown"
    lines = [line for line in view.gates.lines if line.required]
    passed = sum(line.verdict is Verdict.PASS for line in lines)
    overridden = sum(line.verdict is Verdict.OVERRIDDEN for line in lines)
    extra = f", {overridden} overridden" if overridden else ""
    return f"Gates: {passed} of {len(lines)} pass{extra}"


def _outcome(view: SignoffView) -> str:
    signoff = view.signoff
    if view.superseded:
        return ":arrows_counterclockwise: Superseded by a new build: this request is closed."
    if signoff.status is SignoffStatus.APPROVED:
        return f":white_check_mark: *Approved* by {len(signoff.approvals)} of QA."
    if signoff.status is SignoffStatus.REJECTED:
        why = messages.escape(signoff.reason or "")
        return f":x: *Rejected* by {messages.who(signoff.decided_by or 'someone')}: {why}"
    if signoff.status is SignoffStatus.CANCELLED:
        return ":no_entry_sign: The release was cancelled: this request is closed."
    needed = signoff.needed
    plural = "" if needed == 1 else "s"
    return f"*{needed} more approval{plural} needed* (quorum {signoff.policy.required})."


def signoff_lines(view: SignoffView) -> list[str]:
    """The request as lines of mrkdwn: for the message and for ``/release signoff``."""
    signoff = view.signoff
    lines = [_outcome(view)]
    if signoff.approvals:
        lines.append(
            "Approved by "
            + ", ".join(f"{messages.who(a.user)} ({slack_date(a.at)})" for a in signoff.approvals)
        )
    for item in signoff.policy.checklist:
        tick = signoff.ticked_by(item)
        text = messages.escape(item)
        lines.append(
            f":ballot_box_with_check: {text} — {messages.who(tick.user)}"
            if tick
            else f":white_square: {text}"
        )
    return lines


def _button(view: SignoffView) -> str:
    return SignoffButton(release_id=view.release.id, request_id=view.request_id).model_dump_json()


def signoff_request(view: SignoffView, *, notes_link: str | None = None) -> tuple[str, list[Block]]:
    """The request message: text for notifications, and its blocks."""
    release = view.release
    title = f"QA sign-off: {release.label}"
    commit = f" · `{release.short_sha}`" if release.short_sha else ""
    notes = f" · <{notes_link}|release notes>" if notes_link else ""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{title}*{commit}\n{_gates(view)}{notes}")),
        SectionBlock(text=MarkdownTextObject(text="\n".join(signoff_lines(view)))),
    ]
    if not view.decided:
        value = _button(view)
        checklist = view.signoff.policy.checklist
        if checklist:
            options = [Option(text=item, value=item) for item in checklist]
            ticked = [o for o in options if view.signoff.ticked_by(str(o.value))]
            blocks.append(
                ActionsBlock(
                    block_id=f"signoff_checklist:{view.release.id}:{view.request_id}",
                    elements=[
                        CheckboxesElement(
                            action_id=SignoffAction.CHECKLIST.value,
                            options=options,
                            initial_options=ticked or None,
                        )
                    ],
                )
            )
        blocks.append(
            ActionsBlock(
                block_id="signoff_actions",
                elements=[
                    ButtonElement(
                        text="Approve",
                        action_id=SignoffAction.APPROVE.value,
                        value=value,
                        style="primary",
                    ),
                    ButtonElement(
                        text="Reject",
                        action_id=SignoffAction.REJECT.value,
                        value=value,
                        style="danger",
                    ),
                    ButtonElement(
                        text="Withdraw my approval",
                        action_id=SignoffAction.WITHDRAW.value,
                        value=value,
                    ),
                ],
            )
        )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(text="Only QA can approve or reject; each person counts once.")
            ]
        )
    )
    return title, blocks


def reject_modal(button: SignoffButton, *, label: str) -> View:
    """Reject asks why: the reason is required."""
    return View(
        type="modal",
        callback_id=SignoffAction.REJECT_MODAL.value,
        private_metadata=button.model_dump_json(),
        title="Reject the release",
        submit="Reject",
        close="Cancel",
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"Reject *{messages.escape(label)}*? Release managers are told why."
                )
            ),
            InputBlock(
                block_id=REASON_BLOCK,
                label="Why is it rejected?",
                element=PlainTextInputElement(
                    action_id=REASON_ACTION, multiline=True, max_length=2000
                ),
            ),
        ],
    )
