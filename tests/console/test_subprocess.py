"""``stationmaster console`` as a newcomer runs it: a fresh directory, no Slack settings."""

from __future__ import annotations

import asyncio
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.processes import clean_env


async def test_console_with_piped_input(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "console",
        cwd=tmp_path,
        env=clean_env(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(b"/release help\nquit\n"), timeout=60)
    shown = out.decode()
    assert process.returncode == 0, err.decode()
    assert "Stationmaster console: local mode" in shown
    assert "alice #releases> /release help" in shown
    assert "/release whoami" in shown
    assert "Bye." in shown
    assert err.decode() == ""  # logs went to the file, not the screen
    assert (tmp_path / "stationmaster.db").is_file()
    assert "listening" in (tmp_path / "stationmaster-console.log").read_text()


async def test_an_unknown_user_is_one_line_and_exit_2(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "console",
        "--user",
        "zed",
        cwd=tmp_path,
        env=clean_env(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert err.decode().splitlines() == [
        "stationmaster: There is no user 'zed'. You can be: alice, bob, carol, dave, erin."
    ]
    assert out == b""


def read_until(
    master: int, wanted: str, *, seen: bytearray, after: int = 0, timeout: float = 30
) -> str:
    """Read the terminal's output until ``wanted`` shows up past character ``after``;
    return all of it so far."""
    deadline = time.monotonic() + timeout
    while wanted not in seen.decode(errors="replace")[after:]:
        left = deadline - time.monotonic()
        assert left > 0, f"{wanted!r} never appeared in:\n{seen.decode(errors='replace')}"
        ready, _, _ = select.select([master], [], [], left)
        if ready:
            try:
                seen += os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
    return seen.decode(errors="replace")


def test_console_on_a_terminal_and_ctrl_c(tmp_path: Path) -> None:
    """On a real terminal: input() with line editing, and Ctrl-C leaves cleanly with 0."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "console", "--user", "bob"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=tmp_path,
        env=clean_env({"TERM": "dumb"}),
        start_new_session=True,
    )
    os.close(slave)
    seen = bytearray()
    try:
        read_until(master, "bob #releases> ", seen=seen)
        os.write(master, b"/release whoami\r")
        shown = read_until(master, "Roles:", seen=seen)
        assert "only visible to you" in shown
        read_until(master, "bob #releases> ", seen=seen, after=shown.index("Roles:"))
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        shown = read_until(master, "Bye.", seen=seen)
        assert "Traceback" not in shown
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        os.close(master)
