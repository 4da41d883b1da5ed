"""QA sign-off over real HTTP with the example config: bob and carol are QA (the @qa-team user
group), alice is a release manager, erin is neither. The request goes to #qa, with a link in
the release thread; two approvals with the whole checklist ticked approve the release."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import load_config
from bot.domain.gates import Gate
from bot.sim.slack import SimMessage, SlackSimulator
from tests.harness import Running, running_bot

EXAMPLE = Path(__file__).resolve().parents[2] / "stationmaster.example.yml"
CHECKLIST = ["Checkout on iOS", "Checkout on Android", "Refund flow"]


@pytest.fixture
async def sim() -> AsyncIterator[SlackSimulator]:
    simulator = await SlackSimulator().start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def bot(tmp_path: Path, sim: SlackSimulator) -> AsyncIterator[Running]:
    async with running_bot(tmp_path=tmp_path, config=load_config(path=EXAMPLE), sim=sim) as running:
        yield running


async def ready_for_signoff(bot: Running) -> tuple[str, SimMessage]:
    """Cut web, override all six gates, and return the version and the sign-off request."""
    reply = await bot.ask("cut web")
    version = reply.split("Cut *web/", 1)[1].split("*", 1)[0]
    for gate in Gate:
        done = await bot.ask(f"gates override {version} {gate.value} manual QA build")
        assert done.startswith(f"Overrode the {gate.value} gate"), done
    request = await bot.sim.wait_for(lambda: requests(bot)[:1], timeout=10)
    return version, request[0]


def requests(bot: Running) -> list[SimMessage]:
    return [m for m in bot.sim.messages_in("#qa") if m.text.startswith("QA sign-off")]


def text_of(message: SimMessage) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


def has_buttons(message: SimMessage) -> bool:
    return any(block.get("type") == "actions" for block in message.blocks)


async def tick_all(bot: Running, request: SimMessage, user: str = "bob") -> None:
    await bot.people.click(
        user=user, message=request, action_id="signoff.checklist", value=CHECKLIST
    )
    await bot.sim.wait_for(
        lambda: text_of(bot.sim.message("#qa", request.ts)).count("ballot_box_with_check") == 3,
        timeout=10,
    )


async def test_overriding_every_gate_posts_one_request_in_qa_linked_from_the_thread(
    bot: Running,
) -> None:
    _version, request = await ready_for_signoff(bot)
    assert has_buttons(request)
    assert "signoff.approve" in text_of(request)
    assert "2 more approvals needed" in text_of(request)
    assert "Gates: 0 of 6 pass, 6 overridden" in text_of(request)
    root = next(iter(bot.sim.messages_in("#releases", include_replies=False)))
    await bot.sim.wait_for(
        lambda: any(
            "QA sign-off is requested in" in m.text for m in bot.sim.thread(root.channel, root.ts)
        ),
        timeout=10,
    )
    await asyncio.sleep(0.3)
    assert len(requests(bot)) == 1


async def test_only_qa_may_click_and_a_refusal_leaves_the_message_alone(bot: Running) -> None:
    _, request = await ready_for_signoff(bot)
    edits = bot.sim.message("#qa", request.ts).edit_count
    for user in ("erin", "alice"):
        await bot.people.click(user=user, message=request, action_id="signoff.approve")
        refused = await bot.sim.wait_for(lambda u=user: bot.sim.ephemerals_for(u)[-1:], timeout=10)
        assert "Only QA members can sign off releases" in refused[0].text
    assert bot.sim.message("#qa", request.ts).edit_count == edits


async def test_approve_needs_the_checklist_then_counts_each_person_once(bot: Running) -> None:
    version, request = await ready_for_signoff(bot)
    before = len(bot.sim.ephemerals_for("bob"))
    await bot.people.click(user="bob", message=request, action_id="signoff.approve")
    left = await bot.sim.wait_for(lambda: bot.sim.ephemerals_for("bob")[before:], timeout=10)
    assert "Left: “Checkout on iOS”, “Checkout on Android”, “Refund flow”" in left[0].text

    await tick_all(bot, request)
    assert "Bob" in text_of(bot.sim.message("#qa", request.ts)) or "U0BOB" in text_of(
        bot.sim.message("#qa", request.ts)
    )
    await asyncio.gather(
        *(
            bot.people.click(user="bob", message=request, action_id="signoff.approve")
            for _ in range(5)
        )
    )
    await bot.sim.wait_for(
        lambda: "1 more approval needed" in text_of(bot.sim.message("#qa", request.ts)),
        timeout=10,
    )
    await asyncio.sleep(0.5)
    shown = await bot.ask(f"signoff {version}")
    approved = next(line for line in shown.splitlines() if line.startswith("Approved by"))
    assert approved.count("<@U0BOB>") == 1  # five clicks, one approval
    assert shown.count(" — <@U0BOB>") == 3  # who ticked each item
    history = await bot.ask(f"history {version}")
    assert history.count("signoff_approve") == 1

    await bot.people.click(user="carol", message=request, action_id="signoff.approve")
    await bot.sim.wait_for(
        lambda: "*Approved* by" in text_of(bot.sim.message("#qa", request.ts)), timeout=10
    )
    final = bot.sim.message("#qa", request.ts)
    assert not has_buttons(final)
    assert "approved" in await bot.ask(f"status {version}")


async def test_the_state_and_approvals_survive_a_restart(
    tmp_path: Path, sim: SlackSimulator
) -> None:
    config = load_config(path=EXAMPLE)
    async with running_bot(tmp_path=tmp_path, config=config, sim=sim) as bot:
        version, request = await ready_for_signoff(bot)
        await tick_all(bot, request)
        await bot.people.click(user="bob", message=request, action_id="signoff.approve")
        await bot.sim.wait_for(
            lambda: "1 more approval needed" in text_of(bot.sim.message("#qa", request.ts)),
            timeout=10,
        )
    async with running_bot(tmp_path=tmp_path, config=config, sim=sim) as bot:
        shown = await bot.ask(f"signoff {version}")
        assert "1 more approval needed" in shown
        assert "<@U0BOB>" in shown
        await bot.people.click(user="carol", message=request, action_id="signoff.approve")
        await bot.sim.wait_for(
            lambda: "*Approved* by" in text_of(bot.sim.message("#qa", request.ts)), timeout=10
        )
        assert len(requests(bot)) == 1
        assert "approved" in await bot.ask(f"status {version}")


async def test_reject_requires_a_reason_in_the_modal(bot: Running) -> None:
    version, request = await ready_for_signoff(bot)
    await bot.people.click(user="carol", message=request, action_id="signoff.reject")
    modal = await bot.sim.wait_for(lambda: next(iter(bot.sim.open_modals("carol")), None))
    empty = await bot.people.submit_view(
        user="carol", view_id=modal.id, values={"reason": {"reason_input": "   "}}
    )
    assert empty.json is not None
    assert empty.json["response_action"] == "errors"
    assert "needs a reason" in empty.json["errors"]["reason"]
    assert "awaiting sign-off" in await bot.ask(f"status {version}")

    done = await bot.people.submit_view(
        user="carol",
        view_id=modal.id,
        values={"reason": {"reason_input": "refunds double-charge on Android"}},
    )
    assert done.status == 200
    await bot.sim.wait_for(
        lambda: "Rejected" in text_of(bot.sim.message("#qa", request.ts)), timeout=10
    )
    assert not has_buttons(bot.sim.message("#qa", request.ts))
    assert "rejected" in await bot.ask(f"status {version}")
    root = next(iter(bot.sim.messages_in("#releases", include_replies=False)))
    note = await bot.sim.wait_for(
        lambda: next(
            (m for m in bot.sim.thread(root.channel, root.ts) if "rejected web/" in m.text), None
        ),
        timeout=10,
    )
    assert "refunds double-charge on Android" in note.text
    assert "subteam^S0RELMGR" in note.text

    stale = await bot.ask(f"approve {version}", user="bob")
    assert stale == f"web/{version}: this sign-off was rejected, so nothing changed."


async def test_an_approver_can_withdraw_before_the_quorum(bot: Running) -> None:
    version, request = await ready_for_signoff(bot)
    await tick_all(bot, request, user="carol")
    first = await bot.ask(f"approve {version}", user="bob")
    assert first == f"You approved web/{version}.\n*1 more approval needed* (quorum 2)."
    again = await bot.ask(f"approve {version}", user="bob")
    assert again == f"Your approval of web/{version} is already counted."

    before = len(bot.sim.ephemerals_for("bob"))
    await bot.people.click(user="bob", message=request, action_id="signoff.withdraw")
    said = await bot.sim.wait_for(lambda: bot.sim.ephemerals_for("bob")[before:], timeout=10)
    assert said[0].text == f"Your approval of web/{version} is withdrawn."
    await bot.sim.wait_for(
        lambda: "2 more approvals needed" in text_of(bot.sim.message("#qa", request.ts)),
        timeout=10,
    )
    refused = await bot.ask(f"signoff {version} withdraw", user="bob")
    assert refused == f"You have no approval of web/{version} to withdraw."
    assert "Only QA members" in await bot.ask(f"signoff {version} withdraw", user="erin")
    shown = await bot.ask(f"signoff {version}", user="erin")
    assert shown.startswith(f"*QA sign-off of web/{version}*\n*2 more approvals needed*")


async def test_a_checklist_click_on_a_foreign_block_is_told_to_use_the_command(
    bot: Running,
) -> None:
    _, request = await ready_for_signoff(bot)
    message = bot.sim.message("#qa", request.ts)
    for block in message.blocks:
        if str(block.get("block_id", "")).startswith("signoff_checklist"):
            block["block_id"] = "signoff_checklist:x"
    await bot.people.click(user="bob", message=request, action_id="signoff.checklist", value=[])
    said = await bot.sim.wait_for(lambda: bot.sim.ephemerals_for("bob")[-1:], timeout=10)
    assert "/release signoff VERSION" in said[0].text
