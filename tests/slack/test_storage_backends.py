"""The Slack path on both databases: durable retry claims are shared through the database,
so a retry delivered to a second replica is recognised too."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.sim.slack import Knobs, SlackSimulator
from tests.harness import running_bot
from tests.slack.test_requests import event_body


async def test_a_retry_reaching_another_replica_is_not_redone(db_url: str, tmp_path: Path) -> None:
    async with SlackSimulator() as sim:
        body = event_body("EvREPLICA1", user="U0CAROL")
        async with running_bot(tmp_path=tmp_path, database_url=db_url, sim=sim) as first:
            response = await first.people.post_raw(body=body, content_type="application/json")
            assert response.status == 200
            await sim.wait_for(lambda: sim.calls_to("views.publish"), timeout=5)
            await asyncio.sleep(0.3)  # the claim is written after the ack
        async with running_bot(tmp_path=tmp_path, database_url=db_url, sim=sim) as second:
            retry = await second.people.post_raw(
                body=body,
                content_type="application/json",
                knobs=Knobs(headers={"X-Slack-Retry-Num": "2"}),
            )
            assert retry.status == 200
            assert retry.headers.get("X-Slack-No-Retry") == "1"
            await asyncio.sleep(0.3)
        assert len(sim.calls_to("views.publish")) == 1
