"""The gate report in Block Kit: one message per release, and the "all failures" modal or file.

Whatever the reports hold, the message stays within Slack's limits: a fixed number of blocks
(a section per gate, a header, a context and the button), every section cut at
:data:`SECTION_LIMIT` characters, and only the first :data:`SHOWN` failures of a gate named.
Everything that came from a report (test names, messages, reasons) is escaped, so a test called
``<!channel>`` pings nobody.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import messages
from bot.domain.gates import FailedTest, Outcome, Verdict
from bot.services.gate_models import GateLine, GateReport
from bot.slack.views import slack_date

SECTION_LIMIT = 3000
MODAL_BLOCKS = 100
MODAL_FAILURES = 200
"""More failing tests than this read better as a file than as a modal to scroll."""
SHOWN = 5
MESSAGE_CHARS = 140

BADGES = {
    Verdict.PASS: "✅",
    Verdict.FAIL: "❌",
    Verdict.PENDING: "⏳",
    Verdict.OVERRIDDEN: "⚠️",
}
OUTCOMES = {
    Outcome.PASSED: "all gates pass",
    Outcome.FAILED: "blocked by failing gates",
    Outcome.PENDING: "waiting for CI",
}


class GateAction(StrEnum):
    SHOW_FAILURES = "gates.show_failures"


class ReleaseButton(BaseModel):
    """The value of a button about one release (versioned, so old buttons keep working)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    v: int = 1
    release_id: int


class FailuresButton(ReleaseButton):
    """The value of a "Show all failures" button."""


def clip(text: str, limit: int = SECTION_LIMIT) -> str:
    """``text`` cut to ``limit`` characters with "…"; never inside ``&amp;``, ``&lt;`` or ``&gt;``,
    so escaped text stays escaped (Slack would show a half entity as it is)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&", max(0, len(cut) - 4))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def _tags(failure: FailedTest) -> list[str]:
    """critical, then new (it passed in the train's last release) or known, then allowed."""
    marks = (
        ("critical", failure.critical),
        ("new", failure.new is True),
        ("known", failure.new is False),
        ("allowed", failure.allowed),
    )
    return [tag for tag, on in marks if on]


def _failure(failure: FailedTest) -> str:
    tags = _tags(failure)
    label = f" _({', '.join(tags)})_" if tags else ""
    why = f": {messages.escape(clip(failure.message, MESSAGE_CHARS))}" if failure.message else ""
    return f"• `{messages.escape(clip(failure.name, 200))}`{label}{why}"


def _line(line: GateLine) -> str:
    head = f"{BADGES[line.verdict]} *{line.gate.value}* · {line.verdict.value}"
    if line.result is not None:
        head += f" · {messages.escape(line.result.summary)}"
    parts = [head]
    if line.note:
        parts.append(f"_{messages.escape(line.note)}_")
    if line.override is not None:
        parts.append(
            f"Overridden by {messages.who(line.override.actor)}: "
            f"{messages.escape(line.override.reason)}"
        )
    if line.result is not None and line.verdict is not Verdict.PASS:
        parts.extend(messages.escape(reason) for reason in line.result.reasons if reason)
    elif line.result is not None:
        parts.extend(f"_{messages.escape(r)}_" for r in line.result.reasons if r)
    failures = line.failures
    if failures:
        parts.extend(_failure(f) for f in failures[:SHOWN])
        if len(failures) > SHOWN:
            parts.append(f"_…and {len(failures) - SHOWN} more: see all failures_")
    if line.flaky:
        names = ", ".join(f"`{messages.escape(clip(n, 120))}`" for n in line.flaky[:SHOWN])
        more = f" and {len(line.flaky) - SHOWN} more" if len(line.flaky) > SHOWN else ""
        parts.append(f"Flaky (passed on a rerun): {names}{more}")
    return clip("\n".join(parts))


def gate_report(report: GateReport) -> tuple[str, list[Block]]:
    """The release's gate message: each gate's status, numbers, first failures and links."""
    release = report.release
    title = f"*Quality gates of {release.label}* · {OUTCOMES[report.outcome]}"
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"{title} · policy `{report.policy}`"))
    ]
    blocks.extend(SectionBlock(text=MarkdownTextObject(text=_line(line))) for line in report.lines)
    notes = []
    if report.build_url:
        notes.append(f"<{report.build_url}|CI build>")
    if report.deadline is not None:
        notes.append(f"Gates with no report fail at {slack_date(report.deadline)}")
    if notes:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(" · ".join(notes)))]))
    if report.failure_count:
        value = FailuresButton(release_id=release.id).model_dump_json()
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text=f"Show all failures ({report.failure_count})",
                        action_id=GateAction.SHOW_FAILURES.value,
                        value=value,
                    )
                ]
            )
        )
    summary = ", ".join(f"{line.gate.value} {line.verdict.value}" for line in report.lines)
    return f"Quality gates of {release.label}: {summary}", blocks


def failure_lines(report: GateReport) -> list[str]:
    """Every failing test of the report, gate by gate, as mrkdwn lines."""
    lines = []
    for line in report.lines:
        if line.failures:
            lines.append(f"*{line.gate.value}* ({len(line.failures)} failing)")
            lines.extend(_failure(f) for f in line.failures)
    return lines


def failures_modal(report: GateReport) -> View | None:
    """A modal listing every failure, or None when the list is too long for one."""
    if report.failure_count > MODAL_FAILURES:
        return None
    sections: list[str] = []
    current = ""
    for text in failure_lines(report):
        text = clip(text)
        if current and len(current) + 1 + len(text) > SECTION_LIMIT:
            sections.append(current)
            current = ""
        current = f"{current}\n{text}" if current else text
    if current:
        sections.append(current)
    if len(sections) > MODAL_BLOCKS:
        return None
    return View(
        type="modal",
        title="Failing tests",
        close="Close",
        blocks=[SectionBlock(text=MarkdownTextObject(text=s)) for s in sections]
        or [SectionBlock(text=MarkdownTextObject(text="No failing tests."))],
    )


def failures_markdown(report: GateReport) -> str:
    """The full failure list as a Markdown file, for when it is too long for a modal."""
    out = [f"# Failing tests of {report.release.label}", ""]
    for line in report.lines:
        if not line.failures:
            continue
        out += [f"## {line.gate.value} ({len(line.failures)} failing)", ""]
        for f in line.failures:
            tags = _tags(f)
            label = f" ({', '.join(tags)})" if tags else ""
            why = f": {f.message}" if f.message else ""
            out.append(f"- `{f.name}`{label}{why}")
        out.append("")
    return "\n".join(out)


def too_long_modal(*, count: int, filename: str) -> View:
    text = (
        f"{count} failing tests are too many to list here: the full list is attached in the "
        f"release thread as `{filename}`."
    )
    return View(
        type="modal",
        title="Failing tests",
        close="Close",
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )
