"""Reading a Web API request the way Slack does.

Arguments may come in the query string, a form body (url-encoded or multipart) or a JSON body;
the token in an ``Authorization: Bearer`` header or a ``token`` argument (never inside JSON).
JSON-valued arguments sent as strings in a form (``blocks``, ``view``...) are decoded.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.sim.slack.errors import ApiError

JSON_ARGUMENTS = ("blocks", "attachments", "view", "files", "metadata")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_api_request(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """The arguments and the token of a Web API call."""
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.body_exists:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as error:
                raise ApiError("invalid_json") from error
            if not isinstance(body, dict):
                raise ApiError("invalid_json")
            body.pop("token", None)
            params.update(body)
        elif content_type in FORM_TYPES:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        else:
            raise ApiError("invalid_form_data")
    header = request.headers.get("Authorization", "")
    token: str | None = None
    if header.lower().startswith("bearer "):
        token = header[7:].strip() or None
    form_token = params.pop("token", None)
    token = token or (str(form_token) if form_token else None)
    for name in JSON_ARGUMENTS:
        value = params.get(name)
        if isinstance(value, str) and value:
            try:
                params[name] = json.loads(value)
            except ValueError:
                continue
    return params, token
