"""Block Kit rendering with slack_sdk's models. Services never see these."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import messages
from bot.domain.roles import Role


def home_view(*, user_id: str, roles: frozenset[Role]) -> View:
    """The App Home tab: what the bot is, and who the viewer is to it."""
    role_text = messages.role_list(roles) if roles else "none yet"
    return View(
        type="home",
        blocks=[
            HeaderBlock(text="Stationmaster"),
            SectionBlock(text=MarkdownTextObject(text=messages.HOME_INTRO)),
            DividerBlock(),
            SectionBlock(
                text=MarkdownTextObject(text=f"*You* <@{user_id}> · *Roles:* {role_text}")
            ),
            ContextBlock(elements=[MarkdownTextObject(text=messages.HOME_FOOTER)]),
        ],
    )
