"""Starting ``stationmaster`` as a real subprocess (coverage follows it: patch = subprocess)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

STOP_GRACE = 10.0


class PortTaken(Exception):
    """Another process took the port between ``free_port()`` and the server's bind."""


@dataclass
class LoopbackProcess:
    """A server binary the tests started on a loopback port, logging to a file."""

    process: subprocess.Popen[bytes]
    port: int
    config: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` it logged, for assertion messages."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:]) or "(nothing logged)"

    async def wait_ready(self, *, name: str, timeout: float) -> None:
        """Poll ``/-/ready`` until it answers 200; PortTaken when the bind lost a race, an
        AssertionError with the log's tail when it died or never got ready."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as http:
            while True:
                if self.process.poll() is not None:
                    tail = self.log_tail()
                    if "address already in use" in tail:
                        raise PortTaken
                    raise AssertionError(
                        f"{name} exited with {self.process.returncode} while starting:\n{tail}"
                    )
                try:
                    if (await http.get(f"{self.url}/-/ready")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"{name} was not ready after {timeout:.0f} s:\n{self.log_tail()}"
                    )
                await asyncio.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM (it shuts down cleanly), then SIGKILL after ``STOP_GRACE``."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait(timeout=STOP_GRACE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stationmaster(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=clean_env(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STATIONMASTER_"))}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return {**env, **(extra or {})}


@dataclass
class Server:
    """A running ``stationmaster run``. Its output goes to a file, never to an unread pipe: a
    full pipe would block the bot the moment it logs (at debug level that is within seconds)."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> str:
        """Stop it (SIGTERM, a clean shutdown) and return everything it logged."""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=20)
        return self.log.read_text(errors="replace")


@asynccontextmanager
async def running_server(
    *, env: dict[str, str], args: tuple[str, ...] = (), cwd: Path | None = None
) -> AsyncIterator[Server]:
    """Start ``stationmaster run`` and wait for its port without blocking the event loop
    (a simulator in this loop must be able to answer the bot while it starts)."""
    port = free_port()
    fd, name = tempfile.mkstemp(prefix="stationmaster-run-", suffix=".log")
    with os.fdopen(fd, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                *("--port", str(port)),
                *("--host", "127.0.0.1"),
                *args,
            ],
            env=clean_env(env),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(process=process, port=port, log=Path(name))
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                logs = await asyncio.to_thread(server.stop)
                raise AssertionError(f"stationmaster run exited early:\n{logs}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    logs = await asyncio.to_thread(server.stop)
                    raise AssertionError(f"not listening after 30 s:\n{logs}") from None
                await asyncio.sleep(0.05)
        yield server
    finally:
        if process.poll() is None:
            await asyncio.to_thread(server.stop)
        server.log.unlink(missing_ok=True)
