"""What the deploy service says in a release's thread and in refusals (Slack mrkdwn; every
value from outside is escaped by the caller)."""

from __future__ import annotations

DEPLOY_FROZEN = (
    "{train} is frozen by {by} ({reason}), so nothing deploys until it is unfrozen; a hotfix "
    "still can, and a rollback always can."
)
DEPLOY_NOT_RUNNING = (
    "{label} is {state}: only a release that is deploying or paused can be promoted."
)
DEPLOY_NOT_PAUSED = "{label} is {state}, not paused: there is nothing to resume."
DEPLOY_PROMOTE_FAILED = (
    "The last step of {label} failed, so there is nothing to promote: `/release resume "
    "{version}` issues it again, `/release rollback {version}` undoes the deploy."
)
DEPLOY_STEP_FAILED = (
    ":warning: {label} paused: {reason}. The services not started yet wait. Retry with "
    "*Resume* or `/release resume {version}`, or roll back with *Roll back* or "
    "`/release rollback {version}`."
)
DEPLOY_ASK = (
    ":raised_hand: {label} paused: {reason}. Promote it with *Promote* or "
    "`/release promote {version}`, or roll it back with *Roll back* or "
    "`/release rollback {version}`."
)
DEPLOY_ANALYSIS_FAILED = (
    ":rotating_light: {label} is rolling back by itself: the analysis of {service} failed.\n"
    "{details}"
)
DEPLOY_ROLLED_BACK = (
    ":leftwards_arrow_with_hook: {label} is rolled back{took}: all traffic is on the previous "
    "version again."
)
DEPLOY_ROLLBACK_FAILED = (
    ":sos: The rollback of {label} FAILED: {reasons}. Traffic may still reach it: fix the "
    "deploy target, then `/release rollback {version}` tries again."
)
DEPLOY_RELEASED = (
    ":rocket: {label} is released: {version} takes all the traffic. For the next {window}, "
    "alerts on its services are tied to it, and *Roll back* or `/release rollback {version}` "
    "still works."
)
DEPLOY_UNAVAILABLE = ":no_entry: {label} cannot deploy: {reason}"
