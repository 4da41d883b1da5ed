"""A real Alertmanager for tests: Debian's ``prometheus-alertmanager`` on a free loopback port.

::

    async with running_alertmanager(webhook_url=receiver_url, token="s3cret") as am:
        await post_alerts(am.url, [{"labels": {"alertname": "Down", "service": "checkout"}}])
        groups = await alert_groups(am.url)

Its one route sends every alert to one receiver, a ``webhook_configs`` entry that POSTs the
Alertmanager webhook payload (``"version": "4"``) to ``webhook_url`` with
``Authorization: Bearer <token>``. Groups are flushed quickly (``group_wait`` and
``group_interval`` of one second) so a test sees its notification at once. Clustering is off
(``--cluster.listen-address=`` empty: no gossip port, no settle delay before the first
notification), the silences and notification log live in a temporary directory, and it logs at
debug level to a file (never to an unread pipe).

Like ``tests/prometheus.py``: CI installs it
(``apt-get install --no-install-recommends prometheus-alertmanager``); when the binary is missing
the tests fail and say so, unless ``STATIONMASTER_ALLOW_NO_PROMETHEUS=1``, which skips them.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.processes import LoopbackProcess, PortTaken, free_port
from tests.prometheus import require_binary

BINARY = "prometheus-alertmanager"
INSTALL_HINT = "apt-get install --no-install-recommends prometheus-alertmanager"
RECEIVER = "stationmaster"
START_TIMEOUT = 30.0
PORT_ATTEMPTS = 3  # free_port() can race another process for the port


class Alertmanager(LoopbackProcess):
    """A running Alertmanager; ``url`` is its root, e.g. ``http://127.0.0.1:41234``."""


def alertmanager_binary() -> str:
    """The ``prometheus-alertmanager`` on PATH; fail (or skip, when allowed) without one."""
    return require_binary(BINARY, INSTALL_HINT)


def write_config(
    path: Path,
    *,
    webhook_url: str,
    token: str,
    group_wait: str,
    group_interval: str,
    repeat_interval: str,
    group_by: Sequence[str],
    send_resolved: bool,
    resolve_timeout: str,
) -> None:
    """``alertmanager.yml`` (JSON is YAML, and quotes every value safely)."""
    config: dict[str, Any] = {
        "global": {"resolve_timeout": resolve_timeout},
        "route": {
            "receiver": RECEIVER,
            "group_by": list(group_by),
            "group_wait": group_wait,
            "group_interval": group_interval,
            "repeat_interval": repeat_interval,
        },
        "receivers": [
            {
                "name": RECEIVER,
                "webhook_configs": [
                    {
                        "url": webhook_url,
                        "send_resolved": send_resolved,
                        "http_config": {"authorization": {"type": "Bearer", "credentials": token}},
                    }
                ],
            }
        ],
    }
    path.write_text(json.dumps(config, indent=2) + "\n")


@asynccontextmanager
async def running_alertmanager(
    *,
    webhook_url: str,
    token: str,
    group_wait: str = "1s",
    group_interval: str = "1s",
    repeat_interval: str = "1h",
    group_by: Sequence[str] = ("alertname", "service"),
    send_resolved: bool = True,
    resolve_timeout: str = "5m",
) -> AsyncIterator[Alertmanager]:
    """Start Alertmanager notifying ``webhook_url``, wait until ``/-/ready`` answers, stop it
    at exit. The intervals are Alertmanager durations (``"1s"``, ``"5m"``)."""
    binary = alertmanager_binary()
    with tempfile.TemporaryDirectory(prefix="stationmaster-am-") as tmp:
        root = Path(tmp)
        config = root / "alertmanager.yml"
        write_config(
            config,
            webhook_url=webhook_url,
            token=token,
            group_wait=group_wait,
            group_interval=group_interval,
            repeat_interval=repeat_interval,
            group_by=group_by,
            send_resolved=send_resolved,
            resolve_timeout=resolve_timeout,
        )
        am = await _start(binary, root, config)
        try:
            yield am
        finally:
            await asyncio.to_thread(am.stop)


async def _start(binary: str, root: Path, config: Path) -> Alertmanager:
    for attempt in range(1, PORT_ATTEMPTS + 1):
        am = _spawn(binary, root, config, attempt)
        try:
            await am.wait_ready(name="alertmanager", timeout=START_TIMEOUT)
        except PortTaken:
            continue
        except BaseException:
            await asyncio.to_thread(am.stop)
            raise
        return am
    raise AssertionError(f"Alertmanager found no free port in {PORT_ATTEMPTS} attempts")


def _spawn(binary: str, root: Path, config: Path, attempt: int) -> Alertmanager:
    port = free_port()
    log = root / f"alertmanager-{attempt}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--web.listen-address=127.0.0.1:{port}",
                # externalURL in payloads points here rather than at this machine's hostname
                f"--web.external-url=http://127.0.0.1:{port}",
                "--cluster.listen-address=",  # empty: no HA mode, no gossip settle wait
                f"--storage.path={root / f'data-{attempt}'}",
                "--log.level=debug",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
    return Alertmanager(process=process, port=port, config=config, log=log)


async def post_alerts(am_url: str, alerts: list[dict[str, Any]]) -> None:
    """``POST /api/v2/alerts``: each alert has ``labels`` and optionally ``annotations``,
    ``startsAt``, ``endsAt`` (RFC 3339; an ``endsAt`` in the past resolves it) and
    ``generatorURL``. Raise with Alertmanager's answer unless it is a 2xx."""
    async with httpx.AsyncClient(timeout=5.0) as http:
        response = await http.post(f"{am_url}/api/v2/alerts", json=alerts)
    if not response.is_success:
        raise AssertionError(
            f"POST {am_url}/api/v2/alerts answered {response.status_code}: {response.text}"
        )


async def alert_groups(am_url: str) -> list[dict[str, Any]]:
    """``GET /api/v2/alerts/groups``: each group has ``labels`` (its ``group_by`` values),
    ``receiver`` and ``alerts``."""
    async with httpx.AsyncClient(timeout=5.0) as http:
        response = await http.get(f"{am_url}/api/v2/alerts/groups")
    if not response.is_success:
        raise AssertionError(
            f"GET {am_url}/api/v2/alerts/groups answered {response.status_code}: {response.text}"
        )
    groups: list[dict[str, Any]] = response.json()
    return groups
