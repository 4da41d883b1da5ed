"""Socket Mode: the websocket an app opens with the URL from ``apps.connections.open``.

On connect the simulator sends ``hello``. It then forwards envelopes
(``{"envelope_id", "type", "payload", "accepts_response_payload"}``) and matches each
acknowledgement (``{"envelope_id", "payload"?}``) to the envelope that asked for it. Pings are
answered with pongs. Each URL works once, as Slack's do.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from typing import Literal

from aiohttp import WSMsgType, web

from bot.sim.slack.errors import AckTimeout, SimulatorError
from bot.sim.slack.events import EventBus
from bot.sim.slack.models import JsonDict, SocketAck

EnvelopeType = Literal["slash_commands", "interactive", "events_api"]


class SocketHub:
    def __init__(self, *, app_id: str, bus: EventBus) -> None:
        self._app_id = app_id
        self._bus = bus
        self._tickets: set[str] = set()
        self._connections: list[web.WebSocketResponse] = []
        self._pending: dict[str, asyncio.Future[JsonDict | None]] = {}
        self.acks: list[SocketAck] = []
        self.connections_opened = 0

    @property
    def connected(self) -> bool:
        return any(not ws.closed for ws in self._connections)

    def issue_url(self, *, ws_base: str) -> str:
        ticket = secrets.token_urlsafe(16)
        self._tickets.add(ticket)
        return f"{ws_base}/link/?ticket={ticket}&app_id={self._app_id}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            raise web.HTTPUnauthorized(text="invalid_ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._connections.append(ws)
        self.connections_opened += 1
        await ws.send_json(self._hello())
        self._bus.touch()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_text(message.data)
        finally:
            self._connections.remove(ws)
            self._bus.touch()
        return ws

    def _hello(self) -> JsonDict:
        return {
            "type": "hello",
            "num_connections": len(self._connections),
            "debug_info": {
                "host": "applink-sim",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self._app_id},
        }

    def _on_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        if not isinstance(message, dict) or not message.get("envelope_id"):
            return
        payload = message.get("payload")
        ack = SocketAck(
            envelope_id=str(message["envelope_id"]),
            payload=payload if isinstance(payload, dict) else None,
            at=self._bus.now(),
        )
        self.acks.append(ack)
        future = self._pending.pop(ack.envelope_id, None)
        if future is not None and not future.done():
            future.set_result(ack.payload)
        self._bus.touch()

    async def wait_connected(self, *, within: float) -> None:
        await self._bus.wait_for(lambda: self.connected, timeout=within)

    async def send(
        self,
        *,
        envelope_type: EnvelopeType,
        payload: JsonDict,
        accepts_response_payload: bool,
        ack_timeout: float,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> JsonDict | None:
        """Send one envelope to the newest connection and return its ack's payload."""
        live = [ws for ws in self._connections if not ws.closed]
        if not live:
            raise SimulatorError("no app is connected over Socket Mode")
        envelope_id = str(uuid.uuid4())
        envelope: JsonDict = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        future: asyncio.Future[JsonDict | None] = asyncio.get_running_loop().create_future()
        self._pending[envelope_id] = future
        try:
            await live[-1].send_str(json.dumps(envelope))
            return await asyncio.wait_for(future, ack_timeout)
        except TimeoutError as error:
            raise AckTimeout(
                f"the app did not acknowledge {envelope_type} envelope {envelope_id} "
                f"within {ack_timeout}s"
            ) from error
        finally:
            self._pending.pop(envelope_id, None)

    async def request_reconnect(self, *, reason: str = "refresh_requested") -> None:
        """Ask every connected app to reconnect, as Slack does before it recycles a host."""
        for ws in list(self._connections):
            if not ws.closed:
                await ws.send_json(
                    {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-sim"}}
                )

    async def close(self) -> None:
        for ws in list(self._connections):
            await ws.close(code=1001, message=b"simulator stopping")
