"""``POST /slack/events``: the checks before bolt sees a request.

In order: the body size (413), the signature and its 5-minute replay window (401), UTF-8 and
the payload's shape (400), and Slack retries of a handled delivery (acked, not redone). Only
then does bolt see the request. No input yields a 5xx.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from bot import messages
from bot.observability.logs import get_logger
from bot.observability.metrics import Metrics
from bot.slack.payloads import Kind, MalformedPayload, check, delivery_key, parse
from bot.slack.replies import log_unexpected
from bot.slack.retries import RetryGuard
from bot.slack.signature import SignatureChecker
from bot.web.common import problem, read_body

log = get_logger(__name__)

SLACK_BODY_LIMIT = 1024 * 1024


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
        raw = await read_body(request, limit=self.limit)
        refused = self.verifier.problem(
            body=raw,
            timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
            signature=request.headers.get("X-Slack-Signature", ""),
        )
        if refused is not None:
            return problem(401, refused)
        try:
            text = raw.decode("utf-8")
            body = parse(text, request.content_type)
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
        response = await self._dispatch(request, text, body)
        self.metrics.ack_latency.labels(kind=kind.value).observe(time.perf_counter() - started)
        return response

    async def _dispatch(
        self, request: web.Request, text: str, body: dict[str, Any]
    ) -> web.Response:
        try:
            bolt_request = AsyncBoltRequest(
                body=text, query=request.query_string, headers=dict(request.headers)
            )
            # bolt parsed the text itself; use our reading (see bot.slack.payloads.parse)
            bolt_request.body = body
            bolt_request.context = build_async_context(AsyncBoltContext({}), body)
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
