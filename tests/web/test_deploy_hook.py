"""``POST /hooks/deploy`` over real HTTP through the web app, and a webhook deploy step that a
signed callback ends: the loopback fake deploy service answers 202 and never reports the step
done on a poll, so only the callback can finish it."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, cast

import httpx
import pytest
from aiohttp import web
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp

from bot.clock import utc_now
from bot.deploy_signing import signed_headers
from bot.observability.metrics import Metrics
from bot.services.gates import GateService
from bot.slack.retries import RetryGuard
from bot.tasks import BackgroundTasks
from bot.web import CiEndpoint, DeployEndpoint, SlackEndpoint, build_web_app
from integrations.deploy.base import DeployError, DeployState, Target
from integrations.deploy.inbox import CallbackInbox
from integrations.deploy.webhook import WebhookAdapter
from tests.fakes.deploy_service import FakeDeployService, running_fake_deploy_service

SECRET = "deploy-hook-s3cret"
DELIVERY = "5f0c8c3e-1d7a-4c55-9a51-6c1b0b7d2f10"
TARGET = Target("checkout", "1.1.0", "1.0.0", "web/1.1.0")


@asynccontextmanager
async def serving(deploy: DeployEndpoint | None) -> AsyncIterator[str]:
    """The web app on 127.0.0.1; its base URL. Slack and CI are not configured (no signing
    secret, no CI secret), so those routes answer 503 before they touch bolt or the gates."""
    metrics = Metrics()
    slack = SlackEndpoint(
        bolt=cast(AsyncApp, None),
        verifier=None,
        retries=RetryGuard(store=None, tasks=BackgroundTasks(metrics=metrics)),
        metrics=metrics,
    )
    ci = CiEndpoint(gates=cast(GateService, None), secret=None)

    async def ready() -> None:
        return None

    app = build_web_app(slack=slack, ci=ci, metrics=metrics, ready=ready, deploy=deploy)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture
def inbox() -> CallbackInbox:
    return CallbackInbox()


@pytest.fixture
async def hook(inbox: CallbackInbox) -> AsyncIterator[str]:
    async with serving(DeployEndpoint(secret=SecretStr(SECRET), inbox=inbox, limit=1024)) as url:
        yield f"{url}/hooks/deploy"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def callback(delivery: str = DELIVERY, **fields: Any) -> bytes:
    body = {
        "delivery": delivery, "release": "web/1.1.0", "service": "checkout", "state": "healthy",
        "weight": 10, "stable_version": "1.0.0", "canary_version": "1.1.0", "message": "done",
    }  # fmt: skip
    return json.dumps(body | fields).encode()


def signed(body: bytes, *, delivery: str = DELIVERY, age: float = 0) -> dict[str, str]:
    now = utc_now() - timedelta(seconds=age)
    return signed_headers(SecretStr(SECRET), body, delivery=delivery, now=now) | {
        "Content-Type": "application/json"
    }


async def post(http: httpx.AsyncClient, url: str, body: bytes, **options: Any) -> httpx.Response:
    return await http.post(url, content=body, headers=signed(body, **options))


# --- the endpoint ------------------------------------------------------------------------------


async def test_a_signed_callback_is_accepted_and_handed_to_the_inbox(
    hook: str, http: httpx.AsyncClient, inbox: CallbackInbox
) -> None:
    response = await post(http, hook, callback(at="2024-06-01T09:00:00+02:00"))

    assert (response.status_code, response.json()) == (202, {"ok": True})
    assert response.headers["X-Request-Id"]
    status = await inbox.wait(DELIVERY, 0.01)
    assert status is not None
    assert (status.state, status.weight, status.canary_version) == (
        DeployState.HEALTHY, 10, "1.1.0",
    )  # fmt: skip
    assert (status.message, status.at.isoformat()) == ("done", "2024-06-01T09:00:00+02:00")


async def test_a_callback_exactly_at_the_limit_is_accepted(
    hook: str, http: httpx.AsyncClient
) -> None:
    body = callback(message="")
    body = callback(message="x" * (1024 - len(body)))
    assert len(body) == 1024
    assert (await post(http, hook, body)).status_code == 202


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        (lambda body: {}, r"unsigned: send X-Stationmaster-Timestamp \(unix seconds\)$"),
        (
            lambda body: signed(body) | {"X-Stationmaster-Signature": "v1=" + "0" * 64},
            "bad signature: X-Stationmaster-Signature does not match v1=HMAC-SHA256",
        ),
        (
            lambda body: signed_headers("another secret", body, delivery=DELIVERY, now=utc_now()),
            "bad signature",
        ),
        (
            lambda body: signed(body, age=600),
            r"X-Stationmaster-Timestamp is 60[01]s away from now, over the 300s allowed; sign",
        ),
    ],
    ids=["unsigned", "bad-signature", "other-secret", "stale"],
)
async def test_a_missing_bad_or_stale_signature_is_401(
    hook: str,
    http: httpx.AsyncClient,
    inbox: CallbackInbox,
    headers: Callable[[bytes], dict[str, str]],
    error: str,
) -> None:
    body = callback()
    response = await http.post(hook, content=body, headers=headers(body))
    assert response.status_code == 401
    assert response.json()["ok"] is False
    assert re.match(error, response.json()["error"])
    assert len(inbox) == 0


async def test_a_body_over_the_limit_is_413_with_or_without_a_length(
    hook: str, http: httpx.AsyncClient, inbox: CallbackInbox
) -> None:
    body = callback(message="x" * 1100)
    response = await post(http, hook, body)
    assert response.status_code == 413
    assert response.json()["error"] == "body over the 1024 byte limit"

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 100):
            yield body[start : start + 100]

    streamed = await http.post(hook, content=chunks(), headers=signed(body))
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413
    assert len(inbox) == 0


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "the callback body is not JSON"),
        (b"[1, 2]", "the callback body is not a JSON object"),
        (
            json.dumps({"delivery": DELIVERY, "service": "checkout", "state": "healthy"}).encode(),
            "'release' must be a non-empty string of at most 200 characters",
        ),
        (callback(state="done"), "'state' is 'done', not one of progressing, healthy"),
        (callback(weight=101), "'weight' is 101, not an integer from 0 to 100"),
        (callback(delivery="a b"), "'delivery' must be 1-200 letters, digits or ._:-"),
    ],
    ids=["not-json", "not-object", "no-release", "bad-state", "bad-weight", "bad-delivery"],
)
async def test_a_body_that_is_not_a_callback_is_400_with_the_reason(
    hook: str, http: httpx.AsyncClient, inbox: CallbackInbox, body: bytes, error: str
) -> None:
    response = await post(http, hook, body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(error)
    assert len(inbox) == 0


async def test_a_delivery_header_that_differs_from_the_body_is_400(
    hook: str, http: httpx.AsyncClient, inbox: CallbackInbox
) -> None:
    response = await post(http, hook, callback(), delivery="another-delivery")
    assert response.status_code == 400
    assert response.json()["error"] == (
        f"X-Stationmaster-Delivery is 'another-delivery', but the body's delivery is "
        f"'{DELIVERY}': send the step's delivery id in both"
    )
    assert len(inbox) == 0


@pytest.mark.parametrize("configured", [True, False], ids=["no-secret", "no-endpoint"])
async def test_without_a_secret_the_route_is_503_not_configured(
    http: httpx.AsyncClient, configured: bool
) -> None:
    endpoint = DeployEndpoint(secret=None, inbox=CallbackInbox()) if configured else None
    async with serving(endpoint) as url:
        response = await post(http, f"{url}/hooks/deploy", callback())
        assert response.status_code == 503
        assert response.json()["error"] == (
            "not configured: set STATIONMASTER_DEPLOY_WEBHOOK_SECRET"
        )
        assert (await http.post(f"{url}/hooks/ci")).status_code == 503  # its neighbours run
        assert (await http.get(f"{url}/healthz")).json() == {"ok": True}


# --- a webhook step that the callback ends -----------------------------------------------------


@pytest.fixture
async def stalled() -> AsyncIterator[FakeDeployService]:
    """A deploy service that takes each step (202) and reports it progressing forever."""
    async with running_fake_deploy_service(secret=SECRET, stall=True) as service:
        yield service
        assert service.stray == []


def adapter_for(http: httpx.AsyncClient, url: str, inbox: CallbackInbox) -> WebhookAdapter:
    return WebhookAdapter(
        http=http, url=url, secret=SecretStr(SECRET), poll_interval=30, inbox=inbox
    )


async def until(condition: Callable[[], object], timeout: float = 5) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_webhook_step_ends_as_soon_as_a_signed_callback_arrives(
    hook: str, http: httpx.AsyncClient, inbox: CallbackInbox, stalled: FakeDeployService
) -> None:
    adapter = adapter_for(http, stalled.url, inbox)
    step = asyncio.create_task(adapter.start(target=TARGET))
    await until(lambda: stalled.actions)
    delivery = stalled.attempts[0].delivery
    assert delivery is not None
    body = callback(delivery, weight=0, message="canary up")

    assert (await post(http, hook, body, delivery=delivery)).status_code == 202
    async with asyncio.timeout(5):  # the poll interval is 30s: only the callback ends it
        status = await step

    assert (status.state, status.weight, status.message) == (DeployState.HEALTHY, 0, "canary up")
    assert [(a.method, a.answered) for a in stalled.attempts] == [("POST", 202)]  # no poll


async def test_a_progress_callback_ends_the_wait_with_a_poll_and_a_failure_ends_the_step(
    hook: str, http: httpx.AsyncClient, inbox: CallbackInbox, stalled: FakeDeployService
) -> None:
    adapter = adapter_for(http, stalled.url, inbox)
    step = asyncio.create_task(adapter.start(target=TARGET))
    await until(lambda: stalled.actions)
    delivery = stalled.attempts[0].delivery
    assert delivery is not None

    progress = callback(delivery, state="progressing", weight=0, message="pods starting")
    assert (await post(http, hook, progress, delivery=delivery)).status_code == 202
    await until(lambda: len(stalled.attempts) == 2)  # polled at once, not after 30s
    assert (stalled.attempts[1].method, stalled.attempts[1].path) == ("GET", "/deploy/status")
    assert not step.done()

    failed = callback(delivery, state="failed", weight=0, message="ImagePullBackOff")
    assert (await post(http, hook, failed, delivery=delivery)).status_code == 202
    with pytest.raises(DeployError) as caught:
        async with asyncio.timeout(5):
            await step
    assert str(caught.value).endswith("reports deploy of checkout 1.1.0 failed: ImagePullBackOff")
    assert caught.value.status is not None
    assert caught.value.status.state is DeployState.FAILED
    assert len(stalled.attempts) == 2


async def test_a_callback_for_another_delivery_does_not_end_the_step(
    hook: str, http: httpx.AsyncClient, inbox: CallbackInbox, stalled: FakeDeployService
) -> None:
    adapter = WebhookAdapter(
        http=http, url=stalled.url, secret=SecretStr(SECRET), poll_interval=0.05,
        poll_timeout=0.5, inbox=inbox,
    )  # fmt: skip
    step = asyncio.create_task(adapter.start(target=TARGET))
    await until(lambda: stalled.actions)
    assert (await post(http, hook, callback("not-this-step"), delivery="not-this-step")).is_success
    with pytest.raises(
        DeployError, match=r"did not finish deploy of checkout 1\.1\.0 within 0\.5s"
    ):
        await step
    assert len(stalled.attempts) > 2  # it kept polling
