"""Quality gates over real HTTP: signed CI reports to ``POST /hooks/ci`` of the running bot, the
gate report in the release thread of the Slack simulator, updated in place, and the commands.

alice is a release manager; bob is QA.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from bot.config import parse_config
from bot.gates_cli import build_body
from bot.sim.slack import SimMessage
from tests.harness import Running, running_bot
from tests.services.world import make_repo

SECRET = "ci-s3cret"
CONFIG = """
roles:
  release_managers: ["@release-managers"]
  qa: ["@qa-team"]
trains:
  web:
    channel: "#releases"
    repo: {{path: "{repo}", branch: main}}
"""


def junit(*failing: str, passing: int = 3) -> bytes:
    cases = [
        f'<testcase classname="shop.tests" name="test_ok_{i}" time="0.1"/>' for i in range(passing)
    ]
    cases += [
        f'<testcase classname="shop.tests" name="{name}" time="0.2">'
        f'<failure message="assert 1 == 2">trace</failure></testcase>'
        for name in failing
    ]
    body = "".join(cases)
    suite = f'<testsuites><testsuite name="unit">{body}</testsuite></testsuites>'
    return f'<?xml version="1.0"?>{suite}'.encode()


E2E = (
    b'<testsuite name="e2e"><testcase name="checkout with card"/>'
    b'<testcase name="login with password"/></testsuite>'
)
LCOV = b"TN:\nSF:shop/cart.py\nDA:1,1\nDA:2,1\nDA:3,1\nDA:4,1\nDA:5,1\nend_of_record\n"
SARIF = json.dumps({
    "version": "2.1.0",
    "runs": [{"tool": {"driver": {"name": "bandit", "rules": []}}, "results": []}],
}).encode()  # fmt: skip
BENCH = json.dumps([{"name": "p99", "value": 12.5, "unit": "ms"}]).encode()
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><testsuite>&lol2;</testsuite>'
)


@dataclass
class Answer:
    status: int
    body: dict[str, object]


async def post_report(
    bot: Running,
    *,
    release: str,
    gate: str,
    files: list[tuple[str, bytes]],
    secret: str | None = SECRET,
    delivery: str | None = None,
    extra: dict[str, str] | None = None,
) -> Answer:
    boundary = uuid.uuid4().hex
    fields = {"release": release, "gate": gate, "build_url": "https://ci.example.com/run/7"}
    body = build_body({**fields, **(extra or {})}, files, boundary=boundary)
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if secret is not None:
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Stationmaster-Signature"] = f"sha256={digest}"
    if delivery is not None:
        headers["X-Stationmaster-Delivery"] = delivery
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{bot.url}/hooks/ci", data=body, headers=headers) as response,
    ):
        return Answer(status=response.status, body=await response.json())


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Running]:
    repo = make_repo(tmp_path / "repo")
    config = parse_config(text=CONFIG.format(repo=repo))
    async with running_bot(
        tmp_path=tmp_path, config=config, ci_secret=SecretStr(SECRET)
    ) as running:
        yield running


async def cut(bot: Running) -> tuple[str, SimMessage]:
    reply = await bot.ask("cut web")
    assert "Cut *web/" in reply
    version = reply.split("Cut *web/", 1)[1].split("*", 1)[0]
    root = await bot.sim.wait_for(
        lambda: next(iter(bot.sim.messages_in("#releases", include_replies=False)), None)
    )
    return version, root


def gate_messages(bot: Running, root: SimMessage) -> list[SimMessage]:
    return [m for m in bot.sim.thread(root.channel, root.ts) if m.text.startswith("Quality gates")]


async def gate_message(bot: Running, root: SimMessage, *, containing: str) -> SimMessage:
    return await bot.sim.wait_for(
        lambda: next((m for m in gate_messages(bot, root) if containing in m.text), None),
        timeout=10,
    )


async def test_reports_make_one_gate_message_updated_in_place_until_sign_off(bot: Running) -> None:
    version, root = await cut(bot)

    failed = await post_report(
        bot, release=version, gate="unit", files=[("junit.xml", junit("test_pay"))]
    )
    assert failed.status == 200, failed.body
    assert (failed.body["verdict"], failed.body["state"]) == ("fail", "blocked")
    message = await gate_message(bot, root, containing="unit fail")
    shown = json.dumps(message.blocks, ensure_ascii=False)
    assert "shop.tests.test_pay" in shown
    assert "assert 1 == 2" in shown
    assert "https://ci.example.com/run/7" in shown
    assert "Show all failures (1)" in shown

    for gate, files in (
        ("unit", [("junit.xml", junit())]),
        ("integration", [("it.xml", junit())]),
        ("e2e", [("e2e.xml", E2E)]),
        ("coverage", [("lcov.info", LCOV)]),
        ("performance", [("bench.json", BENCH)]),
    ):
        answer = await post_report(bot, release=version, gate=gate, files=files)
        assert answer.status == 200, answer.body
        assert answer.body["verdict"] == "pass"
    last = await post_report(
        bot, release=f"web/{version}", gate="security", files=[("b.sarif", SARIF)]
    )
    assert (last.body["verdict"], last.body["gates"], last.body["state"]) == (
        "pass", "passed", "awaiting_signoff",
    )  # fmt: skip

    done = await gate_message(bot, root, containing="security pass")
    assert done.ts == message.ts
    assert done.edit_count >= 6
    assert len(gate_messages(bot, root)) == 1
    assert "all gates pass" in json.dumps(done.blocks, ensure_ascii=False)
    await bot.sim.wait_for(
        lambda: "awaiting sign-off" in bot.sim.message(root.channel, root.ts).text, timeout=10
    )


async def test_overrides_are_audited_shown_in_the_report_and_only_for_release_managers(
    bot: Running,
) -> None:
    version, root = await cut(bot)
    await post_report(bot, release=version, gate="unit", files=[("j.xml", junit("test_pay"))])

    refused = await bot.ask(f"gates override {version} unit flaky", user="bob")
    assert "Only release manager members can use `/release gates override`" in refused
    missing = await bot.ask(f"gates override {version} unit")
    assert "needs a reason" in missing
    unknown = await bot.ask(f"gates override {version} unitt flaky")
    assert "`unitt` is not a gate" in unknown

    done = await bot.ask(f"gates override {version} unit known flake in test_pay")
    assert f"Overrode the unit gate of *web/{version}*; it is gating." == done
    message = await gate_message(bot, root, containing="unit overridden")
    assert "Overridden by <@" in json.dumps(message.blocks, ensure_ascii=False)
    assert "known flake in test_pay" in json.dumps(message.blocks, ensure_ascii=False)

    history = await bot.ask(f"history {version}")
    assert "gate_override" in history
    shown = await bot.ask(f"gates {version}")
    assert "unit overridden" in shown


async def test_every_bad_request_gets_a_clear_4xx(bot: Running) -> None:
    version, _ = await cut(bot)
    good = [("junit.xml", junit())]

    unsigned = await post_report(bot, release=version, gate="unit", files=good, secret=None)
    assert (unsigned.status, unsigned.body["ok"]) == (401, False)
    assert "unsigned" in str(unsigned.body["error"])
    forged = await post_report(bot, release=version, gate="unit", files=good, secret="nope")
    assert forged.status == 401
    assert "bad signature" in str(forged.body["error"])
    unknown = await post_report(bot, release="2099.1.1", gate="unit", files=good)
    assert unknown.status == 404
    assert "no release `2099.1.1`" in str(unknown.body["error"])
    hostile = await post_report(bot, release=version, gate="unit", files=[("j.xml", BOMB)])
    assert hostile.status == 422
    assert "refused: the XML declares entities" in str(hostile.body["error"])
    truncated = await post_report(
        bot, release=version, gate="unit", files=[("j.xml", junit()[:60])]
    )
    assert truncated.status == 422
    assert "not well-formed XML" in str(truncated.body["error"])
    wrong = await post_report(bot, release=version, gate="coverage", files=[("j.xml", junit())])
    assert wrong.status == 422
    assert "cannot feed the coverage gate" in str(wrong.body["error"])
    misnamed = await post_report(
        bot, release=version, gate="unit", files=good, extra={"format": "lcov"}
    )
    assert misnamed.status == 422
    bad_gate = await post_report(bot, release=version, gate="smoke", files=good)
    assert bad_gate.status == 400
    assert "unknown gate 'smoke'" in str(bad_gate.body["error"])
    no_files = await post_report(bot, release=version, gate="unit", files=[])
    assert no_files.status == 400
    bad_url = await post_report(
        bot, release=version, gate="unit", files=good, extra={"build_url": "javascript:alert(1)"}
    )
    assert bad_url.status == 400

    first = await post_report(bot, release=version, gate="unit", files=good, delivery="run-7-unit")
    again = await post_report(bot, release=version, gate="unit", files=good, delivery="run-7-unit")
    assert (first.body["duplicate"], again.body["duplicate"]) == (False, True)
    history = await bot.ask(f"history {version}")
    assert history.count("gate_result") == 1


async def test_many_failures_stay_within_slack_limits_and_the_full_list_is_a_file(
    bot: Running,
) -> None:
    version, root = await cut(bot)
    names = [f"test_case_number_{i:04d}_with_a_long_descriptive_name" for i in range(1500)]
    answer = await post_report(bot, release=version, gate="unit", files=[("j.xml", junit(*names))])
    assert answer.body["verdict"] == "fail"
    message = await gate_message(bot, root, containing="unit fail")
    assert len(message.blocks) <= 50
    assert "…and 1495 more" in json.dumps(message.blocks, ensure_ascii=False)

    await bot.people.click(user="alice", message=message, action_id="gates.show_failures")
    upload = await bot.sim.wait_for(
        lambda: next((f for f in bot.sim.files if f.completed), None), timeout=10
    )
    assert upload.name == f"failures-web-{version}.md"
    assert upload.content is not None
    assert names[-1] in upload.content.decode()
    modal = await bot.sim.wait_for(lambda: next(iter(bot.sim.open_modals("alice")), None))
    assert "1500 failing tests are too many" in json.dumps(modal.view, ensure_ascii=False)


async def test_show_all_failures_opens_a_modal(bot: Running) -> None:
    version, root = await cut(bot)
    await post_report(
        bot, release=version, gate="unit", files=[("j.xml", junit("test_a", "test_b"))]
    )
    message = await gate_message(bot, root, containing="unit fail")
    await bot.people.click(user="bob", message=message, action_id="gates.show_failures")
    modal = await bot.sim.wait_for(lambda: next(iter(bot.sim.open_modals("bob")), None))
    text = json.dumps(modal.view, ensure_ascii=False)
    assert "shop.tests.test_a" in text
    assert "shop.tests.test_b" in text


async def test_without_a_secret_the_endpoint_is_not_configured(tmp_path: Path) -> None:
    async with running_bot(tmp_path=tmp_path) as bot:
        answer = await post_report(bot, release="1", gate="unit", files=[("j.xml", junit())])
        assert answer.status == 503
        assert "STATIONMASTER_CI_SECRET" in str(answer.body["error"])


async def test_a_body_over_the_limit_is_refused(tmp_path: Path) -> None:
    async with running_bot(
        tmp_path=tmp_path, ci_secret=SecretStr(SECRET), ci_max_bytes=4096
    ) as bot:
        answer = await post_report(
            bot, release="1", gate="unit", files=[("j.xml", junit(passing=200))]
        )
        assert answer.status == 413
        assert "4096 byte limit" in str(answer.body["error"])


async def test_concurrent_reports_for_one_release_post_one_gate_message(bot: Running) -> None:
    version, root = await cut(bot)
    await asyncio.gather(
        *(
            post_report(bot, release=version, gate=gate, files=[(f"{gate}.xml", junit())])
            for gate in ("unit", "integration")
        ),
        post_report(bot, release=version, gate="coverage", files=[("lcov.info", LCOV)]),
    )
    await gate_message(bot, root, containing="coverage pass")
    assert len(gate_messages(bot, root)) == 1
