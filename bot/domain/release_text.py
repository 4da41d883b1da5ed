"""What a refused release transition says: each message names the release and the next step.

Keyed by the states' and actions' string values, so this module needs nothing from
``bot.domain.release`` (which reads it).
"""

from __future__ import annotations

TERMINAL = {
    "released": "{label} is already released; use /release hotfix",
    "cancelled": "{label} is cancelled; cut a new release",
    "rolled_back": "{label} was rolled back; cut a new release or use /release hotfix",
    "rollback_failed": (
        "the rollback of {label} failed: try again (/release rollback {label}) "
        "or restore the previous version by hand"
    ),
}
NEXT_STEP = {
    "planned": "cut it first (/release cut {train})",
    "gating": "wait for its gates (/release gates {label})",
    "blocked": "fix the failing gate or override it (/release gates {label})",
    "awaiting_signoff": "wait for QA sign-off (/release signoff {label})",
    "approved": "deploy it (/release deploy {label}) or cancel it",
    "rejected": "push a new build to re-run its gates, or cancel it",
    "deploying": "wait for the deploy, pause it or roll it back (/release status {label})",
    "paused": "resume it (/release resume {label}) or roll it back (/release rollback {label})",
    "rolling_back": "wait for the rollback to finish (/release status {label})",
}
VERBS = {
    "gates_passed": "pass the gates of",
    "gate_failed": "block",
    "new_results": "re-evaluate the gates of",
    "override": "override a gate of",
    "new_build": "rebuild",
    "complete": "complete the deploy of",
    "rollback": "roll back",
    "rollback_succeeded": "finish the rollback of",
    "rollback_failed": "record a failed rollback of",
}
CANNOT = "cannot {verb} {label} while it is {state}: {next_step}"
ALREADY = "{label} is already {state}"
ALREADY_CUT = "{label} was already cut; it is {state}"
ROLL_BACK_FIRST = "{label} is {state}: roll back first (/release rollback {label})"
NOTHING_TO_ROLL_BACK = (
    "{label} is {state} and was never deployed: nothing to roll back; "
    "cancel it instead (/release cancel {label} REASON)"
)
OUTSIDE_WINDOW = (
    "{label} was released {ago} ago, outside its {window} monitoring window: ship a hotfix instead"
)
REASON_REQUIRED = "a reason is required to {verb} {label}"
GATE_REQUIRED = "name the gate to override on {label}"
