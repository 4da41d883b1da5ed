"""Everything the console says, in one place."""

from __future__ import annotations

LOG_FILE = "stationmaster-console.log"

BANNER = """\
Stationmaster console: local mode
  The real bot runs here against a simulated Slack workspace. No Slack account is needed.
  Database: {database}
  Logs:     {log_file}
  Slack Web API (simulated): {api_url} with token {token}
  CI reports: POST {bot_url}/hooks/ci, signed with STATIONMASTER_CI_SECRET={ci_secret}
    Try it: STATIONMASTER_CI_SECRET={ci_secret} stationmaster gates submit --url {bot_url} \\
              --release VERSION --gate unit junit.xml

You are {user} in #{channel}.

{people}

{commands}"""

PEOPLE_HEADER = "People you can be (type `as <name>`):"
ROLES_FROM = "Roles come from {config}."
NO_ROLES_CONFIGURED = (
    "No roles are configured, so nobody holds one yet. To try them, put this in "
    "{config}\nand start again:\n"
    "  roles:\n"
    '    release_managers: ["@release-managers"]\n'
    '    qa: ["@qa-team"]\n'
    '    oncall: ["@oncall"]'
)
NO_ROLE = "no role"

COMMANDS = """\
Console commands:
  /release help      run a slash command as you, in the current channel
  as bob             act as someone else (a name or a user ID)
  in #qa             move to another channel
  3  or  press 3     press button or option [3]; `3 some text` fills field [3]
  submit, cancel     send the open modal (asks for empty fields), or close it
  home               open your App Home tab
  alert [SERVICE]    fire a sample alert at a sim service; `alert --resolve` clears it
  users, channels    list the people and the channels
  help               show this list
  quit               leave (so do `exit` and Ctrl-D)"""

PROMPT = "{user} #{channel}> "
GOODBYE = "Bye."

# answers to console commands ----------------------------------------------------------------

NOW_USER = "You are now {user}{roles}."
NOW_CHANNEL = "You are now in #{channel}."
UNKNOWN_USER = "There is no user {ref!r}. You can be: {users}."
UNKNOWN_CHANNEL = "There is no channel {ref!r}. Channels: {channels}."
WHO_TO_BE = "Say who to be: `as <name>`. You can be: {users}."
WHERE_TO_GO = "Say where to go: `in #channel`. Channels: {channels}."
CHANNELS_HEADER = "Channels (type `in #name`):"
HINT = "Not a console command: {line!r}. Try `/release help`, or `help` for the console's commands."
SLASH_ONLY = "Type a command after the slash, e.g. `/release help`."

NOTHING_TO_PRESS = "There is nothing to press yet: no buttons have been shown."
NO_SUCH_NUMBER = "There is no [{number}]. Numbers so far: 1 to {last}."
GONE = (
    "[{number}] {label} is no longer there: its message or modal changed or went away. "
    "Use a number shown since."
)
PRESS_WHAT = "Press what? Type a number shown in brackets, e.g. `press 1`."
NEEDS_VALUE = "[{number}] {label} takes a value: type `{number} <value>`."
NO_VALUE_HERE = "[{number}] {label} takes no value; type just `{number}`."
PRESSED = "You pressed [{number}] {label}."
PICKED = "You picked [{number}] {label}."
TICKED = "You ticked [{number}] {label}."
UNTICKED = "You unticked [{number}] {label}."
FILLED = "[{number}] {label} is now {value!r}."
SET_IN_FORM = "{message} It is sent when you `submit`."
BOT_REFUSED = "The bot answered HTTP {status}: {body}"
NO_ANSWER = "No answer from the bot yet; it may still come (see {log_file})."
FAILED = "That did not work: {error}"

ALERT_USAGE = "Say `alert` or `alert SERVICE`, and add `--resolve` to clear it."
ALERT_NO_SIM_SERVICE = (
    "No service deploys to the sim fleet, so there is nothing to alert on. Add one under "
    "`services:` in {config} (`checkout: {{}}` is enough) and start again."
)
ALERT_UNKNOWN_SERVICE = "There is no sim service {ref!r}. Alerts can fire at: {services}."
ALERT_SUMMARY = "5xx above 5% on {service} for 5 minutes (a sample alert from the console)"
ALERT_FIRED = (
    "Fired {alert} (critical) at {service}{failing}. Its thread is in {channel}; "
    "`alert --resolve` clears it. A release of {service} that is deploying, or released within "
    "its monitoring window, is named in the thread, with Rollback.{unchanged}"
)
ALERT_FAILING = ": {service} {version} now fails {percent}% of its requests on the sim fleet"
ALERT_RESOLVED = "Resolved {alert} on {service}{healed}.{unchanged}"
ALERT_HEALED = "; {service} {version} serves without errors again"
ALERT_UNCHANGED = " The bot had it already, so its thread did not change."
ALERTS_OFF = "Sample alerts are off in this session: it has no alerts token for the bot."

NO_MODAL = "No modal is open for you."
ASK_FIELD = "{label}{choices}: "
CHOICES = " ({options})"
SUBMIT_ABANDONED = "Not submitted: the input ended."
FORM_ERRORS = "The bot did not accept the form:"
FORM_ERROR = "  {label}: {error}"

# the live feed --------------------------------------------------------------------------------

ONLY_YOU = "only visible to you"
ONLY_FOR = "only visible to {user}"
EDITED = "edited"
DELETED = "{where} · a message from {author} was deleted"
IN_THREAD = "reply in the thread of {parent!r}"
MODAL_OPENED = "Modal {title!r} opened for {user}"
MODAL_UPDATED = "Modal {title!r} updated for {user}"
MODAL_PUSHED = "Modal {title!r} opened on top for {user}"
MODAL_CLOSED = "Modal {title!r} closed for {user}"
MODAL_BUTTONS = "[submit: {submit}]  [cancel: {close}]"
MODAL_HINT = "Fill a field with `N <value>`, pick options by number, then `submit` (or `cancel`)."
HOME_PUBLISHED = "App Home of {user}"
REACTION = "{where} · {user} reacted :{name}: to {message!r}"
FILE_SHARED = "{where} · file {name!r} shared ({size} bytes)"
YOU = "you"
UNSHOWABLE = "(could not show a {kind} event: {error}; details in the log)"
