"""The simulated Web API methods, by name."""

from __future__ import annotations

from bot.sim.slack.methods import auth, chat, conversations, files, reactions, users, views
from bot.sim.slack.methods.base import MethodContext, MethodSpec

METHODS: dict[str, MethodSpec] = {
    **auth.METHODS,
    **chat.METHODS,
    **conversations.METHODS,
    **files.METHODS,
    **reactions.METHODS,
    **users.METHODS,
    **views.METHODS,
}

__all__ = ["METHODS", "MethodContext", "MethodSpec"]
