"""The simulator's HTTP side: the Web API, response URLs, file uploads and Socket Mode.

Routes, all on one loopback port:

- ``GET|POST /api/<method>``: the Web API methods in :mod:`bot.sim.slack.methods`;
- ``POST /response/<id>``: response URLs handed out with interaction payloads;
- ``POST /upload/<file id>``: the upload URLs from ``files.getUploadURLExternal``;
- ``GET /link/?ticket=...``: the Socket Mode websocket from ``apps.connections.open``.

Every request is recorded, in order, as a :class:`~bot.sim.slack.models.RecordedCall`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.sim.slack.config import SimConfig
from bot.sim.slack.errors import ApiError, SimulatorError
from bot.sim.slack.events import EventBus
from bot.sim.slack.interactions import ResponseUrlRegistry, TriggerRegistry
from bot.sim.slack.methods import METHODS, MethodContext, MethodSpec
from bot.sim.slack.models import RecordedCall
from bot.sim.slack.queries import WorkspaceQueries
from bot.sim.slack.ratelimit import PostRateLimiter
from bot.sim.slack.request import read_api_request
from bot.sim.slack.response_urls import ResponseRejected, apply_response
from bot.sim.slack.seed import seed_default_workspace
from bot.sim.slack.socket_mode import SocketHub
from bot.sim.slack.state import Workspace

MAX_BODY_BYTES = 64 * 1024 * 1024


class SlackSimulator(WorkspaceQueries):
    """A fake Slack on loopback. Use ``async with SlackSimulator() as sim:`` or
    :meth:`start` and :meth:`stop`; point ``AsyncWebClient(base_url=sim.api_url)`` at it."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-sim-token",  # noqa: S107 - fake credentials
        app_token: str = "xapp-sim-token",  # noqa: S107
        signing_secret: str = "sim-signing-secret",  # noqa: S107
        posts_per_second: float | None = None,
        team_id: str = "T0SIM",
        bot_user_id: str = "U0BOT",
        api_app_id: str = "A0SIM",
        seed: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = SimConfig(
            bot_token=bot_token,
            app_token=app_token,
            signing_secret=signing_secret,
            posts_per_second=posts_per_second,
            team_id=team_id,
            bot_user_id=bot_user_id,
            api_app_id=api_app_id,
        )
        self.clock = clock
        self.bus = EventBus(clock=clock)
        self.workspace = Workspace(bot_user_id=bot_user_id, clock=clock, bus=self.bus)
        self.triggers = TriggerRegistry(team_id=team_id, clock=clock)
        self.response_urls = ResponseUrlRegistry(clock=clock)
        self.limiter = (
            PostRateLimiter(per_second=posts_per_second, clock=clock)
            if posts_per_second is not None
            else None
        )
        self.socket = SocketHub(app_id=api_app_id, bus=self.bus)
        self.calls: list[RecordedCall] = []
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._context: MethodContext | None = None
        if seed:
            seed_default_workspace(self.workspace, config=self.config)
        else:
            self.add_user(self.config.bot_name, is_bot=True, user_id=bot_user_id)

    # lifecycle -----------------------------------------------------------------------------

    async def start(self, *, host: str = "127.0.0.1", port: int = 0) -> SlackSimulator:
        if self._runner is not None:
            raise SimulatorError("the simulator is already running")
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{target_id}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link/", self.socket.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        self._runner = runner
        self._base_url = f"http://{host}:{bound_port}"
        self._context = MethodContext(
            config=self.config,
            workspace=self.workspace,
            triggers=self.triggers,
            limiter=self.limiter,
            base_url=self._base_url,
            issue_socket_url=lambda: self.socket.issue_url(ws_base=f"ws://{host}:{bound_port}"),
        )
        return self

    async def stop(self) -> None:
        if self._runner is None:
            return
        await self.socket.close()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> SlackSimulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, without a trailing slash."""
        if self._base_url is None:
            raise SimulatorError("the simulator is not running; call start() first")
        return self._base_url

    @property
    def api_url(self) -> str:
        """The ``base_url`` to give ``AsyncWebClient`` (and ``SLACK_API_URL``)."""
        return f"{self.base_url}/api/"

    # requests ------------------------------------------------------------------------------

    def _record(self, method: str, params: dict[str, Any], *, error: str | None) -> None:
        self.calls.append(
            RecordedCall(
                method=method, params=params, ok=error is None, error=error, at=self.bus.now()
            )
        )
        self.bus.touch()

    def _authenticate(self, spec: MethodSpec, token: str | None) -> None:
        if token is None:
            raise ApiError("not_authed")
        kinds = {self.config.bot_token: "bot", self.config.app_token: "app"}
        kind = kinds.get(token)
        if kind is None:
            raise ApiError("invalid_auth")
        if kind != spec.accepts:
            raise ApiError("not_allowed_token_type")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        try:
            params, token = await read_api_request(request)
            spec = METHODS.get(method)
            if spec is None:
                raise ApiError("unknown_method", extra={"req_method": method})
            self._authenticate(spec, token)
            assert self._context is not None
            body = spec.handler(self._context, params)
        except ApiError as error:
            self._record(method, dict(params), error=error.error)
            return web.json_response(error.body(), status=error.status, headers=error.headers)
        self._record(method, dict(params), error=None)
        return web.json_response(body)

    async def _response_url(self, request: web.Request) -> web.Response:
        target_id = request.match_info["target_id"]
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        params = {"response_url_id": target_id, **(payload if isinstance(payload, dict) else {})}
        target = self.response_urls.use(target_id)
        try:
            if not isinstance(payload, dict):
                raise ResponseRejected(400, "invalid_payload")
            if target is None:
                raise ResponseRejected(404, "expired_url")
            apply_response(
                workspace=self.workspace,
                config=self.config,
                target=target,
                payload=payload,
                source="response_url",
            )
        except ResponseRejected as rejected:
            self._record("response_url", params, error=rejected.error)
            return web.Response(status=rejected.status, text=rejected.error)
        self._record("response_url", params, error=None)
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        file = self.workspace.files.get(file_id)
        if file is None:
            self._record("files.upload", {"file_id": file_id}, error="file_not_found")
            return web.Response(status=404, text="file_not_found")
        if request.content_type == "multipart/form-data":
            form = await request.post()
            parts = [v for v in form.values() if isinstance(v, web.FileField)]
            content = parts[0].file.read() if parts else b""
        else:
            content = await request.read()
        file.content, file.length = content, len(content)
        self._record("files.upload", {"file_id": file_id, "size": len(content)}, error=None)
        return web.Response(text=f"OK - {len(content)}")
