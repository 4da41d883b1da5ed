"""Quality gates of a release: take CI results, judge them, move the release, show the report::

    submit(result) ──> judge against the policy and the last release's baseline
                   ──> one transaction: delivery claimed + gate row + audit event
                   ──> evaluate: all pass/overridden -> awaiting_signoff; any fail -> blocked
                   ──> the gate report in the release thread, updated in place
                   ──> commit statuses on GitHub (when configured)

Results are taken while the release is gating or blocked. A repeated delivery id changes
nothing. Overrides of different gates are different rows, so each is recorded even when two
come at once; only the release's state change is a compare-and-set (retried by
:meth:`ReleaseService.transition`, and re-decided here when someone else moved it first).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from bot import messages
from bot.clock import Clock, utc_now
from bot.config import AppConfig
from bot.domain.commits import looks_like_sha, same_commit
from bot.domain.gate_checks import judge
from bot.domain.gates import (
    DEFAULT_POLICY,
    Gate,
    GatePolicy,
    Outcome,
    Verdict,
)
from bot.domain.release import Action, ReleaseKind, ReleaseState, TransitionRefused
from bot.domain.reports import Report
from bot.domain.roles import SystemActor
from bot.errors import Conflict, NotAllowed, NotFound, UsageError
from bot.observability.logs import get_logger
from bot.services.aftermath import announce
from bot.services.gate_models import GateReport, Submission
from bot.services.gate_reports import build_report, evidence, last_baseline
from bot.services.models import ReleaseInfo
from bot.services.notify import CommitStatuses, GateNotifier
from bot.services.releases import SUBJECT, ReleaseService, Sessions
from storage import audit, gates, releases
from storage.idempotency import claim, get_result, remember_result
from storage.models import GateResultRow, IdempotencyScope

log = get_logger(__name__)

OPEN = frozenset({ReleaseState.GATING, ReleaseState.BLOCKED})  # gates take results, overrides
DECIDE_ATTEMPTS = 3
DELIVERY_TTL = timedelta(days=7)
"""How long a CI delivery id is remembered (CI retries come within minutes)."""


class GateService:
    def __init__(
        self,
        *,
        sessions: Sessions,
        config: AppConfig,
        releases: ReleaseService,
        notifier: GateNotifier,
        statuses: CommitStatuses | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._releases = releases
        self._notifier = notifier
        self._statuses = statuses
        self._clock = clock
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    # look-ups ---------------------------------------------------------------------------------

    def policy(self, release: ReleaseInfo) -> GatePolicy:
        train = self._config.trains.get(release.train)
        if train is None:
            return DEFAULT_POLICY
        name = train.hotfix_gate_policy if release.kind is ReleaseKind.HOTFIX else train.gate_policy
        return self._config.gate_policy(name) or DEFAULT_POLICY

    async def find(self, ref: str) -> ReleaseInfo:
        """A release named by CI: ``VERSION``, ``TRAIN/VERSION`` or its commit's sha (7+ hex)."""
        ref = ref.strip()
        if not ref:
            raise UsageError("name the release: a version, train/version or a commit sha")
        if looks_like_sha(ref):
            async with self._sessions() as session:
                rows = await releases.find_by_commit(
                    session=session, sha=ref, states=[s.value for s in OPEN]
                )
            if len(rows) == 1:
                return ReleaseInfo.from_row(rows[0])
            if len(rows) > 1:
                labels = ", ".join(f"{r.train}/{r.version}" for r in rows)
                raise UsageError(f"commit {ref} was cut as several open releases ({labels})")
        try:
            return await self._releases.resolve(ref)
        except NotFound:
            if looks_like_sha(ref):
                raise NotFound(f"no release in gating or blocked was cut at commit {ref}") from None
            raise

    async def report(self, release: ReleaseInfo) -> GateReport:
        """The release's gates now (for the thread message and ``/release gates``)."""
        async with self._sessions() as session:
            rows, stale = await evidence(session=session, release=release)
        return self._report(release, rows, stale)

    # CI results -------------------------------------------------------------------------------

    async def submit(
        self,
        *,
        release: ReleaseInfo,
        gate: Gate,
        report: Report,
        formats: Sequence[str],
        build_url: str | None = None,
        delivery: str | None = None,
        commit: str | None = None,
    ) -> Submission:
        """Judge ``report`` for ``gate`` of ``release``, store it, and move the release on. A
        result for a new commit of a rejected release is a new build: back to gating."""
        new_build = bool(
            commit and release.commit_sha and not same_commit(commit, release.commit_sha)
        )
        if release.state is ReleaseState.REJECTED and new_build:
            release = await self._releases.transition(
                release=release, action=Action.NEW_BUILD, actor=SystemActor.CI.value, commit=commit
            )
        if release.state not in OPEN:
            raise Conflict(
                messages.GATES_CLOSED.format(label=release.label, state=release.state.phrase)
            )
        policy = self.policy(release)
        rule = policy.rules.get(gate) or DEFAULT_POLICY.rules[gate]
        async with self._sessions() as session:
            baseline = await last_baseline(session=session, release=release)
        now = self._clock()
        result = judge(gate, report, rule, baseline=baseline, today=now.date())
        async with self._sessions() as session:
            if delivery is not None:
                first = await claim(
                    session=session,
                    scope=IdempotencyScope.WEBHOOK,
                    key=f"ci:{delivery}"[:255],
                    ttl=DELIVERY_TTL,
                    now=now,
                )
                if not first:
                    await session.rollback()
                    return await self._duplicate(release, gate, delivery)
            await gates.record_result(
                session=session,
                release_id=release.id,
                result=result,
                commit_sha=commit or release.commit_sha,
                build_url=build_url,
                now=now,
            )
            await audit.record_audit(
                session=session,
                actor=SystemActor.CI.value,
                action="gate_result",
                subject_type=SUBJECT,
                subject_id=str(release.id),
                details={
                    "label": release.label,
                    "gate": gate.value,
                    "verdict": result.verdict.value,
                    "summary": result.summary,
                    "build_url": build_url,
                    "delivery": delivery,
                    "formats": list(formats),
                },
                at=now,
            )
            if delivery is not None:
                await remember_result(
                    session=session,
                    scope=IdempotencyScope.WEBHOOK,
                    key=f"ci:{delivery}"[:255],
                    result={"gate": gate.value, "verdict": result.verdict.value},
                )
            await session.commit()
        moved, outcome = await self.evaluate(release, actor=SystemActor.CI.value)
        return Submission(
            release=moved,
            gate=gate,
            verdict=result.verdict,
            outcome=outcome,
            state=moved.state,
            required=gate in policy.rules,
        )

    async def _duplicate(self, release: ReleaseInfo, gate: Gate, delivery: str) -> Submission:
        async with self._sessions() as session:
            stored = await get_result(
                session=session, scope=IdempotencyScope.WEBHOOK, key=f"ci:{delivery}"[:255]
            )
        current = await self._releases.resolve(release.label)
        report = await self.report(current)
        verdict = Verdict((stored or {}).get("verdict", Verdict.PENDING.value))
        return Submission(
            release=current,
            gate=gate,
            verdict=verdict,
            outcome=report.outcome,
            state=current.state,
            duplicate=True,
            required=gate in self.policy(current).rules,
        )

    # overrides --------------------------------------------------------------------------------

    async def override(
        self, *, release: ReleaseInfo, gate: Gate, actor: str, reason: str
    ) -> GateReport:
        """Mark one pending or failed gate overridden, with a reason; audited."""
        reason = reason.strip()
        if not reason:
            raise UsageError(
                messages.OVERRIDE_NEEDS_REASON.format(gate=gate.value, label=release.label)
            )
        policy = self.policy(release)
        if gate not in policy.rules:
            raise NotAllowed(
                messages.GATE_NOT_REQUIRED.format(
                    gate=gate.value, label=release.label, policy=policy.name
                )
            )
        now = self._clock()
        async with self._sessions() as session:
            row = await releases.get_release_by_id(session=session, release_id=release.id)
            if row is None:
                raise NotFound(f"{release.label} no longer exists.")
            current = ReleaseInfo.from_row(row)
            if current.state not in OPEN:
                raise NotAllowed(
                    messages.GATES_CLOSED.format(label=current.label, state=current.state.phrase)
                )
            rows, stale = await evidence(session=session, release=current)
            line = self._report(current, rows, stale).line(gate)
            assert line is not None  # every gate of the policy has a line
            if line.verdict is Verdict.PASS:
                raise NotAllowed(
                    messages.GATE_ALREADY_PASSES.format(gate=gate.value, label=current.label)
                )
            if line.override is not None:
                raise NotAllowed(
                    messages.GATE_ALREADY_OVERRIDDEN.format(
                        gate=gate.value,
                        label=current.label,
                        who=messages.who(line.override.actor),
                        reason=messages.escape(line.override.reason),
                    )
                )
            await gates.record_override(
                session=session,
                release_id=current.id,
                gate=gate,
                actor=actor,
                reason=reason,
                commit_sha=current.commit_sha,
                now=now,
            )
            await audit.record_audit(
                session=session,
                actor=actor,
                action="gate_override",
                subject_type=SUBJECT,
                subject_id=str(current.id),
                from_state=current.state.value,
                to_state=current.state.value,
                reason=reason,
                details={"label": current.label, "gate": gate.value, "was": line.verdict.value},
                at=now,
            )
            await session.commit()
        moved, _ = await self.evaluate(current, actor=actor, gate=gate, reason=reason)
        return await self.report(moved)

    # deciding ---------------------------------------------------------------------------------

    async def evaluate(
        self,
        release: ReleaseInfo,
        *,
        actor: str,
        gate: Gate | None = None,
        reason: str | None = None,
    ) -> tuple[ReleaseInfo, Outcome]:
        """Decide the release's gates and apply the state change they call for.

        From gating: passed -> awaiting_signoff, failed -> blocked. From blocked: anything but
        failed goes back to gating first (an ``override`` when ``gate`` and ``reason`` say so,
        else ``new_results``), then on as from gating. The gate report is updated last.
        """
        async with self._locks[release.id]:
            for _ in range(DECIDE_ATTEMPTS):
                async with self._sessions() as session:
                    row = await releases.get_release_by_id(session=session, release_id=release.id)
                    assert row is not None
                    current = ReleaseInfo.from_row(row)
                    rows, stale = await evidence(session=session, release=current)
                report = self._report(current, rows, stale)
                try:
                    moved = await self._move(current, report.outcome, actor, gate, reason)
                except (Conflict, TransitionRefused):
                    continue  # someone else moved it: decide again on the fresh row
                break
            else:
                raise Conflict(
                    f"{release.label} kept changing while its gates were decided; try again."
                )
            shown = report if moved.row_version == current.row_version else await self.report(moved)
            await self._show(moved, shown)
        return moved, report.outcome

    async def _move(
        self,
        current: ReleaseInfo,
        outcome: Outcome,
        actor: str,
        gate: Gate | None,
        reason: str | None,
    ) -> ReleaseInfo:
        moved = current
        if current.state is ReleaseState.BLOCKED and outcome is not Outcome.FAILED:
            action = Action.OVERRIDE if gate is not None and reason else Action.NEW_RESULTS
            moved = await self._releases.transition(
                release=current,
                action=action,
                actor=actor,
                reason=reason,
                gate=gate.value if gate is not None else None,
            )
        if moved.state is ReleaseState.GATING and outcome is Outcome.PASSED:
            moved = await self._releases.transition(
                release=moved, action=Action.GATES_PASSED, actor=actor
            )
        elif moved.state is ReleaseState.GATING and outcome is Outcome.FAILED:
            moved = await self._releases.transition(
                release=moved, action=Action.GATE_FAILED, actor=actor
            )
        return moved

    async def sweep(self) -> int:
        """Fail the gates of releases whose reports did not come in time; how many moved."""
        async with self._sessions() as session:
            rows = await releases.list_releases(
                session=session, states=[ReleaseState.GATING.value], limit=500
            )
        moved = 0
        now = self._clock()
        for row in rows:
            release = ReleaseInfo.from_row(row)
            deadline = release.created_at + self.policy(release).timeout
            if now < deadline:
                continue
            try:
                after, _ = await self.evaluate(release, actor=SystemActor.SCHEDULER.value)
            except Exception:
                log.exception("could not time out the gates of a release", release=release.label)
                continue
            moved += after.state is not release.state
        return moved

    # helpers ----------------------------------------------------------------------------------

    def _report(
        self, release: ReleaseInfo, rows: Sequence[GateResultRow], stale: frozenset[str]
    ) -> GateReport:
        return build_report(
            release=release, rows=rows, policy=self.policy(release), now=self._clock(), stale=stale
        )

    async def _show(self, release: ReleaseInfo, report: GateReport) -> None:
        card = self._releases.card(release)
        await announce(
            self._notifier.gate_report(card=card, report=report),
            what=f"gate report of {release.label}",
        )
        train = self._config.trains.get(release.train)
        repo = train.repo.github if train is not None else None
        if self._statuses is not None and repo and release.commit_sha:
            await announce(
                self._statuses.publish(repo=repo, sha=release.commit_sha, report=report),
                what=f"commit statuses of {release.label}",
            )
