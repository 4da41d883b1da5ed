"""``stationmaster run`` as a real process, against a Slack-compatible fake."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp

from bot.sim.slack import Knobs, SimClient, SlackSimulator
from tests.processes import running_server

SECRET = "s3cr3t-signing-value-0123456789"
TOKEN = "xoxb-111-222-supersecrettoken"
APP_TOKEN = "xapp-1-A111-333-appsecrettoken"


def env_for(sim: SlackSimulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": sim.api_url,
        "STATIONMASTER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        **extra,
    }


async def test_run_answers_signed_help_and_never_logs_secrets(tmp_path: Path) -> None:
    async with SlackSimulator(bot_token=TOKEN, signing_secret=SECRET) as sim:
        env = env_for(sim, tmp_path, STATIONMASTER_LOG_LEVEL="debug")
        async with running_server(env=env, cwd=tmp_path) as server:
            async with SimClient(sim, bot_url=f"{server.url}/slack/events") as people:
                started = time.monotonic()
                response = await people.slash_command(user="alice", text="help")
                assert time.monotonic() - started < 3
                assert response.status == 200
                assert "/release whoami" in response.json["text"]
                await people.slash_command(user="bob", text="whoami")
                await sim.wait_for(
                    lambda: [e for e in sim.ephemerals_for("bob") if "Roles" in e.text], timeout=5
                )
                refused = await people.slash_command(
                    user="alice", text="help", knobs=Knobs(signature="v0=forged")
                )
                assert refused.status == 401
                big = await people.post_raw(
                    body=b"x" * (1024 * 1024 + 1), content_type="application/json"
                )
                assert big.status == 413
            logs = await asyncio.to_thread(server.stop)
    assert '"event": "listening"' in logs
    assert '"request_id"' in logs
    for secret in (TOKEN, SECRET, "supersecrettoken"):
        assert secret not in logs


async def test_local_mode_says_so_first_and_serves(tmp_path: Path) -> None:
    env = {"STATIONMASTER_DATABASE_URL": f"sqlite:///{tmp_path / 'local.db'}"}
    async with running_server(env=env, cwd=tmp_path) as server:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{server.url}/readyz") as response,
        ):
            assert response.status == 200
        logs = await asyncio.to_thread(server.stop)
    first = logs.splitlines()[0]
    assert "local mode: no SLACK_BOT_TOKEN" in first
    assert "built-in Slack simulator at http://127.0.0.1:" in first
    assert server.process.returncode == 0


async def test_default_database_is_a_file_in_the_working_directory(tmp_path: Path) -> None:
    async with running_server(env={}, cwd=tmp_path) as server:
        await asyncio.to_thread(server.stop)
    assert (tmp_path / "stationmaster.db").exists()


async def test_socket_mode_against_the_simulator(tmp_path: Path) -> None:
    async with SlackSimulator(bot_token=TOKEN, app_token=APP_TOKEN, signing_secret=SECRET) as sim:
        env = env_for(sim, tmp_path, SLACK_APP_TOKEN=APP_TOKEN)
        async with running_server(env=env, cwd=tmp_path) as server:
            await sim.socket.wait_connected(within=10)
            async with SimClient(sim, transport="socket") as people:
                response = await people.slash_command(user="alice", text="help")
                assert response.status == 200
                assert "/release whoami" in response.json["text"]
                await people.slash_command(user="carol", text="whoami")
                shown = await sim.wait_for(
                    lambda: [e for e in sim.ephemerals_for("carol") if "Roles" in e.text],
                    timeout=5,
                )
                assert "QA" not in shown[0].text  # no roles configured in this run
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{server.url}/healthz") as health,
            ):
                assert health.status == 200
            logs = await asyncio.to_thread(server.stop)
    assert "socket mode connected" in logs
    assert APP_TOKEN not in logs
