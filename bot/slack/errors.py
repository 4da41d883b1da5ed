"""The one error handler: domain errors become an ephemeral reply, anything else an error id."""

from __future__ import annotations

import json

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.slack.replies import error_reply, render


def register_error_handler(app: AsyncApp) -> None:
    async def on_error(error: Exception, response: BoltResponse | None) -> None:
        reply = error_reply(error)
        if response is not None:
            # Slack shows a 200 body to the user; a 5xx would only show "failed with an error".
            response.status = 200
            response.body = json.dumps(render(reply))
            response.headers["content-type"] = ["application/json"]

    app.error(on_error)
