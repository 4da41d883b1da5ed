"""aiohttp routes: /slack/events, /healthz, /readyz, /metrics.

The Slack route checks, in order: the body size (413), the signature and its 5-minute replay
window (401), UTF-8 and the payload's shape (400), and Slack retries of a handled delivery
(acked, not redone). Only then does bolt see the request. No input yields a 5xx.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body

from bot import messages
from bot.errors import StationmasterError
from bot.observability.logs import bind_request, get_logger
from bot.observability.metrics import Metrics
from bot.slack.payloads import Kind, MalformedPayload, check, delivery_key
from bot.slack.replies import log_unexpected
from bot.slack.retries import RetryGuard
from bot.slack.signature import SignatureChecker

log = get_logger(__name__)

SLACK_BODY_LIMIT = 1024 * 1024
#: The app-wide ceiling; each route enforces its own, smaller limit with ``read_body``.
MAX_BODY = 64 * 1024 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ReadyCheck = Callable[[], Awaitable[None]]


def problem(status: int, reason: str, **extra: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason, **extra}, status=status)


async def read_body(request: web.Request, *, limit: int) -> bytes:
    """The whole body, or HTTP 413 as soon as it is known to exceed ``limit``."""
    too_big = web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length or 0)
    if request.content_length is not None and request.content_length > limit:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass
class SlackEndpoint:
    """``POST /slack/events``: slash commands, interactivity and events."""

    bolt: AsyncApp
    verifier: SignatureChecker | None
    retries: RetryGuard
    metrics: Metrics
    limit: int = SLACK_BODY_LIMIT

    async def handle(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        if self.verifier is None:
            log.warning("slack request refused: SLACK_SIGNING_SECRET is not set")
            return problem(503, "not configured: set SLACK_SIGNING_SECRET")
        try:
            raw = await read_body(request, limit=self.limit)
        except web.HTTPRequestEntityTooLarge:
            return problem(413, f"body over the {self.limit} byte limit")
        refused = self.verifier.problem(
            body=raw,
            timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
            signature=request.headers.get("X-Slack-Signature", ""),
        )
        if refused is not None:
            return problem(401, refused)
        try:
            text = raw.decode("utf-8")
            body = parse_body(text, request.content_type)
            kind = check(body)
        except (UnicodeDecodeError, ValueError) as exc:
            reason = (
                str(exc) if isinstance(exc, MalformedPayload) else "body is not a Slack payload"
            )
            return problem(400, reason)
        key = delivery_key(kind=kind, body=body, raw=raw)
        if await self.retries.already_handled(
            key=key,
            is_retry="X-Slack-Retry-Num" in request.headers,
            durable=kind is Kind.EVENT,
        ):
            log.info("slack retry acked without redoing it", delivery=key)
            return web.Response(status=200, headers={"X-Slack-No-Retry": "1"})
        response = await self._dispatch(request, text)
        self.metrics.ack_latency.labels(kind=kind.value).observe(time.perf_counter() - started)
        return response

    async def _dispatch(self, request: web.Request, text: str) -> web.Response:
        try:
            bolt_request = AsyncBoltRequest(
                body=text, query=request.query_string, headers=dict(request.headers)
            )
            bolt_response = await self.bolt.async_dispatch(bolt_request)
        except Exception as exc:
            error_id = log_unexpected(exc)
            return web.json_response({"text": messages.UNEXPECTED.format(error_id=error_id)})
        if bolt_response.status == 404:
            # Well-formed but nothing listens for it (an old button, an event we do not use).
            return web.Response(status=200)
        if bolt_response.status >= 500:
            return web.json_response({"text": messages.UNEXPECTED.format(error_id="bolt")})
        return await to_aiohttp_response(bolt_response)


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A request id on every log line and response, and a count by route and status."""
    request_id = uuid.uuid4().hex[:12]
    bind_request(request_id, method=request.method, path=request.path)
    metrics: Metrics = request.app[METRICS]
    route = request.match_info.route.resource
    route_name = route.canonical if route is not None else "unmatched"
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers["X-Request-Id"] = request_id
        metrics.requests.labels(route=route_name, status=str(exc.status)).inc()
        raise
    except StationmasterError as exc:
        response = problem(400, exc.message)
    except Exception as exc:
        response = problem(500, "internal error", error_id=log_unexpected(exc))
    response.headers["X-Request-Id"] = request_id
    metrics.requests.labels(route=route_name, status=str(response.status)).inc()
    if response.status >= 400:
        log.info("request refused", status=response.status)
    return response


METRICS = web.AppKey("metrics", Metrics)


def build_web_app(*, slack: SlackEndpoint, metrics: Metrics, ready: ReadyCheck) -> web.Application:
    app = web.Application(middlewares=[observe], client_max_size=MAX_BODY)
    app[METRICS] = metrics

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_: web.Request) -> web.Response:
        try:
            await ready()
        except StationmasterError as exc:
            return problem(503, exc.message)
        return web.json_response({"ok": True})

    async def metrics_route(_: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": metrics.content_type})

    app.router.add_post("/slack/events", slack.handle)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_route)
    return app
