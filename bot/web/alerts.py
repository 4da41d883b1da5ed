"""``POST /hooks/alerts/{alertmanager,grafana,generic}``: alert notifications, and
``POST /hooks/pagerduty``: PagerDuty's V3 webhooks (an incident acknowledged or resolved there).

The alert routes take ``Authorization: Bearer <STATIONMASTER_ALERTS_TOKEN>`` (Alertmanager sends
it through ``http_config.authorization``); PagerDuty's webhooks are signed with
``STATIONMASTER_PAGERDUTY_WEBHOOK_SECRET``. The checks come in this order, and none ends in 5xx:

- the secret is not set: 503 "not configured" (the rest of the bot runs);
- a missing or wrong bearer token: 401 (a signature is checked after reading the body);
- a body over the limit (1 MiB by default): 413;
- a wrong signature (PagerDuty): 401;
- a body that is not JSON, or not the source's documented shape: 400 with the reason;
- else the alerts are stored (committed) and the answer is 202 with the group's id.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from aiohttp import web
from pydantic import SecretStr

from bot.clock import Clock, utc_now
from bot.domain.alerts import AlertSource
from bot.observability.logs import get_logger
from bot.services.alerts import AlertService
from bot.web.common import problem, read_body
from integrations.alerts import PARSERS
from integrations.alerts.base import BadPayload
from integrations.paging.pagerduty_webhook import (
    BadSignature,
    BadWebhook,
    parse_webhook,
    verify_signature,
)

__all__ = ["ALERTS_BODY_LIMIT", "AlertsEndpoint", "PagerDutyEndpoint"]

ALERTS_BODY_LIMIT = 1024 * 1024
SIGNATURE_HEADER = "X-PagerDuty-Signature"
log = get_logger(__name__)


@dataclass
class AlertsEndpoint:
    token: SecretStr | None
    alerts: AlertService
    limit: int = ALERTS_BODY_LIMIT
    clock: Clock = utc_now

    async def handle(self, request: web.Request) -> web.Response:
        name = request.match_info.get("source", "")
        try:
            source = AlertSource(name)
            parser = PARSERS[source]
        except (ValueError, KeyError):
            known = ", ".join(s.value for s in PARSERS)
            return problem(404, f"no alert source {name!r}: use one of {known}")
        if self.token is None:
            log.warning("alert refused: STATIONMASTER_ALERTS_TOKEN is not set")
            return problem(503, "not configured: set STATIONMASTER_ALERTS_TOKEN")
        if not _bearer_ok(request.headers.get("Authorization"), self.token):
            return problem(401, "a missing or wrong bearer token: send Authorization: Bearer …")
        body = await read_body(request, limit=self.limit)
        try:
            notification = parser(body, received=self.clock())
        except BadPayload as exc:
            return problem(400, str(exc))
        received = await self.alerts.receive(notification)
        return web.json_response(
            {"ok": True, "group": received.group_id, "changed": received.changed}, status=202
        )


@dataclass
class PagerDutyEndpoint:
    secret: SecretStr | None
    alerts: AlertService
    limit: int = ALERTS_BODY_LIMIT

    async def handle(self, request: web.Request) -> web.Response:
        if self.secret is None:
            log.warning("PagerDuty webhook refused: STATIONMASTER_PAGERDUTY_WEBHOOK_SECRET unset")
            return problem(503, "not configured: set STATIONMASTER_PAGERDUTY_WEBHOOK_SECRET")
        body = await read_body(request, limit=self.limit)
        try:
            verify_signature(self.secret, request.headers.get(SIGNATURE_HEADER), body)
        except BadSignature as exc:
            return problem(401, str(exc))
        try:
            event = parse_webhook(body)
        except BadWebhook as exc:
            return problem(400, str(exc))
        if event is None or event.dedup_key is None:
            return web.json_response({"ok": True, "groups": 0}, status=202)
        named = await self.alerts.page_event(
            page_key=event.dedup_key, event=event.event_type, agent=event.agent
        )
        return web.json_response({"ok": True, "groups": named}, status=202)


def _bearer_ok(header: str | None, token: SecretStr) -> bool:
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode())
