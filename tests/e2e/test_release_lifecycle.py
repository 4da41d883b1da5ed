"""Issue 4's walk-through over signed HTTP, against ``stationmaster run`` with the example config:
train, a refused cut, a cut, status, cancel without and with a reason, then a kill and restart."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot.sim.slack import SimClient, SlackSimulator
from tests.processes import running_server

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "stationmaster.example.yml"
TOKEN = "xoxb-e2e-token"
SECRET = "e2e-signing-secret"


def env_for(sim: SlackSimulator, tmp_path: Path) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": sim.api_url,
        "STATIONMASTER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        "STATIONMASTER_CONFIG": str(EXAMPLE),
    }


async def answer(people: SimClient, sim: SlackSimulator, *, user: str, text: str) -> str:
    """Run a command and return what the user sees: the ack, or the response-URL reply."""
    before = len(sim.ephemerals_for(user))
    response = await people.slash_command(user=user, text=text, channel="#releases")
    assert response.status == 200, response.body
    if response.json and response.json.get("text"):
        return str(response.json["text"])
    shown = await sim.wait_for(lambda: sim.ephemerals_for(user)[before:], timeout=10)
    return shown[-1].text


def roots(sim: SlackSimulator) -> list[object]:
    return [m for m in sim.messages_in("#releases", include_replies=False) if m.blocks]


async def test_a_release_from_cut_to_cancel_survives_a_restart(tmp_path: Path) -> None:
    async with SlackSimulator(bot_token=TOKEN, signing_secret=SECRET) as sim:
        env = env_for(sim, tmp_path)
        async with running_server(env=env, cwd=tmp_path) as server:
            async with SimClient(sim, bot_url=f"{server.url}/slack/events") as people:
                train = await answer(people, sim, user="bob", text="train web")
                assert "*web*" in train
                assert "cut:" in train
                assert "release:" in train

                refused = await answer(people, sim, user="bob", text="cut web")
                assert "Only release manager members can use `/release cut`" in refused
                assert roots(sim) == []

                cut = await answer(people, sim, user="alice", text="cut web")
                assert "Cut *web/" in cut
                posted = await sim.wait_for(lambda: roots(sim), timeout=10)
                assert len(posted) == 1
                version = cut.split("*web/", 1)[1].split("*", 1)[0]
                root = posted[0]
                assert version in root.text

                status = await answer(people, sim, user="carol", text=f"status {version}")
                assert f"*web/{version}* · gating" in status

                no_reason = await answer(people, sim, user="alice", text=f"cancel {version}")
                assert "a reason is required" in no_reason
                assert "Usage: `/release cancel VERSION REASON`" in no_reason
                assert "cancelled" not in sim.message(root.channel, root.ts).text

                done = await answer(
                    people, sim, user="alice", text=f"cancel {version} wrong branch"
                )
                assert f"Cancelled *web/{version}*" in done
                updated = await sim.wait_for(
                    lambda: "cancelled" in sim.message(root.channel, root.ts).text, timeout=10
                )
                assert updated
                assert len(roots(sim)) == 1
            server.process.send_signal(signal.SIGKILL)
            await asyncio.to_thread(server.process.wait, 10)
            assert server.process.returncode == -signal.SIGKILL

        posts_before = len(sim.calls_to("chat.postMessage"))
        async with (
            running_server(env=env, cwd=tmp_path) as server,
            SimClient(sim, bot_url=f"{server.url}/slack/events") as people,
        ):
            status = await answer(people, sim, user="dave", text=f"status web/{version}")
            assert f"*web/{version}* · cancelled" in status
            assert "wrong branch" in status
        assert len(sim.calls_to("chat.postMessage")) == posts_before
        assert len(roots(sim)) == 1
