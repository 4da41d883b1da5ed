"""An alert group's root message in Block Kit: the head, the attribution or the "not related"
record, the alerts, who acknowledged or resolved, the buttons each state allows, the Roll back
confirm dialog, escaping of what alerting systems send, and Slack's limits.

Assertions read ``block.to_dict()``: the JSON Slack receives, after slack_sdk's validators.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.alerts import Alert, AlertSource, AlertStatus, summarize
from bot.domain.attribution import Attribution
from bot.domain.release import ReleaseState
from bot.services.alert_models import AlertGroupView, GroupStatus
from bot.sim.slack import limits
from bot.sim.slack.blocks import validate_blocks
from bot.slack.alert_views import SHOWN_ALERTS, AlertAction, AlertButton, alert_root, span

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
DAVE = "U0DAVE"
ALICE = "U0ALICE"
EVIL = "<!channel> *bold* & <https://evil.example|click>"
ESCAPED = "&lt;!channel&gt; *bold* &amp; &lt;https://evil.example|click&gt;"
RELEASE_LINK = "https://sim.slack/archives/C0RELEASES/p1"


def alert(
    name: str = "HighErrorRate",
    *,
    status: AlertStatus = AlertStatus.FIRING,
    service: str = "checkout",
    severity: str = "critical",
    summary: str = "5% of requests fail",
    started: timedelta = timedelta(minutes=12),
    url: str | None = "https://prometheus.example/graph?g0.expr=errors",
    fingerprint: str | None = None,
) -> Alert:
    return Alert(
        fingerprint=fingerprint or f"fp-{name}-{service}",
        status=status,
        labels={"alertname": name, "service": service, "severity": severity},
        annotations={"summary": summary},
        starts_at=NOW - started,
        ends_at=NOW if status is AlertStatus.RESOLVED else None,
        url=url,
    )


def attribution(*, in_flight: bool = False) -> Attribution:
    return Attribution(
        release_id=7,
        label="web/2026.11.3",
        version="2026.11.3",
        service="checkout",
        deployed_at=NOW - timedelta(minutes=20),
        deployed_by=ALICE,
        in_flight=in_flight,
    )


def group(*alerts: Alert, **changes: Any) -> AlertGroupView:
    alerts = alerts or (alert(),)
    view = AlertGroupView(
        group_id=31,
        source=AlertSource.ALERTMANAGER,
        group_key='{}:{alertname="HighErrorRate"}',
        title="HighErrorRate",
        channel="#oncall",
        status=GroupStatus.FIRING,
        summary=summarize(alerts),
        alerts=tuple(alerts),
        now=NOW,
    )
    return replace(view, **changes)


def tied(*alerts: Alert, **changes: Any) -> AlertGroupView:
    """Attributed to web/2026.11.3, released: it may roll back."""
    defaults: dict[str, Any] = {
        "attribution": attribution(),
        "release_state": ReleaseState.RELEASED,
    }
    return group(*alerts, **(defaults | changes))


def rendered(
    view: AlertGroupView, *, release_link: str | None = None
) -> tuple[str, list[dict[str, Any]]]:
    text, blocks = alert_root(view, release_link=release_link)
    return text, [block.to_dict() for block in blocks]


def buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        element["action_id"]: element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def sections(blocks: list[dict[str, Any]]) -> list[str]:
    return [block["text"]["text"] for block in blocks if block["type"] == "section"]


def contexts(blocks: list[dict[str, Any]]) -> list[str]:
    return [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]


def assert_within_limits(text: str, blocks: list[dict[str, Any]]) -> None:
    assert validate_blocks(blocks, pointer="/blocks", max_blocks=limits.MAX_MESSAGE_BLOCKS) == []
    assert len(text) <= 300
    for button in buttons(blocks).values():
        assert len(button["text"]["text"]) <= limits.MAX_BUTTON_TEXT
        assert len(button["value"]) <= limits.MAX_BUTTON_VALUE
        if "confirm" in button:
            assert len(button["confirm"]["text"]["text"]) <= 300


@pytest.mark.parametrize(
    ("delta", "said"),
    [
        (timedelta(seconds=40), "under a minute"),
        (timedelta(minutes=12, seconds=59), "12 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=2, minutes=5), "2 h 5 min"),
        (timedelta(days=3), "3 d"),
        (timedelta(days=3, hours=4, minutes=9), "3 d 4 h"),
        (timedelta(minutes=-5), "under a minute"),
    ],
)
def test_spans_read_as_people_say_them(delta: timedelta, said: str) -> None:
    assert span(delta) == said


def test_a_firing_group_says_what_fires_how_badly_and_for_how_long() -> None:
    view = group(
        alert(),
        alert("HighLatency", severity="warning", started=timedelta(minutes=5)),
        alert("DiskFull", status=AlertStatus.RESOLVED, severity="info", service="db"),
    )
    text, blocks = rendered(view)

    assert [b["type"] for b in blocks] == ["section", "section", "context", "actions", "context"]
    head, listing = sections(blocks)
    assert head == (
        "🔴 *HighErrorRate*\n🔥 firing · 2 firing, 1 resolved · severity *critical* · "
        "firing for 12 min"
    )
    assert listing.splitlines() == [
        "🔥 *HighErrorRate* · `checkout` · critical: 5% of requests fail · "
        "<https://prometheus.example/graph?g0.expr=errors|graph>",
        "🔥 *HighLatency* · `checkout` · warning: 5% of requests fail · "
        "<https://prometheus.example/graph?g0.expr=errors|graph>",
        "✅ *DiskFull* · `db` · info: 5% of requests fail · "
        "<https://prometheus.example/graph?g0.expr=errors|graph>",
    ]
    assert contexts(blocks)[0] == "Not acknowledged yet"
    assert text == "HighErrorRate: 🔥 firing · 2 firing, 1 resolved"


def test_an_unattributed_group_offers_acknowledge_and_resolve_only() -> None:
    _, blocks = rendered(group())
    assert list(buttons(blocks)) == [AlertAction.ACK, AlertAction.RESOLVE]
    assert not any("Likely caused by" in s for s in sections(blocks))


def test_the_attributed_release_is_named_with_who_deployed_it_and_a_link_to_its_thread() -> None:
    _, blocks = rendered(tied(), release_link=RELEASE_LINK)
    cause = sections(blocks)[1]
    assert cause == (
        "Likely caused by *web/2026.11.3* on `checkout` (deployed 20 min ago by <@U0ALICE>) · "
        f"<{RELEASE_LINK}|release thread>"
    )
    assert list(buttons(blocks)) == [
        AlertAction.ROLLBACK,
        AlertAction.ACK,
        AlertAction.RESOLVE,
        AlertAction.UNRELATED,
    ]


def test_without_a_release_link_the_cause_is_plain_text() -> None:
    _, blocks = rendered(tied(), release_link=None)
    assert sections(blocks)[1].endswith("by <@U0ALICE>)")


def test_a_canary_still_deploying_says_it_takes_traffic_now() -> None:
    view = tied(attribution=attribution(in_flight=True), release_state=ReleaseState.DEPLOYING)
    _, blocks = rendered(view)
    assert "canary is taking traffic now" in sections(blocks)[1].splitlines()[1]
    assert AlertAction.ROLLBACK in buttons(blocks)


@pytest.mark.parametrize(
    "state", [ReleaseState.ROLLING_BACK, ReleaseState.ROLLED_BACK, ReleaseState.CANCELLED]
)
def test_roll_back_is_offered_only_while_the_release_may_roll_back(state: ReleaseState) -> None:
    _, blocks = rendered(tied(release_state=state))
    assert list(buttons(blocks)) == [AlertAction.ACK, AlertAction.RESOLVE, AlertAction.UNRELATED]


def test_roll_back_is_dangerous_and_asks_first_naming_the_release() -> None:
    _, blocks = rendered(tied())
    button = buttons(blocks)[AlertAction.ROLLBACK]
    assert button["style"] == "danger"
    assert button["text"]["text"] == "Rollback"
    confirm = button["confirm"]
    assert confirm["title"]["text"] == "Roll back this release?"
    assert confirm["text"]["text"] == (
        "Roll back *web/2026.11.3*? All traffic goes back to the previous version."
    )
    assert (confirm["confirm"]["text"], confirm["deny"]["text"]) == ("Rollback", "Cancel")
    assert confirm["style"] == "danger"


def test_button_values_are_versioned_models_naming_the_group() -> None:
    _, blocks = rendered(tied())
    values = {action: button["value"] for action, button in buttons(blocks).items()}
    assert all(json.loads(value) == {"v": 1, "group_id": 31} for value in values.values())
    assert AlertButton.model_validate_json(values[AlertAction.ACK]) == AlertButton(group_id=31)
    assert AlertButton.model_validate_json('{"v": 1, "group_id": 5, "new": 1}').group_id == 5


def test_a_detached_group_says_who_said_it_is_not_related() -> None:
    view = group(detached=("web/2026.11.3",), detached_by=DAVE)
    _, blocks = rendered(view)
    assert sections(blocks)[1] == "Not related to *web/2026.11.3* (said <@U0DAVE>)"
    assert AlertAction.UNRELATED not in buttons(blocks)
    assert AlertAction.ROLLBACK not in buttons(blocks)


def test_an_acknowledged_group_says_by_whom_and_drops_acknowledge() -> None:
    view = tied(acked_by=DAVE, acked_at=NOW - timedelta(minutes=3), acked_via="pagerduty")
    _, blocks = rendered(view)
    record = contexts(blocks)[0]
    assert record.startswith("Acknowledged by <@U0DAVE> (<!date^")
    assert record.endswith(") via PagerDuty")
    assert AlertAction.ACK not in buttons(blocks)
    assert AlertAction.RESOLVE in buttons(blocks)


def test_escalation_and_paging_are_recorded() -> None:
    view = group(escalated_at=NOW - timedelta(minutes=1), paged=True)
    record = contexts(rendered(view)[1])[0]
    assert "Escalated (<!date^" in record
    assert record.endswith("nobody acknowledged it in time · PagerDuty paged")


def test_a_resolved_group_keeps_its_record_and_loses_its_buttons() -> None:
    resolved = alert(status=AlertStatus.RESOLVED)
    view = tied(
        resolved,
        status=GroupStatus.RESOLVED,
        resolved_by=DAVE,
        resolved_at=NOW,
        acked_by=DAVE,
        acked_at=NOW - timedelta(minutes=5),
        acked_via="slack",
    )
    text, blocks = rendered(view)

    assert buttons(blocks) == {}
    assert [b["type"] for b in blocks] == ["section", "section", "section", "context"]
    assert sections(blocks)[0] == (
        "🔴 *HighErrorRate*\n✅ resolved · 0 firing, 1 resolved · severity *critical* · "
        "lasted 12 min"
    )
    record = contexts(blocks)[0]
    assert record.startswith("Acknowledged by <@U0DAVE>")
    assert " · Resolved by <@U0DAVE> (<!date^" in record
    assert text == "HighErrorRate: ✅ resolved · 0 firing, 1 resolved"


def test_a_group_whose_alerts_resolved_themselves_says_so() -> None:
    view = group(alert(status=AlertStatus.RESOLVED), status=GroupStatus.RESOLVED, resolved_at=NOW)
    record = contexts(rendered(view)[1])[0]
    assert record.startswith("Every alert resolved (<!date^")
    assert "Not acknowledged" not in record


def test_hostile_alert_text_is_escaped_everywhere() -> None:
    hostile = alert(EVIL, service=EVIL, severity=EVIL, summary=EVIL, url="javascript:alert(1)")
    view = tied(
        hostile,
        title=EVIL,
        detached=(EVIL,),
        detached_by=DAVE,
        links=("https://ok.example/a>b|c <!here>", "ftp://nope"),
    )
    text, blocks = rendered(view)
    body = json.dumps(blocks)

    for raw in ("<!channel>", "<!here>", "<https://evil", "javascript:"):
        assert raw not in body
        assert raw not in text
    head, _, listing = sections(blocks)
    assert head.startswith(f"⚪ *{ESCAPED}*")  # an unknown severity gets the plain badge
    line = listing.splitlines()[0]
    assert line.startswith(f"🔥 *{ESCAPED}* · `&lt;!channel&gt; *bold*")  # long labels are cut
    assert line.endswith(f": {ESCAPED}")
    assert listing.splitlines()[1] == ("Look at: <https://ok.example/a&gt;b%7Cc%20&lt;!here&gt;|1>")
    assert_within_limits(text, blocks)


def test_a_thousand_alerts_still_fit_and_the_rest_are_counted() -> None:
    many = [
        alert(
            f"Alert{i:04d}",
            summary="x" * 5000,
            url="https://grafana.example/d/" + "y" * 900,
            fingerprint=f"fp{i}",
        )
        for i in range(1000)
    ]
    view = tied(*many, title="T" * 5000, links=tuple(f"https://l.example/{i}" for i in range(50)))
    text, blocks = rendered(view, release_link=RELEASE_LINK)

    assert_within_limits(text, blocks)
    assert len(blocks) <= 8
    listing = sections(blocks)[2]
    shown = [line for line in listing.splitlines() if line.startswith("🔥")]
    assert 1 <= len(shown) <= SHOWN_ALERTS
    assert f"_…and {1000 - len(shown)} more_" in listing
    assert all(len(s) <= limits.MAX_SECTION_TEXT for s in sections(blocks))
    assert listing.count("<https://") == listing.count("|graph>") + listing.count(
        "https://l.example/"
    )  # every link is whole: none is cut off


def test_ten_alerts_are_listed_and_the_eleventh_counted() -> None:
    view = group(*(alert(f"A{i}", fingerprint=f"f{i}", url=None) for i in range(11)))
    listing = sections(rendered(view)[1])[1].splitlines()
    assert len(listing) == SHOWN_ALERTS + 1
    assert listing[-1] == "_…and 1 more_"


def test_group_links_not_shown_with_an_alert_are_offered_to_look_at() -> None:
    view = group(links=("https://prometheus.example/graph?g0.expr=errors", "https://grafana.x/d"))
    listing = sections(rendered(view)[1])[1].splitlines()
    assert listing[-1] == "Look at: <https://grafana.x/d|1>"


def test_an_untitled_group_falls_back_to_its_first_alert_then_its_id() -> None:
    assert sections(rendered(group(title=""))[1])[0].startswith("🔴 *HighErrorRate*")
    nameless = group(alert(name=""), title="")
    assert sections(rendered(replace(nameless, alerts=()))[1])[0].startswith("🔴 *Alert group 31*")
