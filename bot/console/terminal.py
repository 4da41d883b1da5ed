"""Reading lines and printing output without blocking the event loop.

Lines are read on a daemon thread, one per request, so the simulator and the bot keep
serving meanwhile, and Ctrl-C never waits for a pending read. On a terminal, ``input()``
gives line editing and history; piped input is echoed after the prompt, so a transcript
reads like the session it was. Output that arrives while a prompt waits is printed above it,
and the prompt is shown again.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import shutil
import sys
import textwrap
import threading
from typing import Any, TextIO

CLEAR_LINE = "\r\x1b[K"


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Terminal:
    def __init__(self, *, stdin: TextIO, stdout: TextIO) -> None:
        self._in, self._out = stdin, stdout
        #: A real terminal on both ends: ``input()`` with line editing.
        self.interactive = (
            stdin is sys.stdin and stdout is sys.stdout and _is_tty(stdin) and _is_tty(stdout)
        )
        self._echo = not _is_tty(stdin)
        self._lock = threading.Lock()
        self._prompt: str | None = None  # shown and waiting for a line
        self._requests: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: asyncio.Future[str | None] | None = None
        self._saved_tty: Any = None

    # output -----------------------------------------------------------------------------

    def write(self, text: str) -> None:
        """Print ``text`` as whole lines, above a prompt that is waiting."""
        with self._lock:
            if self._prompt is not None:
                self._out.write(CLEAR_LINE if self.interactive else "\n")
            text = self._fit(text.removesuffix("\n"))
            self._out.write(text + "\n")
            if self._prompt is not None:
                self._out.write(self._prompt + self._typed_so_far())
            self._out.flush()

    def _fit(self, text: str) -> str:
        """On a terminal, wrap long lines at its width, continuing at their indentation."""
        if not self.interactive:
            return text
        width = shutil.get_terminal_size().columns
        lines: list[str] = []
        for line in text.split("\n"):
            indent = line[: len(line) - len(line.lstrip())]
            wrapped = textwrap.wrap(
                line,
                width=width,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
            lines += wrapped if len(line) > width and wrapped else [line]
        return "\n".join(lines)

    def interrupted(self) -> None:
        """Leave the line a waiting prompt is on (after Ctrl-C)."""
        with self._lock:
            if self._prompt is not None:
                self._prompt = None
                self._out.write("\n")
                self._out.flush()

    def _typed_so_far(self) -> str:
        if not self.interactive:
            return ""
        readline = sys.modules.get("readline")
        return str(readline.get_line_buffer()) if readline is not None else ""

    # input ------------------------------------------------------------------------------

    async def read_line(self, prompt: str) -> str | None:
        """The next line without its newline, or None at the end of the input."""
        loop = asyncio.get_running_loop()
        if self._thread is None:
            self._start(loop)
        self._waiting = loop.create_future()
        self._requests.put(prompt)
        try:
            return await self._waiting
        finally:
            self._waiting = None

    def close(self) -> None:
        """Let the reader thread end, and give the terminal back as it was."""
        self._requests.put(None)
        if self._saved_tty is not None:
            import termios

            with contextlib.suppress(termios.error, OSError, ValueError):
                termios.tcsetattr(self._in.fileno(), termios.TCSADRAIN, self._saved_tty)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        if self.interactive:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401 - importing it gives input() editing and history
            with contextlib.suppress(ImportError, OSError, ValueError):
                import termios

                self._saved_tty = termios.tcgetattr(self._in.fileno())
        self._thread = threading.Thread(target=self._reader, name="console-input", daemon=True)
        self._thread.start()

    def _reader(self) -> None:
        while True:
            prompt = self._requests.get()
            if prompt is None:
                return
            try:
                line = self._read(prompt)
            except (OSError, ValueError):
                line = None
            try:
                assert self._loop is not None
                self._loop.call_soon_threadsafe(self._deliver, line)
            except RuntimeError:  # the loop has closed: the console is gone
                return

    def _deliver(self, line: str | None) -> None:
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_result(line)

    def _read(self, prompt: str) -> str | None:
        if self.interactive:
            with self._lock:
                self._prompt = prompt
            try:
                typed: str | None = input(prompt)
            except EOFError:
                typed = None
            with self._lock:
                self._prompt = None
                if typed is None:
                    self._out.write("\n")
                    self._out.flush()
            return typed
        with self._lock:
            self._out.write(prompt)
            self._out.flush()
            self._prompt = prompt
        raw = self._in.readline()
        with self._lock:
            self._prompt = None
            if raw and self._echo:
                self._out.write(raw if raw.endswith("\n") else raw + "\n")
            elif not raw:
                self._out.write("\n")
            self._out.flush()
        return raw.rstrip("\r\n") if raw else None
