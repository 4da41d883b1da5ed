"""A real Prometheus for tests: Debian's ``prometheus`` binary on a free loopback port.

::

    async with running_prometheus(targets=[f"127.0.0.1:{port}"], scrape_interval="1s") as prom:
        await wait_for_series(prom.url, 'up{job="sim"} == 1', timeout=10)

It scrapes the targets as job ``sim`` into a temporary TSDB and logs to a file (never to an
unread pipe). CI installs it (``apt-get install --no-install-recommends prometheus``): when the
binary is missing the tests fail and say so, unless ``STATIONMASTER_ALLOW_NO_PROMETHEUS=1``,
which skips them instead.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.processes import free_port

ALLOW_MISSING_ENV = "STATIONMASTER_ALLOW_NO_PROMETHEUS"
INSTALL_HINT = "apt-get install --no-install-recommends prometheus"
START_TIMEOUT = 30.0
STOP_GRACE = 10.0
PORT_ATTEMPTS = 3  # free_port() can race another process for the port


@dataclass
class Prometheus:
    """A running Prometheus; ``url`` is its root, e.g. ``http://127.0.0.1:41234``."""

    process: subprocess.Popen[bytes]
    port: int
    config: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:]) or "(nothing logged)"

    def stop(self) -> None:
        """SIGTERM (Prometheus shuts down cleanly), then SIGKILL after ``STOP_GRACE``."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait(timeout=STOP_GRACE)


def prometheus_binary() -> str:
    """The ``prometheus`` on PATH; fail (or skip, when allowed) without one."""
    found = shutil.which("prometheus")
    if found:
        return found
    reason = f"the prometheus binary is not on PATH ({INSTALL_HINT})"
    if os.environ.get(ALLOW_MISSING_ENV) == "1":
        pytest.skip(f"{reason}; skipped because {ALLOW_MISSING_ENV}=1")
    pytest.fail(
        f"{reason}; CI must have it. Set {ALLOW_MISSING_ENV}=1 to skip these tests locally",
        pytrace=False,
    )


def write_config(
    path: Path, *, targets: Sequence[str], scrape_interval: str, job: str = "sim"
) -> None:
    """``prometheus.yml`` (JSON is YAML, and quotes every value safely)."""
    config: dict[str, Any] = {
        "global": {
            "scrape_interval": scrape_interval,
            "scrape_timeout": scrape_interval,
            "evaluation_interval": scrape_interval,
        },
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": list(targets)}]}],
    }
    path.write_text(json.dumps(config, indent=2) + "\n")


@asynccontextmanager
async def running_prometheus(
    *, targets: Sequence[str], scrape_interval: str = "1s", job: str = "sim"
) -> AsyncIterator[Prometheus]:
    """Start Prometheus scraping ``targets``, wait until ``/-/ready`` answers, stop it at exit."""
    binary = prometheus_binary()
    with tempfile.TemporaryDirectory(prefix="stationmaster-prom-") as tmp:
        root = Path(tmp)
        config = root / "prometheus.yml"
        write_config(config, targets=targets, scrape_interval=scrape_interval, job=job)
        prom = await _start(binary, root, config)
        try:
            yield prom
        finally:
            await asyncio.to_thread(prom.stop)


async def _start(binary: str, root: Path, config: Path) -> Prometheus:
    for attempt in range(1, PORT_ATTEMPTS + 1):
        prom = _spawn(binary, root, config, attempt)
        try:
            await _wait_ready(prom)
        except _PortTaken:
            continue
        except BaseException:
            await asyncio.to_thread(prom.stop)
            raise
        return prom
    raise AssertionError(f"Prometheus found no free port in {PORT_ATTEMPTS} attempts")


def _spawn(binary: str, root: Path, config: Path, attempt: int) -> Prometheus:
    port = free_port()
    log = root / f"prometheus-{attempt}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={root / f'data-{attempt}'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
    return Prometheus(process=process, port=port, config=config, log=log)


class _PortTaken(Exception):
    pass


async def _wait_ready(prom: Prometheus) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=2.0) as http:
        while True:
            if prom.process.poll() is not None:
                tail = prom.log_tail()
                if "address already in use" in tail:
                    raise _PortTaken
                raise AssertionError(
                    f"prometheus exited with {prom.process.returncode} while starting:\n{tail}"
                )
            try:
                if (await http.get(f"{prom.url}/-/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"prometheus was not ready after {START_TIMEOUT:.0f} s:\n{prom.log_tail()}"
                )
            await asyncio.sleep(0.1)


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
