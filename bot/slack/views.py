"""Block Kit rendering with slack_sdk's models. Services never see these."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import messages
from bot.domain.release import ReleaseKind, ReleaseState
from bot.domain.roles import Role
from bot.services.models import ReleaseCard


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


def slack_date(at: datetime) -> str:
    """Slack shows ``<!date^…>`` in each reader's own time zone."""
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def release_root(card: ReleaseCard) -> tuple[str, list[Block]]:
    """The one message of a release: header, state and facts, and the milestones ahead."""
    release = card.release
    kind = " (hotfix)" if release.kind is ReleaseKind.HOTFIX else ""
    commit = f"`{release.short_sha}` on `{release.ref}`" if release.commit_sha else "not recorded"
    fields = [
        MarkdownTextObject(
            text=f"*State*\n{STATE_BADGES.get(release.state, '')} {release.state.phrase}"
        ),
        MarkdownTextObject(text=f"*Train*\n{release.train}"),
        MarkdownTextObject(text=f"*Services*\n{', '.join(card.services) or '—'}"),
        MarkdownTextObject(text=f"*Commit*\n{commit}"),
        MarkdownTextObject(text=f"*Cut by*\n{messages.who(release.cut_by)}"),
    ]
    if release.base_version:
        fields.append(
            MarkdownTextObject(
                text=f"*Hotfix of*\n{release.base_version}: {messages.escape(release.reason or '')}"
            )
        )
    blocks: list[Block] = [
        HeaderBlock(text=f"{release.train} {release.version}{kind}"[:150]),
        SectionBlock(fields=fields),
    ]
    if card.milestones:
        times = " · ".join(
            f"{m.name.replace('_', ' ')} {slack_date(m.at)}" for m in card.milestones[:8]
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Next: {times}")]))
    text = f"{release.label}: {release.state.phrase}"
    return text, blocks


STATE_BADGES = {
    ReleaseState.PLANNED: "○",
    ReleaseState.GATING: "◔",
    ReleaseState.BLOCKED: "⛔",
    ReleaseState.AWAITING_SIGNOFF: "◑",
    ReleaseState.APPROVED: "◕",
    ReleaseState.REJECTED: "✖",
    ReleaseState.DEPLOYING: "▶",
    ReleaseState.PAUSED: "⏸",
    ReleaseState.RELEASED: "●",
    ReleaseState.ROLLING_BACK: "↩",
    ReleaseState.ROLLED_BACK: "↩",
    ReleaseState.ROLLBACK_FAILED: "⚠",
    ReleaseState.CANCELLED: "✖",
}
