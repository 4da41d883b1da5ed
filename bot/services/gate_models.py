"""What the gate service hands to interfaces: the gate report and a submission's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.gates import FailedTest, Gate, GateResult, Outcome, Override, Verdict
from bot.domain.release import ReleaseState
from bot.services.models import ReleaseInfo


@dataclass(frozen=True, kw_only=True)
class GateLine:
    """One gate as the report shows it. ``required`` is False for a gate outside the policy."""

    gate: Gate
    verdict: Verdict
    required: bool = True
    result: GateResult | None = None
    override: Override | None = None
    note: str = ""
    build_url: str | None = None
    reported_at: datetime | None = None

    @property
    def failures(self) -> tuple[FailedTest, ...]:
        return self.result.failures if self.result is not None else ()

    @property
    def flaky(self) -> tuple[str, ...]:
        return self.result.flaky if self.result is not None else ()


@dataclass(frozen=True, kw_only=True)
class GateReport:
    """A release's gates now: one line per gate, the outcome and when pending gates time out."""

    release: ReleaseInfo
    policy: str
    outcome: Outcome
    lines: tuple[GateLine, ...]
    deadline: datetime | None
    baseline: str | None = None

    @property
    def build_url(self) -> str | None:
        urls = [line.build_url for line in self.lines if line.build_url]
        return urls[-1] if urls else None

    def line(self, gate: Gate) -> GateLine | None:
        return next((line for line in self.lines if line.gate is gate), None)

    @property
    def failure_count(self) -> int:
        return sum(len(line.failures) for line in self.lines)


@dataclass(frozen=True, kw_only=True)
class Submission:
    """What a CI delivery did: the gate's verdict and where the release is now."""

    release: ReleaseInfo
    gate: Gate
    verdict: Verdict
    outcome: Outcome
    state: ReleaseState
    duplicate: bool = False
    required: bool = True

    def as_json(self) -> dict[str, object]:
        return {
            "release": self.release.label,
            "gate": self.gate.value,
            "verdict": self.verdict.value,
            "gates": self.outcome.value,
            "state": self.state.value,
            "duplicate": self.duplicate,
            "required": self.required,
        }
