"""User-facing text that is not a template: one place to read and change it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.domain.durations import format_duration
from bot.domain.names import closest
from bot.domain.roles import Role, SystemActor

if TYPE_CHECKING:
    from bot.domain.incidents import Step
    from bot.services.changes import NotesRange
    from bot.services.models import ReleaseInfo

LOCAL_MODE = (
    "local mode: no SLACK_BOT_TOKEN, serving against the built-in Slack simulator at {api_url}"
)
HELP_HEADER = "*Stationmaster* runs your releases. Usage: `/release SUBCOMMAND [ARGS]`"
HELP_FOOTER = "`/release help SUBCOMMAND` shows one subcommand in detail."
UNKNOWN_SUBCOMMAND = "`{name}` is not a /release subcommand."
DID_YOU_MEAN = "Did you mean `{suggestion}`?"
TRY_HELP = "Try `/release help` for the list."
USAGE = "Usage: `{usage}`"
MISSING_ROLE = (
    "Only {role} members can use `/release {command}`; you are not in the {config_key} role."
)
NO_ROLES = "You hold no Stationmaster role. Ask an admin to add you under `roles:` in the config."
WHOAMI = "You are <@{user_id}> (`{user_id}`). Roles: {roles}."
UNEXPECTED = (
    "Something went wrong on our side (error id `{error_id}`). Nothing was changed; "
    "try again, and quote the id if it keeps happening."
)


def role_list(roles: frozenset[Role]) -> str:
    return ", ".join(sorted(f"{role.label} (`{role.value}`)" for role in roles))


def any_role(roles: Sequence[Role]) -> dict[str, str]:
    """The ``role`` and ``config_key`` of a refusal, naming every role that would do:
    "release manager or on-call" and "`release_managers` or `oncall`"."""
    return {
        "role": " or ".join(role.label for role in roles),
        "config_key": " or ".join(f"`{role.value}`" for role in roles),
    }


HOME_INTRO = (
    "Release trains on a calendar, quality gates from CI, release notes, QA sign-off, "
    "canary deploys with rollback, and on-call alert threads, all from `/release`."
)
HOME_FOOTER = "Type `/release help` in any channel to see what you can do."

# releases and trains --------------------------------------------------------------------------
WHICH_ONE = (
    "`{version}` matches releases of several trains: {labels}. Which one? Use `TRAIN/VERSION`."
)
FROZEN = (
    "{train} is frozen by {by}: {reason}. Only a hotfix with a reason passes a freeze "
    "(`/release hotfix {train} REASON`), or unfreeze it with `/release freeze {train} off`."
)
STILL_IN_FLIGHT = (
    "{label} is still {state}. Finish it or cancel it (`/release cancel {label} REASON`) "
    "before cutting the next release."
)
NOTHING_TO_HOTFIX = "{train} has no released version to hotfix yet; name one with `--from VERSION`."
CUT_RACE = "{who} cut {label} a moment ago; see `/release status {label}`."
CANCELLED = "Cancelled by {actor}: {reason}"
LOST_RACE = "{actor} did `{action}` on {label} first{why}; it is now {state}. Nothing else changed."


def suggest(name: str, choices: Sequence[str]) -> str:
    """`` Did you mean `x`?`` for the choice closest to ``name``, or nothing."""
    close = closest(name, choices, cutoff=0.5)
    return f" Did you mean `{close}`?" if close else ""


def escape(text: str) -> str:
    """People's text as Slack shows it literally: it never pings (`<!channel>`) or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_PERSON = re.compile(r"&lt;@([UW][A-Z0-9]+)&gt;")


def escape_but_people(text: str) -> str:
    """:func:`escape`, but a user mention (``<@U123>``, as :func:`who` writes it) stays one."""
    return _PERSON.sub(r"<@\1>", escape(text))


def who(actor: str) -> str:
    """A Slack mention for user IDs, plain words for the bot's own actors."""
    if actor[:1] in {"U", "W"} and actor[1:].isalnum():
        return f"<@{actor}>"
    return f"the {actor}" if actor in set(SystemActor) else actor


def cut_note(release: ReleaseInfo) -> str:
    commit = (
        f"`{release.short_sha}` on `{release.ref}`"
        if release.commit_sha
        else "no repository configured"
    )
    kind = (
        f"Hotfix of {release.base_version}: {escape(release.reason or '')}"
        if release.base_version
        else "Cut"
    )
    return f"{kind} by {who(release.cut_by)} at {commit}. Gates are next."


CUT_DONE = "Cut *{label}*; it is {state}. Its thread has the details."
HOTFIX_DONE = "Cut hotfix *{label}* from {base}; it is {state}."
CANCEL_DONE = "Cancelled *{label}*."
NO_ACTIVE = "No active releases. `/release list --all` shows past ones."
HISTORY_LINE = "• {at:%Y-%m-%d %H:%M:%S} UTC · {actor} · `{action}` {move}{why}"
STATUS_EVENT = "• {at:%Y-%m-%d %H:%M} UTC {actor} {action}{move}{why}"
TRAIN_FROZEN = (
    "❄ {train} is frozen by {actor}: {reason}. Cuts and deploys wait; "
    "hotfixes with a reason and rollbacks pass."
)
TRAIN_THAWED = "{train} is no longer frozen ({actor})."
MISSED = (
    "The {milestone} of {train} was missed by {late} (the bot was down), more than its "
    "misfire grace of {grace}: it was skipped. Run it by hand if it is still wanted."
)
MILESTONE_REFUSED = "The scheduled {milestone} of {train} did not happen: {reason}"
REMINDER = "Reminder: the {milestone} is in {lead}."
FREEZE_NOTE = "Code freeze: from now on only fixes for this release go in."
SIGNOFF_DUE = "The sign-off deadline is now: QA, please approve or reject this release."
SIGNOFF_OVERDUE = "Sign-off is overdue: {label} is still {state} at its sign-off deadline."
READY_TO_DEPLOY = (
    "Release time: {label} is approved and ready to deploy (`/release deploy {label}`)."
)
RELEASE_HELD = "Release time, but {label} is {state}, so it is held."
NOTHING_TO_RELEASE = "Release time for {train}, but there is no release in flight."
FREEZE_DONE = "{train} is frozen. `/release freeze {train} off` lifts it."
THAW_DONE = "{train} is no longer frozen."
NO_TRAINS = "No trains are configured yet: add one under `trains:` in the config."
TIMES_IN = "_Times in {zone}, your Slack time zone._"

# quality gates
GATES_CLOSED = (
    "{label} is {state}: its gates take results and overrides only while it is gating or blocked."
)
OVERRIDE_NEEDS_REASON = "Overriding the {gate} gate of {label} needs a reason."
GATE_NOT_REQUIRED = "The {policy} policy of {label} does not require the {gate} gate."
GATE_ALREADY_PASSES = "The {gate} gate of {label} passes; there is nothing to override."
GATE_ALREADY_OVERRIDDEN = "{who} already overrode the {gate} gate of {label}: {reason}"
GATE_OVERRIDDEN = "Overrode the {gate} gate of *{label}*; it is {state}."
UNKNOWN_GATE = "`{gate}` is not a gate. Gates: {gates}."
OLD_BUTTON = "This button is from an older message; run `{command}` instead."
ROLE_FOR_ACTION = "Only {role} members can {action}; you are not in the {config_key} role."


# -- sign-off -------------------------------------------------------------------------------
SIGNOFF_NONE = "{label} has no sign-off request yet: it is asked for once every gate passes."
SIGNOFF_REJECTED = ":x: {who} rejected {label}: {reason}"
SIGNOFF_ALREADY = "Your approval of {label} is already counted; it counts once."
SIGNOFF_WITHDRAWN = "Your approval of {label} is withdrawn."
SIGNOFF_NEEDS_REASON = "Say why: a rejection needs a reason."
SIGNOFF_POSTED = "QA sign-off is requested in {where}."

# -- deployments ----------------------------------------------------------------------------
DEPLOY_STARTED = "Deploying *{label}*: {summary}"
DEPLOY_PROMOTED = "Promoted *{label}*: {summary}"
DEPLOY_PROMOTED_FULLY = "Promoted *{label}* to 100%: {summary}"
DEPLOY_PAUSED = "Paused *{label}*: {summary}"
DEPLOY_RESUMED = "Resumed *{label}*: {summary}"
DEPLOY_ROLLING_BACK = "Rolling back *{label}*: {summary}"
DEPLOY_MORE = "and {count} more"
DEPLOY_NO_SERVICES = "no services"
DEPLOY_ROLES = (
    "Release managers promote, pause and resume; release managers and on-call can roll back."
)
ROLLBACK_CONFIRM = "Roll back *{label}*? Traffic goes back to the previous version{previous}."
ROLLBACK_BY_BUTTON = "rolled back from Slack by a button"
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

# -- alerts and incidents ------------------------------------------------------------------
ALERT_NEW = ":fire: {count} new firing: {names}"
ALERT_CLEARED = ":white_check_mark: {count} resolved: {names}"
ALERT_ACKED = ":eyes: {who} acknowledged this{via}; escalation stopped."
ALERT_RESOLVED_BY = ":white_check_mark: {who} resolved this{via}."
ALERT_NOT_RELATED = (
    ":link: {who} says this is not related to {label}; it is no longer tied to it, and never "
    "will be again."
)
ALERT_NOT_RELATED_RELEASE = ":link: {who} says the alert thread {title} is not related to {label}."
ALERT_PAUSED_CANARY = (
    ":double_vertical_bar: Paused the canary of {label} ({service}): this alert fired while it "
    "deploys. Resume it or roll it back from its thread, or press *Rollback* here."
)
ALERT_PAUSED_RELEASE = (
    ":double_vertical_bar: Paused {label}: an alert on {service} fired while it deploys ({title})."
)
ALERT_PAUSE_FAILED = "Could not pause the canary of {label}: {reason}"
ALERT_ROLLBACK_STARTED = ":leftwards_arrow_with_hook: {who} started rolling back {label}."
ALERT_ROLLED_BACK = (
    ":leftwards_arrow_with_hook: {label} is rolled back{took}: all traffic is on the previous "
    "version again."
)
ALERT_ROLLBACK_FAILED = ":sos: The rollback of {label} failed; its thread says why."
ALERT_ESCALATED = ":alarm_clock: Nobody acknowledged this within {timeout}.{paging}"
ALERT_PAGING = " Paging on-call through PagerDuty."
ALERT_PAGE_FAILED = ":warning: PagerDuty did not take the page: {reason}"
ALERT_NO_RELEASE = (
    "This alert is not tied to a release, so there is nothing to roll back here; "
    "`/release rollback VERSION` rolls back a release you suspect."
)
ALERT_NOT_ATTRIBUTED = "This alert group is not tied to a release."
ALERT_ALREADY_RESOLVED = "This alert group is already resolved{by}."
ALERT_GONE = "That alert group no longer exists."
INCIDENT_NONE = (
    "No alert has been tied to {label}, so it has no incident timeline. Alerts on its services "
    "are tied to it while it deploys and for {window} after its release."
)
INCIDENT_TITLE = ":spiral_note_pad: *Incident timeline of {label}*"
INCIDENT_STEPS = {
    "deployed": "deployed{who}",
    "first_alert": "first alert{detail}{took}",
    "acknowledged": "acknowledged{who}{took}",
    "rollback_started": "rollback started{who}",
    "rollback_finished": "rollback {detail}{took}",
    "resolved": "resolved{who}{took}",
}
INCIDENT_TOOK = {
    "first_alert": "time to detect",
    "acknowledged": "time to acknowledge",
    "rollback_finished": "rollback time",
    "resolved": "time to resolve",
}


def took(duration: timedelta) -> str:
    """``0.4s``, ``12s``, ``4m10s``: seconds with a decimal while under a minute."""
    seconds = duration.total_seconds()
    if seconds < 10:
        return f"{seconds:.1f}s"
    return format_duration(duration)


def alert_names(names: Sequence[str], *, shown: int = 8) -> str:
    listed = ", ".join(escape(name) for name in names[:shown])
    more = len(names) - shown
    return f"{listed} {DEPLOY_MORE.format(count=more)}" if more > 0 else listed


def incident_timeline(label: str, steps: Sequence[Step]) -> str:
    """The timeline as mrkdwn lines: each step's time (UTC), what happened, by whom, and the
    duration it ends."""
    lines = [INCIDENT_TITLE.format(label=label)]
    for step in steps:
        kind = step.kind.value
        by = f" by {who(step.who)}" if step.who else ""
        duration = (
            f" ({INCIDENT_TOOK[kind]}: *{took(step.took)}*)"
            if step.took is not None and kind in INCIDENT_TOOK
            else ""
        )
        if kind == "rollback_finished":
            detail = step.detail or "finished"
        else:
            detail = f": {escape(step.detail)}" if step.detail else ""
        text = INCIDENT_STEPS[kind].format(who=by, took=duration, detail=detail)
        lines.append(f"• `{step.at:%H:%M:%S}` {text}")
    return "\n".join(lines)


# -- release notes ---------------------------------------------------------------------------
NOTES_SUMMARY = (
    "*{title}*\n{subtitle}\n{counts}.\nThe notes are too long for one message, so they are "
    "attached below as a Markdown file."
)
NOTES_ATTACHED = "{summary}\nThe full notes are attached as `{filename}` in the release's thread."
NOTES_NO_REPO = (
    "Train {train} has no repository, so it has no release notes. Add "
    '`repo: {{path: ".", branch: main}}` (a local clone) or `repo: {{github: owner/name}}` '
    "to the train in the config."
)
NOTES_NO_COMMIT = "{label} was cut without a commit, so it has no release notes."
NOTES_FAILED = ":warning: The release notes could not be made: {reason}"
NOTES_NO_ANNOUNCE = (
    "Train {train} has no `announce_channel` in the config, so there is nowhere to publish "
    "its notes."
)
NOTES_NOT_SHIPPING = "{label} is {state}: it will not ship, so its notes are not published."
NOTES_PUBLISHED = ":mega: {actor} published these notes to {channel}."
NOTES_ALREADY_PUBLISHED = "The notes of {label} are already published in <#{channel}>."
NOTES_UNKNOWN_SERVICE = (
    "Train {train} ships no service `{service}`.{hint} Its services: {services}."
)


def notes_title(release: ReleaseInfo, *, service: str | None = None) -> str:
    scope = f" ({service})" if service else ""
    kind = "Hotfix" if release.base_version else "Release"
    return f"{kind} notes: {release.train} {release.version}{scope}"


def notes_subtitle(found: NotesRange, *, base_version: str | None) -> str:
    notes = found.notes
    since = f"since {base_version}" if base_version else "the whole history: the first release"
    parts = [f"{notes.commits} commit{'' if notes.commits == 1 else 's'} {since}"]
    parts.append(found.span)
    if notes.hidden:
        parts.append(f"{notes.hidden} hidden (chores, CI, tests, builds, style)")
    if notes.reverted:
        parts.append(f"{notes.reverted} reverted")
    return " · ".join(parts)


def announcement_title(release: ReleaseInfo) -> str:
    return f"What's new in {release.train} {release.version}"


# -- alert threads (Slack) ------------------------------------------------------------------
ALERT_ROOT_FIRING = "🔥 firing"
ALERT_ROOT_RESOLVED = "✅ resolved"
ALERT_ROOT_COUNTS = "{firing} firing, {resolved} resolved"
ALERT_ROOT_SEVERITY = "severity *{severity}*"
ALERT_ROOT_FIRING_FOR = "firing for {span}"
ALERT_ROOT_LASTED = "lasted {span}"
ALERT_ROOT_UNTITLED = "Alert group {group_id}"
ALERT_ROOT_CAUSE = "Likely caused by *{label}* on {service} (deployed {ago} ago by {who})"
ALERT_ROOT_RELEASE_THREAD = "release thread"
ALERT_ROOT_IN_FLIGHT = (
    ":hatching_chick: Its canary is taking traffic now: *Roll back* sends all of it back to "
    "the previous version."
)
ALERT_ROOT_NOT_RELATED = "Not related to {labels} (said {who})"
ALERT_ROOT_MORE = "_…and {count} more_"
ALERT_ROOT_LOOK_AT = "Look at: {links}"
ALERT_ROOT_LINK = "graph"
ALERT_ROOT_ACKED = "Acknowledged by {who} ({at}){via}"
ALERT_ROOT_VIA_PAGERDUTY = " via PagerDuty"
ALERT_ROOT_RESOLVED_BY = "Resolved by {who} ({at})"
ALERT_ROOT_RESOLVED_ITSELF = "Every alert resolved ({at})"
ALERT_ROOT_UNACKED = "Not acknowledged yet"
ALERT_ROOT_ESCALATED = "Escalated ({at}): nobody acknowledged it in time"
ALERT_ROOT_PAGED = "PagerDuty paged"
ALERT_ROOT_ROLES = "On-call and release managers can press these buttons."
ALERT_ROOT_BUTTON_ROLLBACK = "Rollback"
ALERT_ROOT_BUTTON_ACK = "Acknowledge"
ALERT_ROOT_BUTTON_RESOLVE = "Resolve"
ALERT_ROOT_BUTTON_UNRELATED = "Not related"
ALERT_ROOT_ROLLBACK_TITLE = "Roll back this release?"
ALERT_ROOT_ROLLBACK_CONFIRM = "Roll back *{label}*? All traffic goes back to the previous version."
ALERT_ROOT_CANCEL = "Cancel"
ALERT_ROOT_LINK_BACK = (
    ":rotating_light: An alert thread names this release as the likely cause: {link}"
)
ALERT_ROOT_LINK_TEXT = "{title} in {channel}"
ALERT_ROOT_COMMAND = "/release incident VERSION"
ALERT_ROOT_ACTION = "act on alert threads"
