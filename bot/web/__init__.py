"""aiohttp routes: /slack/events (:mod:`bot.web.slack`), /hooks/ci (:mod:`bot.web.ci`),
/hooks/deploy (:mod:`bot.web.deploy`), /hooks/alerts/{source} and /hooks/pagerduty
(:mod:`bot.web.alerts`), /healthz, /readyz and /metrics.

Each route reads its body with its own size limit (1 MiB for Slack and alerts, 20 MiB for CI
reports, 64 KiB for deploy callbacks) and answers bad input with a 4xx and a reason; the
middleware turns anything unexpected into a 500 with an error id, never a traceback.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.errors import StationmasterError
from bot.observability.logs import bind_request, get_logger
from bot.observability.metrics import Metrics
from bot.slack.replies import log_unexpected
from bot.web.alerts import AlertsEndpoint, PagerDutyEndpoint
from bot.web.ci import CiEndpoint
from bot.web.common import problem, read_body
from bot.web.deploy import DeployEndpoint
from bot.web.slack import SLACK_BODY_LIMIT, SlackEndpoint
from integrations.deploy.inbox import CallbackInbox

__all__ = [
    "MAX_BODY", "SLACK_BODY_LIMIT", "CiEndpoint", "DeployEndpoint", "SlackEndpoint",
    "build_web_app", "problem", "read_body",
]  # fmt: skip

log = get_logger(__name__)

#: The app-wide ceiling; each route enforces its own, smaller limit with ``read_body``.
MAX_BODY = 64 * 1024 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ReadyCheck = Callable[[], Awaitable[None]]


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


def build_web_app(
    *,
    slack: SlackEndpoint,
    ci: CiEndpoint,
    metrics: Metrics,
    ready: ReadyCheck,
    deploy: DeployEndpoint | None = None,
    alerts: AlertsEndpoint | None = None,
    pagerduty: PagerDutyEndpoint | None = None,
) -> web.Application:
    """The routes; without ``deploy``, ``POST /hooks/deploy`` answers 503 "not configured";
    the alert routes exist when their endpoints are given."""
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
    app.router.add_post("/hooks/ci", ci.handle)
    deploy = deploy or DeployEndpoint(secret=None, inbox=CallbackInbox())
    app.router.add_post("/hooks/deploy", deploy.handle)
    if alerts is not None:
        app.router.add_post("/hooks/alerts/{source}", alerts.handle)
    if pagerduty is not None:
        app.router.add_post("/hooks/pagerduty", pagerduty.handle)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_route)
    return app
