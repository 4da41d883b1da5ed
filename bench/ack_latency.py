"""Ack latency of signed ``/release help`` commands, against two bare-bolt baselines.

Starts, each as its own process on loopback: Stationmaster (``stationmaster run``, its Web API
calls going to the Slack simulator), a bare slack-bolt app in bolt's default mode, and the same
app with ``process_before_response=True``. Sends signed slash commands at concurrency 1, 16 and
64, and prints p50/p95/p99 and the ratio to the faster baseline.

    python bench/ack_latency.py            # 600 requests per concurrency level
    python bench/ack_latency.py --smoke    # tiny sizes, for CI
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from bot.sim.slack import SlackSimulator, sign

HERE = Path(__file__).resolve().parent
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def signed(n: int) -> tuple[bytes, dict[str, str]]:
    body = urlencode(
        {
            "token": "verification-token",
            "team_id": "T0SIM",
            "team_domain": "sim",
            "channel_id": "C0RELEASES",
            "channel_name": "releases",
            "user_id": "U0ALICE",
            "user_name": "alice",
            "command": "/release",
            "text": "help",
            "api_app_id": "A0SIM",
            "response_url": "http://127.0.0.1:9/response/unused",
            "trigger_id": f"bench.{n}",
        }
    ).encode()
    timestamp = str(int(time.time()))
    return body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(secret=SECRET, timestamp=timestamp, body=body),
    }


@contextmanager
def process(argv: list[str], *, port: int, env: dict[str, str]) -> Iterator[str]:
    proc = subprocess.Popen(
        argv, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        yield url + "/slack/events"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


async def load(url: str, *, requests: int, concurrency: int) -> list[float]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(requests):
        queue.put_nowait(n)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                body, headers = signed(n)
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{url} answered {response.status}")
                latencies.append(time.perf_counter() - started)

        for _ in range(3):  # warm up: connections, bolt's auth.test, caches
            body, headers = signed(-1)
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--requests", type=int, default=600)
    args = parser.parse_args()
    levels, requests = ((1, 4), 20) if args.smoke else ((1, 16, 64), args.requests)

    async with SlackSimulator(bot_token=TOKEN, signing_secret=SECRET) as sim:
        with tempfile.TemporaryDirectory() as tmp:
            ports = [free_port() for _ in range(3)]
            bot_env = {
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": sim.api_url,
                "STATIONMASTER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
                "STATIONMASTER_LOG_LEVEL": "warning",
            }
            py = sys.executable
            base = [
                py,
                str(HERE / "baseline_app.py"),
                *("--signing-secret", SECRET, "--token", TOKEN, "--api-url", sim.api_url),
            ]
            targets = {
                "stationmaster": ([py, "-m", "bot.cli", "run", "--port", str(ports[0])], bot_env),
                "bolt default": ([*base, "--port", str(ports[1])], {}),
                "bolt process_before_response": (
                    [*base, "--port", str(ports[2]), "--process-before-response"],
                    {},
                ),
            }
            results: dict[tuple[str, int], tuple[float, float, float]] = {}
            for (name, (argv, env)), port in zip(targets.items(), ports, strict=True):
                with process(argv, port=port, env=env) as url:
                    for concurrency in levels:
                        samples = await load(url, requests=requests, concurrency=concurrency)
                        results[name, concurrency] = percentiles(samples)

    print(f"ack latency, {requests} signed /release help per level (ms)")
    print(f"{'target':<30} {'conc':>4} {'p50':>8} {'p95':>8} {'p99':>8}")
    for (name, concurrency), (p50, p95, p99) in results.items():
        print(f"{name:<30} {concurrency:>4} {p50:>8.2f} {p95:>8.2f} {p99:>8.2f}")
    print("ratio to the faster baseline (stationmaster / min(bolt default, bolt pbr))")
    for concurrency in levels:
        ours = results["stationmaster", concurrency]
        best = min(
            (
                results["bolt default", concurrency],
                results["bolt process_before_response", concurrency],
            ),
            key=lambda r: r[0],
        )
        print(
            f"  concurrency {concurrency:>3}: p50 {ours[0] / best[0]:.2f}x  "
            f"p99 {ours[2] / best[2]:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
