"""The gate report in Block Kit: layout, tags, escaping, the failures button, modal and file.

Every block built here also goes through slack_sdk's own ``to_dict()``, which runs the
library's validators (section text at most 3000 characters, a modal at most 100 blocks, a
button's text and value within bounds), so Slack's limits are checked by Slack's SDK, not only
by the numbers these tests assume.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.gates import FailedTest, Gate, GateResult, Outcome, Override, Verdict
from bot.services.gate_models import GateLine, GateReport
from bot.slack.gate_views import (
    MODAL_BLOCKS,
    MODAL_FAILURES,
    SECTION_LIMIT,
    SHOWN,
    FailuresButton,
    GateAction,
    clip,
    failures_markdown,
    failures_modal,
    gate_report,
    too_long_modal,
)
from tests.services.fakes import release_info

NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
EVIL = "<!channel> <@U123> & co"
ESCAPED = "&lt;!channel&gt; &lt;@U123&gt; &amp; co"
MESSAGE_BLOCKS = 50  # Slack's limit for one message
RELEASE = release_info()


def result(
    gate: Gate,
    verdict: Verdict = Verdict.FAIL,
    *,
    failures: Sequence[FailedTest] = (),
    flaky: Sequence[str] = (),
    reasons: Sequence[str] = (),
    summary: str = "10 tests",
) -> GateResult:
    return GateResult(
        gate=gate,
        verdict=verdict,
        summary=summary,
        reasons=tuple(reasons),
        failures=tuple(failures),
        flaky=tuple(flaky),
    )


def failing(gate: Gate, *failures: FailedTest, build_url: str | None = None) -> GateLine:
    return GateLine(
        gate=gate, verdict=Verdict.FAIL, result=result(gate, failures=failures), build_url=build_url
    )


def passing(gate: Gate, *, summary: str = "10 tests") -> GateLine:
    return GateLine(
        gate=gate, verdict=Verdict.PASS, result=result(gate, Verdict.PASS, summary=summary)
    )


def report(
    *lines: GateLine, outcome: Outcome = Outcome.FAILED, deadline: datetime | None = None
) -> GateReport:
    return GateReport(
        release=RELEASE, policy="default", outcome=outcome, lines=lines, deadline=deadline
    )


def validated(blocks: Sequence[Block]) -> list[dict[str, object]]:
    """Each block as Slack receives it; slack_sdk raises if one breaks a Block Kit limit."""
    return [block.to_dict() for block in blocks]


def sections(blocks: Sequence[Block]) -> list[str]:
    texts = []
    for block in blocks:
        if isinstance(block, SectionBlock):
            assert isinstance(block.text, MarkdownTextObject)
            texts.append(block.text.text)
    return texts


def button_of(blocks: Sequence[Block]) -> ButtonElement:
    [actions] = [block for block in blocks if isinstance(block, ActionsBlock)]
    [button] = actions.elements
    assert isinstance(button, ButtonElement)
    return button


def context_of(blocks: Sequence[Block]) -> str:
    [context] = [block for block in blocks if isinstance(block, ContextBlock)]
    [element] = context.elements
    assert isinstance(element, MarkdownTextObject)
    return element.text


def view_sections(view: View) -> list[str]:
    return sections(view.blocks or [])


# -- the message --------------------------------------------------------------------------------


def test_a_section_per_gate_between_the_header_and_the_context_and_button() -> None:
    lines = [
        failing(Gate.UNIT, FailedTest(name="test_a"), build_url="https://ci.example/1"),
        passing(Gate.INTEGRATION),
        GateLine(gate=Gate.E2E, verdict=Verdict.PENDING, note="waiting"),
        GateLine(gate=Gate.COVERAGE, verdict=Verdict.FAIL, note="no report within 2h"),
        GateLine(
            gate=Gate.PERFORMANCE,
            verdict=Verdict.OVERRIDDEN,
            override=Override(gate=Gate.PERFORMANCE, actor="U0RM", reason="known slow", at=NOW),
        ),
        passing(Gate.SECURITY, summary="0 findings"),
    ]
    text, blocks = gate_report(report(*lines, deadline=NOW))

    assert [type(block) for block in blocks] == [
        SectionBlock, *[SectionBlock] * len(Gate), ContextBlock, ActionsBlock,
    ]  # fmt: skip
    header, *per_gate = sections(blocks)
    assert header == (
        "*Quality gates of web/2024.05.1* · blocked by failing gates · policy `default`"
    )
    assert [s.split("\n")[0] for s in per_gate] == [
        "❌ *unit* · fail · 10 tests",
        "✅ *integration* · pass · 10 tests",
        "⏳ *e2e* · pending",
        "❌ *coverage* · fail",
        "⚠️ *performance* · overridden",
        "✅ *security* · pass · 0 findings",
    ]
    assert per_gate[2] == "⏳ *e2e* · pending\n_waiting_"
    assert per_gate[3] == "❌ *coverage* · fail\n_no report within 2h_"
    assert per_gate[4] == "⚠️ *performance* · overridden\nOverridden by <@U0RM>: known slow"
    assert text == (
        "Quality gates of web/2024.05.1: unit fail, integration pass, e2e pending, "
        "coverage fail, performance overridden, security pass"
    )
    validated(blocks)


@pytest.mark.parametrize(
    ("outcome", "phrase"),
    [
        (Outcome.PASSED, "all gates pass"),
        (Outcome.FAILED, "blocked by failing gates"),
        (Outcome.PENDING, "waiting for CI"),
    ],
)
def test_the_header_says_the_outcome(outcome: Outcome, phrase: str) -> None:
    _, blocks = gate_report(report(passing(Gate.UNIT), outcome=outcome))
    assert sections(blocks)[0] == f"*Quality gates of web/2024.05.1* · {phrase} · policy `default`"


@pytest.mark.parametrize(
    ("failure", "bullet"),
    [
        (FailedTest(name="t"), "• `t`"),
        (FailedTest(name="t", message="boom"), "• `t`: boom"),
        (FailedTest(name="t", critical=True), "• `t` _(critical)_"),
        (FailedTest(name="t", new=True), "• `t` _(new)_"),
        (FailedTest(name="t", new=False), "• `t` _(known)_"),
        (FailedTest(name="t", allowed=True), "• `t` _(allowed)_"),
        (FailedTest(name="t", message="m", critical=True, new=True), "• `t` _(critical, new)_: m"),
        (FailedTest(name="t", new=False, allowed=True), "• `t` _(known, allowed)_"),
    ],
)
def test_failing_tests_are_tagged(failure: FailedTest, bullet: str) -> None:
    for view_text in (
        sections(gate_report(report(failing(Gate.E2E, failure)))[1])[1],
        view_sections(modal(report(failing(Gate.E2E, failure))))[0],
    ):
        assert view_text.split("\n")[1] == bullet


def test_the_first_failures_are_named_and_the_rest_counted() -> None:
    failures = [FailedTest(name=f"test_{i}") for i in range(SHOWN + 3)]
    _, blocks = gate_report(report(failing(Gate.UNIT, *failures)))

    unit = sections(blocks)[1].split("\n")
    assert unit[1:] == [
        *(f"• `test_{i}`" for i in range(SHOWN)),
        "_…and 3 more: see all failures_",
    ]
    assert button_of(blocks).text.text == f"Show all failures ({SHOWN + 3})"


def test_flaky_tests_are_listed_apart_from_failures() -> None:
    flaky = [f"flaky_{i}" for i in range(SHOWN + 2)]
    line = GateLine(
        gate=Gate.UNIT,
        verdict=Verdict.PASS,
        result=result(Gate.UNIT, Verdict.PASS, flaky=flaky),
    )
    _, blocks = gate_report(report(line, outcome=Outcome.PASSED))

    unit = sections(blocks)[1].split("\n")
    names = ", ".join(f"`flaky_{i}`" for i in range(SHOWN))
    assert unit[1:] == [f"Flaky (passed on a rerun): {names} and 2 more"]
    assert not any(line.startswith("•") for line in unit)  # a flaky test is no failure
    assert not any(isinstance(block, ActionsBlock) for block in blocks)


def test_reasons_follow_a_failing_gate_plainly_and_a_passing_one_in_italics() -> None:
    failed = GateLine(
        gate=Gate.COVERAGE,
        verdict=Verdict.FAIL,
        result=result(Gate.COVERAGE, reasons=["line 80.0% < 90.0%", ""], summary="line 80.0%"),
    )
    passed = GateLine(
        gate=Gate.SECURITY,
        verdict=Verdict.PASS,
        result=result(Gate.SECURITY, Verdict.PASS, reasons=["B602 allowed until 2024-06-01"]),
    )
    _, blocks = gate_report(report(failed, passed))
    assert sections(blocks)[1:] == [
        "❌ *coverage* · fail · line 80.0%\nline 80.0% &lt; 90.0%",
        "✅ *security* · pass · 10 tests\n_B602 allowed until 2024-06-01_",
    ]


def test_everything_from_a_report_or_a_person_is_escaped() -> None:
    lines = [
        GateLine(
            gate=Gate.UNIT,
            verdict=Verdict.FAIL,
            result=result(
                Gate.UNIT,
                failures=[FailedTest(name=EVIL, message=EVIL)],
                flaky=[EVIL],
                reasons=[f"{EVIL} failed"],
                summary=f"1 failed: {EVIL}",
            ),
        ),
        GateLine(
            gate=Gate.SECURITY,
            verdict=Verdict.PASS,
            result=result(Gate.SECURITY, Verdict.PASS, reasons=[f"allowed: {EVIL}"]),
        ),
        GateLine(
            gate=Gate.COVERAGE,
            verdict=Verdict.OVERRIDDEN,
            note=EVIL,
            override=Override(gate=Gate.COVERAGE, actor="U0RM", reason=EVIL, at=NOW),
        ),
    ]
    the_report = report(*lines)
    _, blocks = gate_report(the_report)
    unit, security, coverage = sections(blocks)[1:]

    assert unit.split("\n") == [
        f"❌ *unit* · fail · 1 failed: {ESCAPED}",
        f"{ESCAPED} failed",
        f"• `{ESCAPED}`: {ESCAPED}",
        f"Flaky (passed on a rerun): `{ESCAPED}`",
    ]
    assert security.split("\n")[1] == f"_allowed: {ESCAPED}_"
    assert coverage.split("\n")[1:] == [f"_{ESCAPED}_", f"Overridden by <@U0RM>: {ESCAPED}"]
    modal_text = "\n".join(view_sections(modal(the_report)))
    assert f"• `{ESCAPED}`: {ESCAPED}" in modal_text
    for text in [*sections(blocks), modal_text]:
        assert "<!channel>" not in text
        assert "<@U123>" not in text
        assert " & " not in text


def test_the_button_carries_a_versioned_value_that_parses_back() -> None:
    failures = [FailedTest(name="a"), FailedTest(name="b")]
    _, blocks = gate_report(report(failing(Gate.UNIT, *failures), failing(Gate.E2E, failures[0])))

    button = button_of(blocks)
    assert button.text.text == "Show all failures (3)"
    assert button.action_id == GateAction.SHOW_FAILURES == "gates.show_failures"
    assert button.value is not None
    parsed = FailuresButton.model_validate_json(button.value)
    assert parsed == FailuresButton(release_id=42)
    assert parsed.v == 1
    # an older or newer button with fields this version does not know still resolves
    assert FailuresButton.model_validate_json('{"v": 1, "release_id": 42, "x": 1}') == parsed
    assert isinstance(blocks[-1], ActionsBlock)
    validated(blocks)


def test_no_button_without_failures_and_no_context_without_url_or_deadline() -> None:
    line = passing(Gate.UNIT)
    _, blocks = gate_report(report(line, outcome=Outcome.PASSED))
    assert [type(block) for block in blocks] == [SectionBlock, SectionBlock]


def test_the_context_links_the_last_build_and_dates_the_deadline_for_each_reader() -> None:
    deadline = datetime(2024, 5, 1, 11, 30, tzinfo=UTC)
    lines = [
        GateLine(gate=Gate.UNIT, verdict=Verdict.PASS, build_url="https://ci.example/1"),
        GateLine(gate=Gate.INTEGRATION, verdict=Verdict.PENDING),
        GateLine(gate=Gate.E2E, verdict=Verdict.PASS, build_url="https://ci.example/2"),
    ]
    _, blocks = gate_report(report(*lines, outcome=Outcome.PENDING, deadline=deadline))

    assert context_of(blocks) == (
        "<https://ci.example/2|CI build> · Gates with no report fail at "
        f"<!date^{int(deadline.timestamp())}^{{date_short_pretty}} {{time}}|2024-05-01 11:30 UTC>"
    )
    _, only_deadline = gate_report(report(lines[1], outcome=Outcome.PENDING, deadline=deadline))
    assert context_of(only_deadline).startswith("Gates with no report fail at <!date^1714563000^")
    _, only_build = gate_report(report(lines[0], outcome=Outcome.PASSED))
    assert context_of(only_build) == "<https://ci.example/1|CI build>"


def huge_report(failures: int, *, size: int = 5000) -> GateReport:
    """``failures`` failing tests over the three test gates, everything ``size`` characters."""
    big = "x" * size
    test_gates = (Gate.UNIT, Gate.INTEGRATION, Gate.E2E)
    lines = [
        GateLine(
            gate=gate,
            verdict=Verdict.FAIL,
            result=result(
                gate,
                failures=[
                    FailedTest(name=f"{i}{big}", message=f"{i}{EVIL}{big}", critical=True, new=True)
                    for i in range(failures)
                    if i % len(test_gates) == g
                ],
                flaky=[f"{i}{big}" for i in range(failures // 3)],
                reasons=[f"{EVIL}{big}"] * 20,
                summary=big,
            ),
            note=big,
            build_url=f"https://ci.example/{g}",
        )
        for g, gate in enumerate(test_gates)
    ]
    lines += [
        GateLine(
            gate=gate,
            verdict=Verdict.OVERRIDDEN,
            result=result(gate, reasons=[big] * 20, summary=big),
            override=Override(gate=gate, actor="U0RM", reason=EVIL * 1000, at=NOW),
        )
        for gate in (Gate.COVERAGE, Gate.PERFORMANCE, Gate.SECURITY)
    ]
    return report(*lines, deadline=NOW)


def test_the_message_stays_within_slacks_limits_whatever_the_reports_hold() -> None:
    huge = huge_report(10_000)
    _, blocks = gate_report(huge)

    assert len(blocks) <= MESSAGE_BLOCKS
    assert len(blocks) == 1 + len(Gate) + 2
    assert all(len(text) <= SECTION_LIMIT for text in sections(blocks))
    assert len(context_of(blocks)) <= SECTION_LIMIT
    assert button_of(blocks).text.text == "Show all failures (10000)"
    validated(blocks)  # slack_sdk agrees: no section over 3000 characters
    unit = sections(blocks)[1]
    assert unit.startswith("❌ *unit* · fail · xxx")
    assert unit.endswith("…")


def test_the_sdk_refuses_what_the_limits_guard_against() -> None:
    """So that ``validated`` and ``view.to_dict()`` in these tests have teeth."""
    with pytest.raises(SlackObjectFormationError, match="3000"):
        SectionBlock(text=MarkdownTextObject(text="x" * (SECTION_LIMIT + 1))).to_dict()
    one = SectionBlock(text=MarkdownTextObject(text="x"))
    with pytest.raises(SlackObjectFormationError, match="100"):
        View(type="modal", title="t", blocks=[one] * (MODAL_BLOCKS + 1)).to_dict()


# -- all failures: the modal, or a file ---------------------------------------------------------


def modal(the_report: GateReport) -> View:
    view = failures_modal(the_report)
    assert view is not None
    view.to_dict()  # slack_sdk's validation: at most 100 blocks, sections within 3000
    return view


def test_the_modal_lists_every_failure_within_slacks_limits() -> None:
    view = modal(huge_report(MODAL_FAILURES))

    assert view.type == "modal"
    assert view.title is not None
    assert view.title.text == "Failing tests"
    assert view.close is not None
    assert view.close.text == "Close"
    texts = view_sections(view)
    assert 1 < len(texts) <= MODAL_BLOCKS
    assert all(len(text) <= SECTION_LIMIT for text in texts)
    lines = "\n".join(texts).split("\n")
    headings = [line for line in lines if line.startswith("*")]
    assert headings == [
        "*unit* (67 failing)",
        "*integration* (67 failing)",
        "*e2e* (66 failing)",
    ]
    bullets = [line for line in lines if line.startswith("•")]
    numbers = [int(bullet.removeprefix("• `").split("x", 1)[0]) for bullet in bullets]
    assert numbers == [*range(0, 200, 3), *range(1, 200, 3), *range(2, 200, 3)]
    clipped = re.compile(rf"• `(\d+)x{{190,198}}…` _\(critical, new\)_: \1{ESCAPED}x+…")
    assert all(clipped.fullmatch(bullet) for bullet in bullets)  # names and messages cut short


def test_more_failures_than_a_modal_shows_get_none() -> None:
    assert failures_modal(huge_report(MODAL_FAILURES + 1, size=10)) is None


def test_a_list_that_would_need_over_100_blocks_gets_none() -> None:
    """Names that escaping makes five times longer: few fit in a section, so it is a file."""
    failures = [FailedTest(name="&" * 5000, message="<" * 5000) for _ in range(MODAL_FAILURES)]
    assert failures_modal(report(failing(Gate.UNIT, *failures))) is None


def test_a_modal_without_failures_says_so() -> None:
    line = passing(Gate.UNIT)
    assert view_sections(modal(report(line))) == ["No failing tests."]


def test_the_markdown_file_lists_every_failure_whole_with_its_tags() -> None:
    long_name = "test_" + "y" * 5000
    lines = [
        failing(
            Gate.UNIT,
            FailedTest(name=EVIL, message="boom", critical=True, new=True),
            FailedTest(name=long_name, new=False, allowed=True),
            FailedTest(name="plain"),
        ),
        passing(Gate.INTEGRATION),
        failing(Gate.E2E, FailedTest(name="checkout", message="timeout", critical=True)),
    ]
    assert failures_markdown(report(*lines)) == "\n".join([
        "# Failing tests of web/2024.05.1",
        "",
        "## unit (3 failing)",
        "",
        f"- `{EVIL}` (critical, new): boom",  # a file pings nobody: no escaping
        f"- `{long_name}` (known, allowed)",
        "- `plain`",
        "",
        "## e2e (1 failing)",
        "",
        "- `checkout` (critical): timeout",
        "",
    ])  # fmt: skip


def test_the_markdown_file_of_ten_thousand_failures_holds_them_all() -> None:
    text = failures_markdown(huge_report(10_000, size=20))
    assert text.count("\n- `") == 10_000
    assert "## unit (3334 failing)" in text


def test_the_too_long_modal_points_at_the_file() -> None:
    view = too_long_modal(count=1234, filename="failures-web-2024.05.1.md")
    view.to_dict()
    assert view.type == "modal"
    assert view.title is not None
    assert view.title.text == "Failing tests"
    assert view_sections(view) == [
        "1234 failing tests are too many to list here: the full list is attached in the "
        "release thread as `failures-web-2024.05.1.md`."
    ]


@pytest.mark.parametrize("cut_at", range(1, 8))
def test_clipping_never_splits_an_escaped_entity(cut_at: int) -> None:
    text = "x" * cut_at + "&amp;&lt;&gt;" * 3
    clipped = clip(text, cut_at + 4)
    assert len(clipped) <= cut_at + 4
    body = clipped.removesuffix("…")
    assert body.count("&") == body.count(";")
