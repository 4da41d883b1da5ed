"""Hypothesis fuzzing of command text and interactivity payloads, through the real server.

Whatever arrives, signed or not: never a 5xx, and never a traceback in what Slack would show.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.sim.slack import sign
from tests.harness import Running, running_bot

FORM = "application/x-www-form-urlencoded"
FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class Threaded:
    """The bot and simulator on an event loop in another thread, so hypothesis stays sync."""

    def __init__(self, running: Running, loop: asyncio.AbstractEventLoop) -> None:
        self.running = running
        self.loop = loop
        self.http = httpx.Client(timeout=10)

    def post(self, body: bytes, *, content_type: str = FORM, signed: bool = True) -> httpx.Response:
        timestamp = str(int(time.time()))
        secret = self.running.sim.config.signing_secret
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(secret=secret, timestamp=timestamp, body=body)
            if signed
            else "v0=bad",
        }
        return self.http.post(self.running.events_url, content=body, headers=headers)

    def shown_texts(self) -> list[str]:
        async def collect() -> list[str]:
            return [json.dumps([e.text, e.blocks]) for e in self.running.sim.workspace.ephemerals]

        return asyncio.run_coroutine_threadsafe(collect(), self.loop).result(10)


@pytest.fixture(scope="module")
def threaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Threaded]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    context = running_bot(tmp_path=Path(tmp_path_factory.mktemp("fuzz")))
    running = asyncio.run_coroutine_threadsafe(context.__aenter__(), loop).result(30)
    harness = Threaded(running, loop)
    yield harness
    harness.http.close()
    asyncio.run_coroutine_threadsafe(context.__aexit__(None, None, None), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def assert_sane(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    assert 'File "' not in response.text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


command_texts = st.one_of(
    st.text(max_size=300),
    st.builds(
        "{} {}".format,
        st.sampled_from(["whoami", "WHOAMI", "help", "help whoami", "whoami --x"]),
        st.text(max_size=40),
    ),
)


@FUZZ
@given(text=command_texts)
@example(text="payload")  # bolt's own parser takes any form mentioning it for interactivity
@example(text="notes payload=1&x")
def test_any_command_text(threaded: Threaded, text: str) -> None:
    body = urlencode(
        {
            "command": "/release",
            "text": text,
            "user_id": "U0ALICE",
            "channel_id": "C0RELEASES",
            "team_id": "T0SIM",
            "response_url": threaded.running.sim.issue_response_url(
                user="U0ALICE", channel="C0RELEASES"
            ),
        }
    ).encode()
    response = threaded.post(body)
    assert response.status_code == 200
    assert_sane(response)


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["command", "text", "user_id", "channel_id", "response_url", "trigger_id", "team_id"]
        ),
        st.text(max_size=40),
        max_size=7,
    )
)
def test_any_slash_command_fields(threaded: Threaded, fields: dict[str, str]) -> None:
    assert_sane(threaded.post(urlencode(fields).encode()))


def _interactive(kind: str, actions: Any, user: Any, extra: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "user": user, "actions": actions, "trigger_id": "1.2", **extra}


@FUZZ
@given(
    payload=st.one_of(
        json_values,
        st.builds(
            _interactive,
            st.sampled_from(["block_actions", "view_submission", "view_closed", "shortcut", "x"]),
            json_values,
            st.one_of(json_values, st.fixed_dictionaries({"id": st.text(max_size=12)})),
            st.dictionaries(
                st.sampled_from(["view", "container", "message", "state"]), json_values, max_size=3
            ),
        ),
    )
)
def test_any_interactivity_payload(threaded: Threaded, payload: Any) -> None:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    assert_sane(threaded.post(body))


@FUZZ
@given(
    body=st.binary(max_size=400),
    content_type=st.sampled_from([FORM, "application/json", "text/plain", "multipart/form-data"]),
    signed=st.booleans(),
)
def test_any_bytes(threaded: Threaded, body: bytes, content_type: str, signed: bool) -> None:
    assert_sane(threaded.post(body, content_type=content_type, signed=signed))


def test_nothing_shown_to_people_holds_a_traceback(threaded: Threaded) -> None:
    time.sleep(0.5)  # background replies land on the simulator's own thread
    shown = threaded.shown_texts()
    assert shown, "the fuzzed commands should have produced replies"
    assert not [text for text in shown if "Traceback" in text]
