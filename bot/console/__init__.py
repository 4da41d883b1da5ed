"""``stationmaster console``: try the bot in a terminal against the built-in Slack simulator.

::

    runner.py     run_console(): simulator + bot + console in one process, logs to a file
    session.py    Console: the current user and channel, and what each typed line does
    interact.py   pressing numbered buttons and options, filling and submitting modals
    feed.py       the live feed: every message, ephemeral reply and view, as it happens
    render.py     Block Kit as text, with numbered controls (pure)
    mrkdwn.py     Slack mrkdwn as plain text (pure)
    controls.py   the session's numbers, and what was ticked or typed
    forms.py      a modal's inputs, and reading typed values
    people.py     users, roles and channels of the simulated workspace
    terminal.py   line input on a thread, output above a waiting prompt
    text.py       everything the console says
"""

from __future__ import annotations

from bot.console.runner import run_console

__all__ = ["run_console"]
