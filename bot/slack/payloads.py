"""Check that a parsed Slack request has the shape Slack documents, before bolt sees it.

Bolt assumes well-formed payloads; anything else would surface as a 5xx. Here it becomes a
400 with a reason instead. Only what the bot relies on is checked; extra fields are allowed.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, ValidationError


class Kind(StrEnum):
    COMMAND = "command"
    INTERACTIVE = "interactive"
    EVENT = "event"
    URL_VERIFICATION = "url_verification"
    SSL_CHECK = "ssl_check"


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class _SlashCommand(_Loose):
    command: str
    user_id: str
    channel_id: str
    text: str = ""
    response_url: str = ""


class _User(_Loose):
    id: str


class _Action(_Loose):
    action_id: str


class _View(_Loose):
    id: str


class _Interactive(_Loose):
    type: str
    user: _User
    actions: list[_Action] | None = None
    view: _View | None = None


class _Event(_Loose):
    type: str


class _EventCallback(_Loose):
    type: str
    event_id: str = ""
    event: _Event


class _Challenge(_Loose):
    type: str
    challenge: str


class MalformedPayload(ValueError):
    """The body is not a Slack request the bot understands; the message is the 400 reason."""


def parse(text: str, content_type: str | None) -> Any:
    """The body as Slack sends it: JSON (events), a form whose ``payload`` field holds JSON
    (interactivity), or a plain form (slash commands). ValueError when it is none of them.

    Bolt's own ``parse_body`` takes any form body that mentions "payload" anywhere, such as
    ``/release notes payload``, for an interactivity form, and finds nothing in it; so the
    endpoint parses here and hands bolt the result."""
    if content_type == "application/json" or text.startswith("{"):
        return json.loads(text)
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in fields:
        return json.loads(fields["payload"])
    return fields


def classify(body: dict[str, Any]) -> Kind:
    if body.get("ssl_check") == "1":
        return Kind.SSL_CHECK
    if "command" in body:
        return Kind.COMMAND
    kind = body.get("type")
    if kind == "url_verification":
        return Kind.URL_VERIFICATION
    if kind == "event_callback":
        return Kind.EVENT
    if isinstance(kind, str) and isinstance(body.get("user"), dict):
        return Kind.INTERACTIVE
    raise MalformedPayload("not a slash command, interactivity payload or event")


_MODELS: dict[Kind, type[BaseModel]] = {
    Kind.COMMAND: _SlashCommand,
    Kind.INTERACTIVE: _Interactive,
    Kind.EVENT: _EventCallback,
    Kind.URL_VERIFICATION: _Challenge,
}


def check(body: object) -> Kind:
    """Return the request's kind, or raise MalformedPayload naming the first problem."""
    if not isinstance(body, dict):
        raise MalformedPayload("payload is not a JSON object")
    kind = classify(body)
    model = _MODELS.get(kind)
    if model is not None:
        try:
            model.model_validate(body)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "payload"
            raise MalformedPayload(f"{kind.value} payload: {where}: {first['msg']}") from None
    return kind


def delivery_key(*, kind: Kind, body: dict[str, Any], raw: bytes) -> str:
    """What identifies one delivery across Slack's retries: the event id, else the body."""
    if kind is Kind.EVENT and body.get("event_id"):
        return f"event:{body['event_id']}"
    return "body:" + hashlib.sha256(raw).hexdigest()
