"""``POST /hooks/deploy``: signed status callbacks from a team's deploy service (the ``webhook``
deploy adapter), handed to the :class:`~integrations.deploy.inbox.CallbackInbox` the waiting
step reads.

The body is JSON: ``delivery`` (the step's id), ``release``, ``service``, the status fields and an
optional ``at`` (see :func:`bot.deploy_signing.parse_callback`), signed as
:mod:`bot.deploy_signing` describes. The checks come in this order, and none ends in a 5xx:

- no ``STATIONMASTER_DEPLOY_WEBHOOK_SECRET``: 503 "not configured" (the rest of the bot runs);
- a body over the limit (64 KiB by default): 413, as soon as that is known;
- a missing, wrong or stale signature (over 5 minutes from the bot's clock): 401;
- a body that is not a callback, or whose ``delivery`` is not the delivery header's: 400;
- else 202 ``{"ok": true}``. A callback no step waits for is kept a short while, then dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from pydantic import SecretStr

from bot.clock import Clock, utc_now
from bot.deploy_signing import DELIVERY_HEADER, BadSignature, parse_callback, verify
from bot.observability.logs import get_logger
from bot.web.common import problem, read_body
from integrations.deploy.inbox import CallbackInbox

__all__ = ["DEPLOY_BODY_LIMIT", "DeployEndpoint"]

DEPLOY_BODY_LIMIT = 64 * 1024
log = get_logger(__name__)


@dataclass
class DeployEndpoint:
    secret: SecretStr | None
    inbox: CallbackInbox
    limit: int = DEPLOY_BODY_LIMIT
    clock: Clock = utc_now

    async def handle(self, request: web.Request) -> web.Response:
        if self.secret is None:
            log.warning("deploy callback refused: STATIONMASTER_DEPLOY_WEBHOOK_SECRET is not set")
            return problem(503, "not configured: set STATIONMASTER_DEPLOY_WEBHOOK_SECRET")
        body = await read_body(request, limit=self.limit)
        now = self.clock()
        try:
            verify(self.secret, request.headers, body, now)
        except BadSignature as exc:
            return problem(401, str(exc))
        try:
            delivery, release, service, status = parse_callback(body, received=now)
        except ValueError as exc:
            return problem(400, str(exc))
        header = request.headers.get(DELIVERY_HEADER)
        if header is not None and header != delivery:
            return problem(
                400,
                f"{DELIVERY_HEADER} is {header!r}, but the body's delivery is {delivery!r}: "
                f"send the step's delivery id in both",
            )
        self.inbox.deliver(delivery, release, service, status)
        return web.json_response({"ok": True}, status=202)
