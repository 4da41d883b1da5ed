"""PagerDuty V3 webhooks: signatures (one secret, rotation, tampering) and the bodies read."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from aiohttp import web
from pydantic import SecretStr

from integrations.paging.pagerduty_webhook import (
    ACKNOWLEDGED,
    RESOLVED,
    SIGNATURE_HEADER,
    BadSignature,
    BadWebhook,
    PagerEvent,
    parse_webhook,
    verify_signature,
)
from tests.fakes.pagerduty import incident_id, send_webhook, sign_webhook, webhook_body

SECRET = "whsec-current-0123456789"
OLD_SECRET = "whsec-previous-9876543210"
KEY = "checkout/HighErrorRate"
AT = datetime(2024, 5, 1, 9, 30, 15, 123000, tzinfo=UTC)


def body(event_type: str = ACKNOWLEDGED, *, agent: str | None = "Dana Oncall") -> bytes:
    return webhook_body(event_type=event_type, dedup_key=KEY, agent=agent, occurred_at=AT)


def edited(change: dict[str, object], *, drop: str | None = None) -> bytes:
    """An acknowledged body with ``event`` fields replaced (or one dropped)."""
    raw = json.loads(body())
    raw["event"].update(change)
    if drop is not None:
        del raw["event"][drop]
    return json.dumps(raw).encode()


# -- signatures --------------------------------------------------------------------------


def test_a_correct_signature_passes_and_covers_the_whole_body() -> None:
    payload = body()
    header = sign_webhook(SECRET, payload)
    assert verify_signature(SecretStr(SECRET), header, payload) is None
    with pytest.raises(BadSignature):
        verify_signature(SecretStr(SECRET), header, payload + b" ")


def test_uppercase_hex_and_spaces_around_signatures_pass() -> None:
    payload = body()
    header = " " + sign_webhook(SECRET, payload).upper().replace("V1=", "v1=") + " "
    assert verify_signature(SecretStr(SECRET), header, payload) is None
    with pytest.raises(BadSignature):
        verify_signature(SecretStr(OLD_SECRET), header, payload)


def test_during_rotation_any_matching_signature_passes() -> None:
    payload = body()
    header = f"{sign_webhook(OLD_SECRET, payload)},{sign_webhook(SECRET, payload)}"
    assert verify_signature(SecretStr(SECRET), header, payload) is None
    assert verify_signature(SecretStr(OLD_SECRET), header, payload) is None
    with pytest.raises(BadSignature):
        verify_signature(SecretStr("a third secret"), header, payload)


def test_a_signature_made_with_another_secret_fails() -> None:
    payload = body()
    with pytest.raises(BadSignature, match="check the webhook subscription's secret"):
        verify_signature(SecretStr(SECRET), sign_webhook(OLD_SECRET, payload), payload)


def test_a_tampered_body_fails() -> None:
    header = sign_webhook(SECRET, body())
    with pytest.raises(BadSignature, match=r"no v1= signature .* matches"):
        verify_signature(SecretStr(SECRET), header, body(RESOLVED))


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_header_fails(header: str | None) -> None:
    with pytest.raises(BadSignature, match=f"the {SIGNATURE_HEADER} header is missing"):
        verify_signature(SecretStr(SECRET), header, body())


def test_a_header_without_v1_signatures_fails() -> None:
    payload = body()
    digest = sign_webhook(SECRET, payload).removeprefix("v1=")
    with pytest.raises(BadSignature, match="carries no v1= signature"):
        verify_signature(SecretStr(SECRET), f"v0={digest},{digest}", payload)


def test_non_ascii_garbage_in_the_header_fails_cleanly() -> None:
    with pytest.raises(BadSignature, match="matches the body"):
        verify_signature(SecretStr(SECRET), "v1=ünïcødé", body())


# -- bodies ------------------------------------------------------------------------------


def test_an_acknowledgement_is_read() -> None:
    assert parse_webhook(body()) == PagerEvent(
        event_type=ACKNOWLEDGED,
        dedup_key=KEY,
        incident_id=incident_id(KEY),
        agent="Dana Oncall",
        occurred_at=AT,
    )


def test_a_resolve_by_pagerduty_itself_has_no_agent() -> None:
    event = parse_webhook(body(RESOLVED, agent=None))

    assert event is not None
    assert event.event_type == RESOLVED
    assert event.agent is None
    assert event.dedup_key == KEY


def test_occurred_at_is_converted_to_utc() -> None:
    local = AT.astimezone(timezone(timedelta(hours=-7)))
    event = parse_webhook(edited({"occurred_at": local.isoformat()}))

    assert event is not None
    assert event.occurred_at == AT
    assert event.occurred_at.tzinfo == UTC


def test_an_incident_without_incident_key_has_no_dedup_key() -> None:
    raw = json.loads(body())
    del raw["event"]["data"]["incident_key"]

    event = parse_webhook(json.dumps(raw).encode())

    assert event is not None
    assert event.dedup_key is None


@pytest.mark.parametrize(
    "event_type",
    ["incident.triggered", "incident.annotated", "incident.priority_updated", "pagey.ping"],
)
def test_other_event_types_are_ignored(event_type: str) -> None:
    assert parse_webhook(body(event_type)) is None


def test_other_event_types_need_not_carry_an_incident() -> None:
    ping = {"event": {"event_type": "service.updated", "agent": None, "data": {"type": "service"}}}
    assert parse_webhook(json.dumps(ping).encode()) is None


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "the webhook body is not JSON"),
        (b"\xff\xfe\x00garbage", "the webhook body is not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"{}", "event: Field required"),
        (b'{"event": "incident.acknowledged"}', "event: Input should be a valid dictionary"),
        (b'{"event": {"event_type": 7}}', "event.event_type: Input should be a valid string"),
    ],
)
def test_malformed_bodies_say_why(payload: bytes, reason: str) -> None:
    with pytest.raises(BadWebhook, match=reason) as caught:
        parse_webhook(payload)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("change", "drop", "reason"),
    [
        ({}, "data", "event.data: Field required"),
        ({"occurred_at": "yesterday"}, None, "event.occurred_at: Input should be a valid datetime"),
        ({"occurred_at": "2024-05-01T09:30:15"}, None, "event.occurred_at: .*timezone"),
        ({"data": {"type": "incident"}}, None, "event.data.id: Field required"),
        ({"data": {"id": 42, "type": "incident"}}, None, "event.data.id: Input should be a valid"),
        ({"agent": "Dana"}, None, "event.agent: Input should be a valid dictionary"),
        (
            {"data": {"id": "Q1", "type": "incident_note"}},
            None,
            "event.data.type is 'incident_note'",
        ),
    ],
)
def test_malformed_incident_events_say_which_field(
    change: dict[str, object], drop: str | None, reason: str
) -> None:
    with pytest.raises(BadWebhook, match=reason) as caught:
        parse_webhook(edited(change, drop=drop))
    assert "\n" not in str(caught.value)


# -- the fake's sender, as other tests use it ----------------------------------------------


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[PagerEvent | None]]]:
    """A tiny endpoint that verifies and parses what it receives, as the real one will."""
    got: list[PagerEvent | None] = []

    async def hook(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            verify_signature(SecretStr(SECRET), request.headers.get(SIGNATURE_HEADER), raw)
        except BadSignature as exc:
            return web.Response(status=401, text=str(exc))
        got.append(parse_webhook(raw))
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/hooks/pagerduty", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hooks/pagerduty", got
    finally:
        await runner.cleanup()


async def test_send_webhook_posts_a_signed_readable_delivery(
    receiver: tuple[str, list[PagerEvent | None]],
) -> None:
    url, got = receiver
    response = await send_webhook(url, SECRET, event_type=RESOLVED, dedup_key=KEY, agent="Ravi")

    assert response.status_code == 202
    assert len(got) == 1
    event = got[0]
    assert event is not None
    assert (event.event_type, event.dedup_key, event.agent) == (RESOLVED, KEY, "Ravi")
    assert event.incident_id == incident_id(KEY)
    assert abs(datetime.now(UTC) - event.occurred_at) < timedelta(minutes=1)


async def test_send_webhook_with_the_wrong_secret_is_refused(
    receiver: tuple[str, list[PagerEvent | None]],
) -> None:
    url, got = receiver
    response = await send_webhook(url, OLD_SECRET, event_type=ACKNOWLEDGED, dedup_key=KEY)

    assert response.status_code == 401
    assert "bad signature" in response.text
    assert got == []
