"""A real Prometheus for tests: Debian's ``prometheus`` binary on a free loopback port.

::

    async with running_prometheus(targets=[f"127.0.0.1:{port}"], scrape_interval="1s") as prom:
        await wait_for_series(prom.url, 'up{job="sim"} == 1', timeout=10)

It scrapes the targets as job ``sim`` into a temporary TSDB and logs to a file (never to an
unread pipe). Given ``rules`` (the text of a rule file) it evaluates them every
``evaluation_interval``, and given ``alertmanager_url`` it sends the alerts there (see
``tests/alertmanager.py`` for a real one)::

    async with running_prometheus(rules=RULES, alertmanager_url=am.url) as prom:
        await wait_for_alert(prom.url, "AlwaysFiring")

CI installs it (``apt-get install --no-install-recommends prometheus``): when the binary is
missing the tests fail and say so, unless ``STATIONMASTER_ALLOW_NO_PROMETHEUS=1``, which skips
them instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.processes import LoopbackProcess, PortTaken, free_port

ALLOW_MISSING_ENV = "STATIONMASTER_ALLOW_NO_PROMETHEUS"
INSTALL_HINT = "apt-get install --no-install-recommends prometheus"
START_TIMEOUT = 30.0
PORT_ATTEMPTS = 3  # free_port() can race another process for the port


class Prometheus(LoopbackProcess):
    """A running Prometheus; ``url`` is its root, e.g. ``http://127.0.0.1:41234``."""


def prometheus_binary() -> str:
    """The ``prometheus`` on PATH; fail (or skip, when allowed) without one."""
    return require_binary("prometheus", INSTALL_HINT)


def require_binary(name: str, install_hint: str) -> str:
    """The path of ``name`` on PATH. Without it, fail the test (CI must have it), or skip it
    when ``STATIONMASTER_ALLOW_NO_PROMETHEUS=1``; either way the message says how to install."""
    found = shutil.which(name)
    if found:
        return found
    reason = f"the {name} binary is not on PATH ({install_hint})"
    if os.environ.get(ALLOW_MISSING_ENV) == "1":
        pytest.skip(f"{reason}; skipped because {ALLOW_MISSING_ENV}=1")
    pytest.fail(
        f"{reason}; CI must have it. Set {ALLOW_MISSING_ENV}=1 to skip these tests locally",
        pytrace=False,
    )


def write_config(
    path: Path,
    *,
    targets: Sequence[str],
    scrape_interval: str,
    job: str = "sim",
    evaluation_interval: str | None = None,
    rule_files: Sequence[Path] = (),
    alertmanager_url: str | None = None,
) -> None:
    """``prometheus.yml`` (JSON is YAML, and quotes every value safely).

    ``evaluation_interval`` defaults to ``scrape_interval``; ``rule_files`` are listed as
    absolute paths; ``alertmanager_url`` (e.g. ``http://127.0.0.1:9093``, optionally with a
    path prefix) becomes the one static Alertmanager, spoken to with the v2 API.
    """
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": scrape_interval,
            "scrape_timeout": scrape_interval,
            "evaluation_interval": evaluation_interval or scrape_interval,
        },
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": list(targets)}]}],
    }
    if rule_files:
        config["rule_files"] = [str(rule.resolve()) for rule in rule_files]
    if alertmanager_url is not None:
        config["alerting"] = {"alertmanagers": [alertmanager_config(alertmanager_url)]}
    path.write_text(json.dumps(config, indent=2) + "\n")


def alertmanager_config(url: str) -> dict[str, Any]:
    """One ``alerting.alertmanagers`` entry for ``url``: its scheme, ``host:port`` (the
    scheme's default port when it has none) and path prefix."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) Alertmanager URL: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    entry: dict[str, Any] = {
        "scheme": parts.scheme,
        "api_version": "v2",
        "timeout": "5s",
        "static_configs": [{"targets": [f"{host}:{port}"]}],
    }
    if parts.path.strip("/"):
        entry["path_prefix"] = parts.path.rstrip("/")
    return entry


@asynccontextmanager
async def running_prometheus(
    *,
    targets: Sequence[str] = (),
    scrape_interval: str = "1s",
    job: str = "sim",
    rules: str | None = None,
    evaluation_interval: str = "1s",
    alertmanager_url: str | None = None,
    alert_resend_delay: str = "1s",
) -> AsyncIterator[Prometheus]:
    """Start Prometheus scraping ``targets``, wait until ``/-/ready`` answers, stop it at exit.

    ``rules`` is the text of a rule file (YAML with ``groups:``), evaluated every
    ``evaluation_interval``; its alerts go to ``alertmanager_url`` when one is given, and are
    sent again every ``alert_resend_delay``. Prometheus only finds its Alertmanager about 5 s
    after it starts (service discovery throttles updates) and drops what it sent before, so
    with the default resend delay (1m) a rule firing at once would reach Alertmanager a
    minute late; Alertmanager deduplicates the resent alerts, so they notify once.
    """
    binary = prometheus_binary()
    with tempfile.TemporaryDirectory(prefix="stationmaster-prom-") as tmp:
        root = Path(tmp)
        config = root / "prometheus.yml"
        rule_files: list[Path] = []
        if rules is not None:
            rule_file = root / "rules.yml"
            rule_file.write_text(rules)
            rule_files.append(rule_file)
        write_config(
            config,
            targets=targets,
            scrape_interval=scrape_interval,
            job=job,
            evaluation_interval=evaluation_interval,
            rule_files=rule_files,
            alertmanager_url=alertmanager_url,
        )
        flags = [f"--rules.alert.resend-delay={alert_resend_delay}"]
        prom = await _start(binary, root, config, flags)
        try:
            yield prom
        finally:
            await asyncio.to_thread(prom.stop)


async def _start(binary: str, root: Path, config: Path, flags: Sequence[str] = ()) -> Prometheus:
    for attempt in range(1, PORT_ATTEMPTS + 1):
        prom = _spawn(binary, root, config, attempt, flags)
        try:
            await prom.wait_ready(name="prometheus", timeout=START_TIMEOUT)
        except PortTaken:
            continue
        except BaseException:
            await asyncio.to_thread(prom.stop)
            raise
        return prom
    raise AssertionError(f"Prometheus found no free port in {PORT_ATTEMPTS} attempts")


def _spawn(
    binary: str, root: Path, config: Path, attempt: int, flags: Sequence[str] = ()
) -> Prometheus:
    port = free_port()
    log = root / f"prometheus-{attempt}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={root / f'data-{attempt}'}",
                f"--web.listen-address=127.0.0.1:{port}",
                # alerts' generatorURL points here rather than at this machine's hostname
                f"--web.external-url=http://127.0.0.1:{port}",
                "--log.level=warn",
                *flags,
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
    return Prometheus(process=process, port=port, config=config, log=log)


async def wait_for_series(prom_url: str, query: str, timeout: float = 15.0) -> list[Any]:
    """Poll the instant ``query`` until it returns at least one series; return them.

    Use a query that filters what is not ready yet, e.g. ``rate(x[5s]) > 0`` waits for the
    two samples ``rate`` needs.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    async with httpx.AsyncClient(timeout=5.0) as http:
        while True:
            try:
                response = await http.get(f"{prom_url}/api/v1/query", params={"query": query})
                last = response.json()
            except (httpx.TransportError, ValueError) as exc:
                last = repr(exc)
            data = last.get("data") if isinstance(last, dict) else None
            if isinstance(data, dict) and data.get("resultType") == "vector" and data["result"]:
                return list(data["result"])
            if time.monotonic() > deadline:
                raise AssertionError(f"no series for {query} after {timeout} s; last: {last}")
            await asyncio.sleep(0.2)


async def wait_for_alert(
    prom_url: str, name: str, state: str = "firing", timeout: float = 15.0
) -> dict[str, Any]:
    """Poll ``GET /api/v1/alerts`` until an alert named ``name`` is in ``state`` (``pending``
    or ``firing``); return it (``labels``, ``annotations``, ``state``, ``activeAt``, ``value``)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    async with httpx.AsyncClient(timeout=5.0) as http:
        while True:
            try:
                last = (await http.get(f"{prom_url}/api/v1/alerts")).json()
            except (httpx.TransportError, ValueError) as exc:
                last = repr(exc)
            data = last.get("data") if isinstance(last, dict) else None
            alerts = data.get("alerts") if isinstance(data, dict) else None
            for alert in alerts if isinstance(alerts, list) else []:
                if alert.get("labels", {}).get("alertname") == name and alert.get("state") == state:
                    return dict(alert)
            if time.monotonic() > deadline:
                raise AssertionError(f"no {state} alert {name} after {timeout} s; last: {last}")
            await asyncio.sleep(0.2)
