"""``alert [SERVICE] [--resolve]``: fire a sample alert at a sim service, as a monitoring system
would, so that local mode shows the on-call flow.

The alert goes to the bot's own ``POST /hooks/alerts/generic`` with the session's alerts token,
in the generic format (docs/alerts.md): ``alertname=HighErrorRate``, the service,
``severity=critical`` and a summary. The sim fleet's error rate for the version the service
serves goes up too (``POST {fleet}/faults``; its canary when one is deploying), so a Rollback
from the alert's thread undoes a real fault. ``--resolve`` sends the alert resolved, and puts
back the error rate this session raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.config import AppConfig
from bot.console import text
from bot.errors import UsageError

__all__ = ["ALERT_NAME", "ERROR_RATE", "SampleAlerts"]

ALERT_NAME = "HighErrorRate"
ERROR_RATE = 0.2
"""The share of requests the faulty version fails: well above a canary analysis' limit."""
RESOLVE = "--resolve"


@dataclass
class SampleAlerts:
    """Sample alerts for the sim services of ``config``, sent to the bot at ``bot_url``."""

    bot_url: str
    token: SecretStr
    fleet_url: str | None
    config: AppConfig
    config_name: str = "stationmaster.yml"
    raised: dict[str, str] = field(default_factory=dict)
    """The version whose error rate this session raised, per service."""

    def services(self) -> list[str]:
        """The services deploying to the sim fleet, in the config's order."""
        found = self.config.services.items()
        return [name for name, service in found if service.deploy.adapter == "sim"]

    def parse(self, args: str) -> tuple[str, bool]:
        """The service (the first sim service by default) and whether to resolve."""
        words = args.split()
        resolve = RESOLVE in words
        named = [w for w in words if w != RESOLVE]
        if len(named) > 1 or any(w.startswith("-") for w in named):
            raise UsageError(text.ALERT_USAGE)
        services = self.services()
        if not services:
            raise UsageError(text.ALERT_NO_SIM_SERVICE.format(config=self.config_name))
        service = named[0] if named else services[0]
        if service not in services:
            raise UsageError(
                text.ALERT_UNKNOWN_SERVICE.format(ref=service, services=", ".join(services))
            )
        return service, resolve

    async def run(self, args: str) -> str:
        """Fire or resolve the sample alert; the one line that says what happened."""
        service, resolve = self.parse(args)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            if resolve:
                return await self._resolve(http, service)
            return await self._fire(http, service)

    async def _fire(self, http: aiohttp.ClientSession, service: str) -> str:
        failing = ""
        version = await self._current_version(http, service)
        if version is not None:
            await self._fault(http, version, error_rate=ERROR_RATE)
            self.raised[service] = version
            percent = round(ERROR_RATE * 100)
            failing = text.ALERT_FAILING.format(service=service, version=version, percent=percent)
        changed = await self._post_alert(http, service, status="firing")
        return text.ALERT_FIRED.format(
            alert=ALERT_NAME,
            service=service,
            failing=failing,
            channel=self.config.alerts.channel_for(_labels(service)),
            unchanged="" if changed else text.ALERT_UNCHANGED,
        )

    async def _resolve(self, http: aiohttp.ClientSession, service: str) -> str:
        changed = await self._post_alert(http, service, status="resolved")
        healed = ""
        version = self.raised.pop(service, None)
        if version is not None:
            await self._fault(http, version, error_rate=0.0)
            healed = text.ALERT_HEALED.format(service=service, version=version)
        return text.ALERT_RESOLVED.format(
            alert=ALERT_NAME,
            service=service,
            healed=healed,
            unchanged="" if changed else text.ALERT_UNCHANGED,
        )

    def body(self, service: str, *, status: str) -> dict[str, Any]:
        """The generic-format notification: one group per service, one alert in it."""
        return {
            "group": f"console:{service}:{ALERT_NAME}",
            "alerts": [
                {
                    "id": f"{service}-{ALERT_NAME}",
                    "status": status,
                    "labels": _labels(service),
                    "annotations": {"summary": text.ALERT_SUMMARY.format(service=service)},
                }
            ],
        }

    async def _post_alert(self, http: aiohttp.ClientSession, service: str, *, status: str) -> int:
        """Send the alert; how many alerts it changed (0: the bot had it already)."""
        headers = {"Authorization": f"Bearer {self.token.get_secret_value()}"}
        url = f"{self.bot_url}/hooks/alerts/generic"
        async with http.post(url, json=self.body(service, status=status), headers=headers) as got:
            answer = await got.text()
            if got.status != 202:
                raise UsageError(text.BOT_REFUSED.format(status=got.status, body=answer[:200]))
        return int(json.loads(answer).get("changed", 0))

    async def _current_version(self, http: aiohttp.ClientSession, service: str) -> str | None:
        """The version the fleet serves the service at: its canary, else its stable one."""
        if self.fleet_url is None:
            return None
        async with http.get(f"{self.fleet_url}/services/{service}") as got:
            got.raise_for_status()
            state = await got.json()
        return str(state.get("canary") or state["stable"])

    async def _fault(self, http: aiohttp.ClientSession, version: str, *, error_rate: float) -> None:
        body = {"version": version, "error_rate": error_rate}
        async with http.post(f"{self.fleet_url}/faults", json=body) as got:
            got.raise_for_status()


def _labels(service: str) -> dict[str, str]:
    return {"alertname": ALERT_NAME, "service": service, "severity": "critical"}
