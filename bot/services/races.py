"""Telling someone who lost a compare-and-set what happened instead: who changed the release
first, how, and where it is now."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import messages
from bot.domain.release import TransitionRefused
from bot.errors import Conflict
from bot.services.models import ReleaseInfo
from storage import audit

__all__ = ["lost_race"]


async def lost_race(
    *, session: AsyncSession, release: ReleaseInfo, refused: TransitionRefused
) -> Conflict:
    """The Conflict to raise when ``refused`` came from someone else's change of ``release``:
    it names the last state change in the audit log (not a gate result or a click after it)."""
    trail = await audit.list_audit(session=session, subject_type="release", subject_id=release.id)
    last = next((event for event in reversed(trail) if event.to_state), None)
    if last is None:
        return Conflict(str(refused))
    why = f" ({messages.escape(last.reason)})" if last.reason else ""
    return Conflict(
        messages.LOST_RACE.format(
            actor=messages.who(last.actor),
            action=last.action,
            label=release.label,
            why=why,
            state=release.state.phrase,
        )
    )
