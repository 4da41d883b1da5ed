"""``python -m bot.sim.slack``: a standalone simulator that prints its API URL."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bot.sim.slack.__main__ import build_parser, serve

ROOT = Path(__file__).resolve().parents[2]


async def test_serve_prints_the_api_url_and_stops_when_told() -> None:
    stop, out = asyncio.Event(), io.StringIO()
    server = asyncio.create_task(serve(host="127.0.0.1", port=0, stop=stop, out=out))
    while "SLACK_SIGNING_SECRET" not in out.getvalue():
        await asyncio.sleep(0.01)
    api_url = out.getvalue().splitlines()[0]

    response = await AsyncWebClient(base_url=api_url, token="xoxb-sim-token").auth_test()
    stop.set()
    await asyncio.wait_for(server, 5)

    assert response["user_id"] == "U0BOT"
    assert f"export SLACK_API_URL={api_url}" in out.getvalue()


def test_the_parser_defaults_to_loopback() -> None:
    args = build_parser().parse_args(["--port", "8123", "--posts-per-second", "1"])

    assert (args.host, args.port, args.posts_per_second) == ("127.0.0.1", 8123, 1.0)


def test_python_dash_m_runs_until_terminated() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, "-m", "bot.sim.slack", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    ) as process:
        try:
            assert process.stdout is not None
            first_line = process.stdout.readline().strip()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()

    assert first_line.startswith("http://127.0.0.1:")
    assert first_line.endswith("/api/")
