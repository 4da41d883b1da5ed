"""User-facing text that is not a template: one place to read and change it."""

from __future__ import annotations

from bot.domain.roles import Role

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
    "Only {role} members can use `/release {command}`; you are not in the `{config_key}` role."
)
NO_ROLES = "You hold no Stationmaster role. Ask an admin to add you under `roles:` in the config."
WHOAMI = "You are <@{user_id}> (`{user_id}`). Roles: {roles}."
UNEXPECTED = (
    "Something went wrong on our side (error id `{error_id}`). Nothing was changed; "
    "try again, and quote the id if it keeps happening."
)
WORKING = "Working on `/release {command}`…"


def role_list(roles: frozenset[Role]) -> str:
    return ", ".join(sorted(f"{role.label} (`{role.value}`)" for role in roles))


HOME_INTRO = (
    "Release trains on a calendar, quality gates from CI, release notes, QA sign-off, "
    "canary deploys with rollback, and on-call alert threads, all from `/release`."
)
HOME_FOOTER = "Type `/release help` in any channel to see what you can do."
