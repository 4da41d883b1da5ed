"""The built-in Slack simulator: a fake Slack Web API, Socket Mode and user side on loopback.

::

    async with SlackSimulator() as sim:
        web = AsyncWebClient(base_url=sim.api_url, token=sim.config.bot_token)
        await web.chat_postMessage(channel="#releases", text="hi")
        assert sim.messages_in("#releases")[0].text == "hi"

        async with SimClient(sim, bot_url="http://127.0.0.1:3000/slack/events") as people:
            await people.slash_command(user="alice", text="status")
"""

from __future__ import annotations

from bot.sim.slack import limits
from bot.sim.slack.client import SimClient
from bot.sim.slack.errors import AckTimeout, ApiError, SimulatorError
from bot.sim.slack.models import (
    RecordedCall,
    SimChannel,
    SimEphemeral,
    SimEvent,
    SimEventKind,
    SimFile,
    SimMessage,
    SimReaction,
    SimUser,
    SimUserGroup,
    SimView,
    SocketAck,
)
from bot.sim.slack.server import SlackSimulator
from bot.sim.slack.transport import BotResponse, Knobs, sign

__all__ = [
    "AckTimeout",
    "ApiError",
    "BotResponse",
    "Knobs",
    "RecordedCall",
    "SimChannel",
    "SimClient",
    "SimEphemeral",
    "SimEvent",
    "SimEventKind",
    "SimFile",
    "SimMessage",
    "SimReaction",
    "SimUser",
    "SimUserGroup",
    "SimView",
    "SimulatorError",
    "SlackSimulator",
    "SocketAck",
    "limits",
    "sign",
]
