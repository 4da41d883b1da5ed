"""The release side of alert threads: a group newly tied to a release links the release's
thread back and pauses its canary while it deploys; a release that pauses, resumes, completes
or rolls back (by a button anywhere, a command or by itself) is followed in its alert threads,
and the incident is recorded when its rollback ends."""

from __future__ import annotations

from bot import messages
from bot.config import AppConfig
from bot.domain.attribution import Attribution
from bot.domain.release import Action, ReleaseState
from bot.domain.roles import SystemActor
from bot.services.aftermath import announce
from bot.services.alert_models import AlertNotifier, GroupStatus
from bot.services.alert_show import AlertShow, actor_text
from bot.services.deploys import DeployService
from bot.services.incidents import IncidentService
from bot.services.models import ReleaseInfo
from bot.services.notify import Notifier
from bot.services.releases import ReleaseService, Sessions
from storage import alerts

__all__ = ["FOLLOWED", "ROLLBACK_MOVES", "AlertReleases"]

ROLLBACK_MOVES = (Action.ROLLBACK, Action.ROLLBACK_SUCCEEDED, Action.ROLLBACK_FAILED)
FOLLOWED = (*ROLLBACK_MOVES, Action.PAUSE, Action.RESUME, Action.COMPLETE)
"""The release moves an alert root shows (its Rollback button depends on them)."""


class AlertReleases:
    def __init__(
        self,
        *,
        sessions: Sessions,
        config: AppConfig,
        releases: ReleaseService,
        deploys: DeployService,
        incidents: IncidentService,
        show: AlertShow,
        notifier: AlertNotifier,
        release_notifier: Notifier,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._releases = releases
        self._deploys = deploys
        self._incidents = incidents
        self._show = show
        self._notifier = notifier
        self._release_notifier = release_notifier

    async def tied(self, group_id: int, tied: Attribution) -> None:
        """Link the release's thread back, and pause its canary when it is still deploying."""
        view = await self._show.view(group_id)
        release = await self._releases.get(tied.release_id)
        card = self._releases.card(release)
        await announce(self._notifier.alert_link_back(view=view, card=card), what="alert link")
        if not (tied.in_flight and self._config.alerts.pause_canary):
            return
        if release.state is not ReleaseState.DEPLOYING:
            return
        try:
            await self._deploys.pause(release=release, actor=SystemActor.ALERTS)
        except Exception as exc:  # a person may have moved it first; say so in the thread
            text = messages.ALERT_PAUSE_FAILED.format(label=release.label, reason=exc)
            await self._show.note(view, text)
            return
        await self._show.note(
            view, messages.ALERT_PAUSED_CANARY.format(label=release.label, service=tied.service)
        )
        title = messages.escape(view.title)
        text = messages.ALERT_PAUSED_RELEASE.format(
            label=release.label, service=tied.service, title=title
        )
        await announce(self.note(release, text), what="pause note")

    async def moved(self, release: ReleaseInfo, action: Action) -> None:
        """Show the release's move on its alert roots; tell a rollback in the open threads."""
        async with self._sessions() as session:
            groups = await alerts.groups_of_release(session=session, release_id=release.id)
        open_groups = [g for g in groups if g.status == GroupStatus.FIRING]
        for group in groups:
            assert group.id is not None
            self._show.kick(group.id)
        if action not in ROLLBACK_MOVES or not open_groups:
            return
        text = await self._rollback_text(release, action)
        for group in open_groups:
            assert group.id is not None
            await self._show.note(await self._show.view(group.id), text)
        await self._incidents.record(release)

    async def note(self, release: ReleaseInfo, text: str) -> None:
        """Post ``text`` in the release's thread."""
        card = self._releases.card(release)
        await self._release_notifier.thread_note(card=card, text=text)

    async def _rollback_text(self, release: ReleaseInfo, action: Action) -> str:
        if action is Action.ROLLBACK:
            trail = await self._releases.history(release)
            moves = [e.actor for e in trail if e.action == Action.ROLLBACK.value]
            actor = moves[-1] if moves else SystemActor.SYSTEM.value
            who = actor_text(actor)
            return messages.ALERT_ROLLBACK_STARTED.format(who=who, label=release.label)
        if action is Action.ROLLBACK_FAILED:
            return messages.ALERT_ROLLBACK_FAILED.format(label=release.label)
        times = await self._incidents.times(release)
        took = ""
        if times.rollback_started_at and times.rollback_finished_at:
            took = f" in {messages.took(times.rollback_finished_at - times.rollback_started_at)}"
        return messages.ALERT_ROLLED_BACK.format(label=release.label, took=took)
