"""Gate verdicts as GitHub commit statuses (``stationmaster/<gate>``) on the release's commit.

Pull request and branch views then show each gate. Only a gate whose status (state,
description or build link) changed since it was last published is sent again, so a report
updated ten times costs a handful of calls.
"""

from __future__ import annotations

from collections import OrderedDict

from bot.domain.gates import Verdict
from bot.services.gate_models import GateLine, GateReport
from integrations.github.client import GitHubClient
from integrations.github.models import StatusState

CONTEXT = "stationmaster/{gate}"
STATES: dict[Verdict, StatusState] = {
    Verdict.PASS: "success",
    Verdict.OVERRIDDEN: "success",
    Verdict.FAIL: "failure",
    Verdict.PENDING: "pending",
}
REMEMBERED = 4096


def describe(line: GateLine) -> str:
    if line.override is not None:
        return f"overridden: {line.override.reason}"
    if line.result is not None:
        return line.result.summary
    return line.note or line.verdict.value


class GitHubStatuses:
    def __init__(self, *, client: GitHubClient) -> None:
        self._client = client
        self._sent: OrderedDict[tuple[str, str, str], tuple[str, str, str | None]] = OrderedDict()

    async def publish(self, *, repo: str, sha: str, report: GateReport) -> None:
        for line in report.lines:
            if not line.required:
                continue
            state, description = STATES[line.verdict], describe(line)
            key, sent = (repo, sha, line.gate.value), (state, description, line.build_url)
            if self._sent.get(key) == sent:
                continue
            await self._client.create_status(
                repo=repo,
                sha=sha,
                state=state,
                context=CONTEXT.format(gate=line.gate.value),
                description=description,
                target_url=line.build_url,
            )
            self._sent[key] = sent
            self._sent.move_to_end(key)
            while len(self._sent) > REMEMBERED:
                self._sent.popitem(last=False)
