"""The deploy progress message in Block Kit: the step bar, each service's section, the buttons
each release state allows, the Roll back confirm dialog, escaping, and Slack's limits.

Assertions read ``block.to_dict()``: the JSON Slack receives, after slack_sdk's validators.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.analysis import AnalysisRun, AnalysisSpec, Condition, Measurement, Outcome
from bot.domain.release import ReleaseState
from bot.services.deploy_models import DeployView, ServiceDeploy
from bot.sim.slack.blocks import validate_blocks
from bot.slack.deploy_views import (
    SHOWN_SERVICES,
    DeployAction,
    DeployButton,
    deploy_lines,
    deploy_progress,
    deploy_summary,
    step_bar,
)
from storage.models import DeployPhase
from tests.services.fakes import release_info

EVIL = "<!channel> <@U123> & co"
ESCAPED = "&lt;!channel&gt; &lt;@U123&gt; &amp; co"
MESSAGE_BLOCKS = 50
SECTION_LIMIT = 3000


def error_rate(*outcomes: Outcome, last: float | None = 0.002) -> AnalysisRun:
    spec = AnalysisSpec(
        name="error-rate",
        query='rate(errors{version="{{canary}}"}[1m])',
        success=Condition.parse("< 0.01"),
        failure=Condition.parse(">= 0.05"),
        interval=timedelta(seconds=30),
        count=5,
    )
    measured = Measurement(value=last, series=1) if outcomes else None
    return AnalysisRun(spec=spec, outcomes=outcomes, last=measured)


def service(
    name: str = "checkout",
    *,
    phase: DeployPhase = DeployPhase.RUNNING,
    weight: int = 10,
    step: int = 0,
    steps: tuple[int, ...] = (10, 50, 100),
    strategy: str = "canary",
    analysis: tuple[AnalysisRun, ...] = (),
    message: str = "",
    previous_version: str | None = "2024.04.3",
) -> ServiceDeploy:
    return ServiceDeploy(
        service=name,
        adapter="sim",
        strategy=strategy,
        phase=phase,
        weight=weight,
        step=step,
        steps=steps,
        analysis=analysis,
        message=message,
        previous_version=previous_version,
    )


def view(state: ReleaseState, *services: ServiceDeploy) -> DeployView:
    return DeployView(release=replace(release_info(), state=state), services=services)


def rendered(deploy: DeployView) -> tuple[str, list[dict[str, Any]]]:
    text, blocks = deploy_progress(deploy)
    return text, [block.to_dict() for block in blocks]


def buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The buttons by action id."""
    return {
        element["action_id"]: element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [block["text"]["text"] for block in blocks if block["type"] == "section"]


@pytest.mark.parametrize(
    ("deploy", "bar"),
    [
        (service(step=1, weight=50), "10% ✓ → 50% ● → 100%"),
        (service(phase=DeployPhase.PAUSED, step=0), "10% ● → 50% → 100%"),
        (service(phase=DeployPhase.PENDING, weight=0), "10% → 50% → 100%"),
        (service(phase=DeployPhase.DONE, step=2, weight=100), "10% ✓ → 50% ✓ → 100% ✓"),
        (service(phase=DeployPhase.FAILED, step=1, weight=50), "10% ✓ → 50% ✗ → 100%"),
        (
            service(strategy="blue_green", steps=(0, 100), step=0, weight=0),
            "preview ● → switch",
        ),
    ],
)
def test_the_step_bar_marks_done_current_and_stopped_steps(deploy: ServiceDeploy, bar: str) -> None:
    assert step_bar(deploy) == bar


def test_a_header_then_a_section_per_service_then_buttons_and_who_may_press_them() -> None:
    deploy = view(
        ReleaseState.DEPLOYING,
        service("checkout", step=1, weight=50),
        service("cart", phase=DeployPhase.PENDING, weight=0),
    )
    text, blocks = rendered(deploy)
    assert [b["type"] for b in blocks] == ["section", "section", "section", "actions", "context"]
    header, checkout, cart = section_texts(blocks)
    assert header.startswith("*Deploy of web/2024.05.1* · `0123456`")
    assert "deploying" in header
    assert "0 of 2 services done" in header
    assert checkout.splitlines()[0] == (
        "🔄 *checkout* · `sim` · canary · *50%* · running · replaces `2024.04.3`"
    )
    assert checkout.splitlines()[1] == "10% ✓ → 50% ● → 100%"
    assert cart.startswith("⏳ *cart*")
    assert "release managers and on-call can roll back" in blocks[-1]["elements"][0]["text"]
    assert text == "Deploy of web/2024.05.1: deploying · checkout 50% (canary), cart pending"


def test_analysis_values_name_the_verdict_the_last_value_and_the_thresholds() -> None:
    running = error_rate(Outcome.SUCCESS, Outcome.SUCCESS, last=0.0021)
    failed = replace(
        error_rate(Outcome.FAILURE, last=0.08), spec=replace(running.spec, name="latency-p99")
    )
    fresh = replace(error_rate(), spec=replace(running.spec, name="saturation"))
    _, blocks = rendered(view(ReleaseState.DEPLOYING, service(analysis=(running, failed, fresh))))
    lines = section_texts(blocks)[1].splitlines()
    assert lines[2] == (
        "⏳ `error-rate` running · last 0.0021 (success &lt; 0.01, failure &gt;= 0.05) · 2 of 5"
    )
    assert lines[3].startswith("❌ `latency-p99` failed · last 0.08 ")
    assert lines[4].startswith("⏳ `saturation` running · last no data yet ")


@pytest.mark.parametrize(
    ("state", "phase", "expected"),
    [
        (
            ReleaseState.DEPLOYING,
            DeployPhase.RUNNING,
            [
                DeployAction.PROMOTE,
                DeployAction.PROMOTE_FULL,
                DeployAction.PAUSE,
                DeployAction.ROLLBACK,
            ],
        ),
        (
            ReleaseState.PAUSED,
            DeployPhase.PAUSED,
            [
                DeployAction.PROMOTE,
                DeployAction.PROMOTE_FULL,
                DeployAction.RESUME,
                DeployAction.ROLLBACK,
            ],
        ),
        (
            ReleaseState.DEPLOYING,
            DeployPhase.PROMOTING,
            [DeployAction.PAUSE, DeployAction.ROLLBACK],
        ),
        (ReleaseState.RELEASED, DeployPhase.DONE, [DeployAction.ROLLBACK]),
        (ReleaseState.ROLLBACK_FAILED, DeployPhase.ROLLBACK_FAILED, [DeployAction.ROLLBACK]),
        (ReleaseState.ROLLING_BACK, DeployPhase.ROLLING_BACK, []),
        (ReleaseState.ROLLED_BACK, DeployPhase.ROLLED_BACK, []),
        (ReleaseState.APPROVED, DeployPhase.PENDING, []),
    ],
)
def test_the_buttons_follow_the_release_state(
    state: ReleaseState, phase: DeployPhase, expected: list[DeployAction]
) -> None:
    _, blocks = rendered(view(state, service(phase=phase)))
    assert list(buttons(blocks)) == [action.value for action in expected]
    if not expected:  # a finished release keeps its record, without controls
        assert [b["type"] for b in blocks] == ["section", "section"]


def test_button_values_are_versioned_models_and_promote_fully_says_full() -> None:
    _, blocks = rendered(view(ReleaseState.DEPLOYING, service()))
    pressed = buttons(blocks)
    promote = DeployButton.model_validate_json(pressed[DeployAction.PROMOTE]["value"])
    full = DeployButton.model_validate_json(pressed[DeployAction.PROMOTE_FULL]["value"])
    assert promote == DeployButton(release_id=42, full=False)
    assert full == DeployButton(release_id=42, full=True)
    assert json.loads(pressed[DeployAction.ROLLBACK]["value"]) == {
        "v": 1,
        "release_id": 42,
        "full": False,
    }
    assert pressed[DeployAction.PROMOTE]["style"] == "primary"
    assert [p["text"]["text"] for p in pressed.values()] == [
        "Promote",
        "Promote fully",
        "Pause",
        "Roll back",
    ]


def test_roll_back_is_dangerous_and_asks_first_naming_the_release_and_the_version() -> None:
    _, blocks = rendered(view(ReleaseState.RELEASED, service(phase=DeployPhase.DONE)))
    button = buttons(blocks)[DeployAction.ROLLBACK]
    assert button["style"] == "danger"
    confirm = button["confirm"]
    assert confirm["title"]["type"] == "plain_text"
    assert confirm["title"]["text"] == "Roll back this release?"
    assert confirm["text"]["text"] == (
        "Roll back *web/2024.05.1*? Traffic goes back to the previous version (2024.04.3)."
    )
    assert confirm["confirm"]["text"] == "Roll back"
    assert confirm["deny"]["text"] == "Cancel"
    assert confirm["style"] == "danger"


def test_services_from_different_versions_get_the_plain_wording() -> None:
    deploy = view(
        ReleaseState.DEPLOYING,
        service("a", previous_version="1.0"),
        service("b", previous_version="2.0"),
    )
    _, blocks = rendered(deploy)
    text = buttons(blocks)[DeployAction.ROLLBACK]["confirm"]["text"]["text"]
    assert text.endswith("Traffic goes back to the previous version.")


def test_why_it_paused_is_shown_escaped() -> None:
    paused = service(phase=DeployPhase.PAUSED, message=f"analysis inconclusive: {EVIL}")
    text, blocks = rendered(view(ReleaseState.PAUSED, replace(paused, service=EVIL)))
    body = json.dumps(blocks)
    assert "<!channel>" not in body
    assert "<!channel>" not in text
    section = section_texts(blocks)[1]
    # a user mention (how "paused by <@U…>" names who paused) stays one; <!channel> never
    assert "_analysis inconclusive: &lt;!channel&gt; <@U123> &amp; co_" in section.splitlines()
    assert section.startswith(f"⏸️ *{ESCAPED}*")


def test_a_train_of_thirty_services_fits_in_one_message() -> None:
    services = [
        service(
            f"service-{i:02d}",
            analysis=tuple(error_rate(Outcome.SUCCESS) for _ in range(8)),
            message="x" * 5000,
        )
        for i in range(30)
    ]
    _, blocks = rendered(view(ReleaseState.DEPLOYING, *services))
    assert len(blocks) == 1 + 30 + 2
    assert validate_blocks(blocks, pointer="/blocks", max_blocks=MESSAGE_BLOCKS) == []
    for text in section_texts(blocks):
        assert len(text) <= SECTION_LIMIT
    assert "_…and 3 more analyses_" in section_texts(blocks)[1]


def test_more_services_than_sections_are_summed_up_in_one() -> None:
    count = SHOWN_SERVICES + 25
    services = [service(f"s{i}", phase=DeployPhase.PENDING, weight=0) for i in range(count)]
    _, blocks = rendered(view(ReleaseState.DEPLOYING, *services))
    assert len(blocks) <= MESSAGE_BLOCKS
    assert validate_blocks(blocks, pointer="/blocks", max_blocks=MESSAGE_BLOCKS) == []
    rest = section_texts(blocks)[-1]
    assert rest.startswith("_…and 25 more services:_ ")
    assert f"s{count - 1} pending" in rest


def test_deploy_lines_and_the_one_line_summary_for_replies() -> None:
    deploy = view(
        ReleaseState.DEPLOYING,
        service("checkout"),
        service("cart", phase=DeployPhase.PENDING, weight=0),
        service("search", phase=DeployPhase.PAUSED, weight=50),
        service("admin", strategy="blue_green", phase=DeployPhase.DONE, weight=100),
    )
    assert deploy_lines(deploy) == [
        "checkout 10% (canary)",
        "cart pending",
        "search paused at 50%",
        "admin done",
    ]
    assert deploy_summary(deploy, limit=2) == "checkout 10% (canary), cart pending, and 2 more"
    assert deploy_summary(view(ReleaseState.DEPLOYING)) == "no services"
