"""The webhook adapter against the loopback fake deploy service; the signing helpers directly."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.deploy_signing import BadSignature, parse_callback, sign, signed_headers, verify
from integrations.deploy.base import DeployError, DeployState, DeployStatus, Target
from integrations.deploy.webhook import WebhookAdapter
from tests.fakes.deploy_service import FakeDeployService, running_fake_deploy_service

SECRET = "s3cret-deploy"
TARGET = Target("checkout", "1.1.0", "1.0.0", "web/1.1.0")
NOW = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDeployService]:
    async with running_fake_deploy_service(secret=SECRET, progress_polls=2) as service:
        yield service
        assert service.stray == []  # nothing outside the configured URL, ever


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def adapter_for(http: httpx.AsyncClient, url: str, **options: Any) -> WebhookAdapter:
    settings: dict[str, Any] = {"poll_interval": 0.01, "backoff": 0.01, **options}
    return WebhookAdapter(http=http, url=url, secret=SecretStr(SECRET), **settings)


def mock(handler: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_a_step_is_posted_then_polled_until_healthy(
    fake: FakeDeployService, http: httpx.AsyncClient
) -> None:
    adapter = adapter_for(http, fake.url + "/")
    await adapter.start(target=TARGET)
    fake.attempts.clear()

    status = await adapter.set_weight(target=TARGET, weight=10)

    assert (status.state, status.weight) == (DeployState.HEALTHY, 10)
    assert (status.stable_version, status.canary_version) == ("1.0.0", "1.1.0")
    post, *polls = fake.attempts
    assert (post.method, post.path, post.answered) == ("POST", "/deploy", 202)
    assert post.body == {
        "action": "set_weight",
        "service": "checkout",
        "version": "1.1.0",
        "previous_version": "1.0.0",
        "weight": 10,
        "release": "web/1.1.0",
        "delivery": post.delivery,
    }
    assert [(p.method, p.path, p.query) for p in polls] == [
        ("GET", "/deploy/status", {"service": "checkout", "release": "web/1.1.0"})
    ] * 2


async def test_requests_are_signed_over_the_timestamp_and_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = {"state": "healthy", "weight": 0, "stable_version": "1.0.0"}
        return httpx.Response(200, json=status)

    async with mock(handler) as http:
        adapter = adapter_for(http, "https://deploy.example/hooks", clock=lambda: NOW)
        await adapter.start(target=TARGET)
        await adapter.status(target=TARGET)

    post, get = seen
    stamp = str(int(NOW.timestamp()))
    expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + post.content, hashlib.sha256)
    assert post.headers["x-stationmaster-signature"] == "v1=" + expected.hexdigest()
    assert post.headers["x-stationmaster-timestamp"] == stamp
    assert post.headers["content-type"] == "application/json"
    assert json.loads(post.content)["delivery"] == post.headers["x-stationmaster-delivery"]
    verify(SECRET, post.headers, post.content, NOW)
    verify(SECRET, get.headers, b"", NOW)
    assert (
        str(get.url) == "https://deploy.example/hooks/status?service=checkout&release=web%2F1.1.0"
    )


async def test_retries_keep_the_delivery_id(
    fake: FakeDeployService, http: httpx.AsyncClient
) -> None:
    fake.fail_next(2)
    await adapter_for(http, fake.url).start(target=TARGET)

    posts = [a for a in fake.attempts if a.method == "POST"]
    assert [a.answered for a in posts] == [500, 500, 202]
    assert len({a.delivery for a in posts}) == 1
    assert len(fake.actions) == 1


async def test_a_lost_answer_is_retried_and_applied_once(
    fake: FakeDeployService, http: httpx.AsyncClient
) -> None:
    lost = 0

    async def lose_first_answer(request: httpx.Request) -> httpx.Response:
        nonlocal lost
        response = await http.send(request)
        await response.aread()
        if request.method == "POST" and not lost:
            lost += 1
            raise httpx.ReadTimeout("lost", request=request)
        return httpx.Response(response.status_code, content=response.content)

    async with mock(lose_first_answer) as flaky:
        status = await adapter_for(flaky, fake.url).promote(target=TARGET)

    assert status.stable_version == "1.1.0"
    assert [a.answered for a in fake.attempts if a.method == "POST"] == [202, 202]
    assert len(fake.actions) == 1


async def test_failures_say_what_and_why(fake: FakeDeployService, http: httpx.AsyncClient) -> None:
    adapter = adapter_for(http, fake.url, retries=1)
    fake.fail_next(2, status=503)
    with pytest.raises(DeployError, match=r"failed deploy of checkout 1\.1\.0: 503 the deployer "):
        await adapter.start(target=TARGET)

    fake.refuse_next(422, f"version 1.1.0 has no image (secret {SECRET})")
    with pytest.raises(DeployError, match=r"refused deploy .*: 422 version 1\.1\.0 has no image"):
        await adapter.start(target=TARGET)
    fake.refuse_next(422, f"leaked {SECRET}")
    with pytest.raises(DeployError, match=r"422 leaked \[redacted\]$") as caught:
        await adapter.start(target=TARGET)
    assert SECRET not in caught.value.output
    assert "[redacted]" in caught.value.output

    wrong = WebhookAdapter(http=http, url=fake.url, secret=SecretStr("other"))
    with pytest.raises(DeployError, match="401 bad signature; check that it verifies with"):
        await wrong.start(target=TARGET)

    with pytest.raises(DeployError, match=r"refused the status of other web/1\.1\.0: 404 unknown"):
        await adapter.status(target=Target("other", "1.1.0", None, "web/1.1.0"))


async def test_a_step_ending_badly_raises_with_its_status(
    fake: FakeDeployService, http: httpx.AsyncClient
) -> None:
    fake.end_state, fake.end_message = "degraded", "pods crash-looping"
    with pytest.raises(DeployError, match=r"reports promote of checkout 1\.1\.0 degraded: pods cr"):
        await adapter_for(http, fake.url).promote(target=TARGET)
    fake.end_message = ""
    with pytest.raises(DeployError, match=r"reports promote of checkout 1\.1\.0 degraded$") as c:
        await adapter_for(http, fake.url).promote(target=TARGET)
    assert c.value.status is not None
    assert c.value.status.state is DeployState.DEGRADED


async def test_polling_gives_up_after_poll_timeout(
    fake: FakeDeployService, http: httpx.AsyncClient
) -> None:
    fake.stall = True
    adapter = adapter_for(http, fake.url, poll_timeout=0.2)
    with pytest.raises(
        DeployError, match=r"did not finish rollback .* within 0\.2s \(last state p"
    ):
        await adapter.rollback(target=TARGET)


async def test_an_immediate_answer_needs_no_poll(
    fake: FakeDeployService, http: httpx.AsyncClient
) -> None:
    fake.immediate = True
    status = await adapter_for(http, fake.url).switch(target=TARGET)
    assert (status.state, status.weight, status.stable_version) == (
        DeployState.HEALTHY,
        100,
        "1.1.0",
    )
    assert [a.method for a in fake.attempts] == ["POST"]


async def test_only_the_configured_url_is_called(
    fake: FakeDeployService, http: httpx.AsyncClient
) -> None:
    async with running_fake_deploy_service(secret=SECRET) as elsewhere:
        fake.redirect_to = elsewhere.url
        with pytest.raises(DeployError, match=r"with a redirect \(307 to http://127"):
            await adapter_for(http, fake.url).start(target=TARGET)
        assert elsewhere.attempts == []


async def test_an_unreachable_service(http: httpx.AsyncClient) -> None:
    adapter = adapter_for(http, "http://127.0.0.1:9/deploy", retries=1)
    with pytest.raises(DeployError, match=r"did not answer deploy .* after 2 attempts \(Conn"):
        await adapter.start(target=TARGET)


async def test_odd_answers() -> None:
    answers = iter([
        httpx.Response(202),  # accepted without a body: progressing
        httpx.Response(200, json={"state": "healthy", "weight": 0}),
        httpx.Response(200, json={"state": "bogus"}),
        httpx.Response(200, json=[1]),
        httpx.Response(400, text="plain words"),
        httpx.Response(400),
    ])  # fmt: skip

    async with mock(lambda request: next(answers)) as http:
        adapter = adapter_for(http, "http://deploy.example")
        assert (await adapter.start(target=TARGET)).state is DeployState.HEALTHY
        with pytest.raises(DeployError, match=r"unusable status .*'state' is 'bogus', not one of"):
            await adapter.start(target=TARGET)
        with pytest.raises(DeployError, match=r"unusable status \(the status is not a JSON object"):
            await adapter.start(target=TARGET)
        with pytest.raises(DeployError, match=r"400 plain words$"):
            await adapter.start(target=TARGET)
        with pytest.raises(DeployError, match=r"400 Bad Request$"):
            await adapter.start(target=TARGET)


def test_bad_settings_are_refused(http: httpx.AsyncClient) -> None:
    for url in ("ftp://x/deploy", "http:///deploy", "https://x/deploy?token=1", "https://u:p@x/"):
        with pytest.raises(ValueError, match="deploy webhook url"):
            adapter_for(http, url)
    with pytest.raises(ValueError, match="must be > 0"):
        adapter_for(http, "https://x", poll_timeout=0)
    with pytest.raises(ValueError, match="backoff"):
        adapter_for(http, "https://x", backoff=-1)


# -- bot.deploy_signing -----------------------------------------------------------------------


def test_a_signature_is_checked_for_tampering_and_replay() -> None:
    body = b'{"delivery":"d-1"}'
    headers = signed_headers(SecretStr(SECRET), body, delivery="d-1", now=NOW)
    stamp = int(NOW.timestamp())
    expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    assert headers["X-Stationmaster-Signature"] == sign(SECRET, stamp, body)
    assert sign(SECRET, stamp, body) == "v1=" + expected.hexdigest()

    verify(SECRET, headers, body, NOW)
    verify(SecretStr(SECRET), {k.lower(): v for k, v in headers.items()}, body, NOW)
    verify(SECRET, headers, body, NOW + timedelta(seconds=300))

    cases: list[tuple[dict[str, str], bytes, datetime, str]] = [
        (headers, body + b" ", NOW, "does not match"),
        ({**headers, "X-Stationmaster-Timestamp": str(stamp + 1)}, body, NOW, "does not match"),
        (headers, body, NOW + timedelta(seconds=301), "301s away from now, over the 300s"),
        (headers, body, NOW - timedelta(seconds=400), "400s away"),
        ({"X-Stationmaster-Signature": "v1=00"}, body, NOW, "unsigned: send X-Stationmaster-T"),
        ({**headers, "X-Stationmaster-Timestamp": "soon"}, body, NOW, "must be unix seconds"),
        ({"X-Stationmaster-Timestamp": str(stamp)}, body, NOW, "unsigned: send X-Stationmaster-S"),
    ]
    for given, sent, now, reason in cases:
        with pytest.raises(BadSignature, match=reason):
            verify(SECRET, given, sent, now)
    with pytest.raises(BadSignature, match="does not match"):
        verify("another secret", headers, body, NOW)


def test_a_callback_is_parsed_or_refused_clearly() -> None:
    good = {
        "delivery": "5b1c-2", "release": "web/1.1.0", "service": "checkout",
        "state": "progressing", "weight": 50, "stable_version": "1.0.0",
        "canary_version": "1.1.0", "message": "half way",
    }  # fmt: skip
    delivery, release, service, status = parse_callback(json.dumps(good).encode(), received=NOW)
    assert (delivery, release, service) == ("5b1c-2", "web/1.1.0", "checkout")
    assert (status.state, status.weight, status.message, status.at) == (
        DeployState.PROGRESSING,
        50,
        "half way",
        NOW,
    )
    later = parse_callback(json.dumps({**good, "at": "2024-06-01T11:00:00+02:00"}).encode())
    assert later[3].at == NOW
    assert parse_callback(json.dumps(good).encode())[3].at.tzinfo is not None

    with pytest.raises(ValueError, match="weight must be 0-100, not -1"):
        DeployStatus(DeployState.HEALTHY, -1, None, None, "", NOW)

    bad: list[tuple[Any, str]] = [
        (b"\xff", "not JSON"),
        (b"[1]", "not a JSON object"),
        ({**good, "delivery": "a b"}, "'delivery' must be"),
        ({**good, "release": ""}, "'release' must be a non-empty string"),
        ({**good, "service": 7}, "'service' must be"),
        ({**good, "release": "1.1.0"}, "'release' must be train/version"),
        ({**good, "state": "done"}, "'state' is 'done', not one of progressing"),
        ({**good, "weight": 101}, "'weight' is 101"),
        ({**good, "weight": True}, "'weight' is True"),
        ({**good, "canary_version": 2}, "'canary_version' is 2, not a string or null"),
        ({**good, "message": ["x"]}, "'message' is"),
        ({**good, "at": "2024-06-01T11:00:00"}, "'at' must be an ISO 8601 time with an offset"),
        ({**good, "at": "yesterday"}, "'at' must be"),
        ({**good, "at": 5}, "'at' must be"),
    ]
    for body, reason in bad:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        with pytest.raises(ValueError, match=reason):
            parse_callback(raw, received=NOW)
