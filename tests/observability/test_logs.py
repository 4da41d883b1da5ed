from __future__ import annotations

import io
import json
import logging

import structlog

from bot.observability.logs import SecretRedactor, bind_request, configure_logging, get_logger


def test_json_lines_carry_the_request_id_and_mask_secrets() -> None:
    out = io.StringIO()
    configure_logging(fmt="json", level="info", stream=out)
    redactor = SecretRedactor()
    redactor.register(["signing-secret-value", None, "abc"])  # too short to register safely
    bind_request("req123", path="/slack/events")
    get_logger("t").info(
        "hello",
        token="xoxb-1-2-secret",
        nested={"list": ["xapp-1-A-B"], "n": 3, "ok": True, "none": None},
        thing=object(),
    )
    logging.getLogger("slack_sdk").warning("header Bearer xoxp-99-zz")
    structlog.contextvars.clear_contextvars()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["request_id"] == "req123"
    assert lines[0]["token"] == "[redacted]"
    assert lines[0]["nested"] == {"list": ["[redacted]"], "n": 3, "ok": True, "none": None}
    assert lines[1]["event"] == "header Bearer [redacted]"
    assert redactor.scrub("x signing-secret-value y abc") == "x [redacted] y abc"


def test_console_format_on_request() -> None:
    out = io.StringIO()
    configure_logging(fmt="console", level="warning", stream=out)
    get_logger("t").info("hidden")
    get_logger("t").warning("shown", key="xoxb-9-9")
    text = out.getvalue()
    assert "hidden" not in text
    assert "shown" in text
    assert "xoxb-9-9" not in text
    assert not text.lstrip().startswith("{")
