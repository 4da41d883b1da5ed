"""The ``command`` deploy adapter: any script, Helm or kubectl, run once per step.

``run`` is an executable (a path, or a bare name looked up on ``PATH``) or a list of arguments.
A relative path is taken relative to ``cwd`` (resolving it against the config file's folder is
the caller's job). It runs without a shell, in its own process group, with stdin closed and
this environment only::

    PATH              the bot's own PATH (unless ``env`` sets one)
    ACTION            deploy | set_weight | promote | rollback | switch
    SERVICE           the service's name
    VERSION           the new version (for a rollback: the version being removed)
    PREVIOUS_VERSION  the stable version (for a rollback: the one restored); empty for none
    WEIGHT            0 for deploy and rollback, the step's weight, 100 for promote and switch
    RELEASE           train/version

plus the config's ``env`` (no secrets are passed on otherwise). Exit 0 means the step is done.
Any other exit, a timeout (the whole process group is stopped: SIGTERM, then SIGKILL after
``kill_grace`` seconds) or a program that cannot be started is a
:class:`~integrations.deploy.base.DeployError` carrying the last 20 lines (at most 2,000
characters) of the combined stdout and stderr, which are spooled to an unlinked temporary file,
so a chatty command never fills a pipe or the bot's memory. A cancelled step (a rollback
preempting it) kills the process group at once.

A command cannot be asked where the service is: :meth:`CommandAdapter.status` reports what the
last step run by this process left (state ``unknown`` before any step, after a restart, and
after a timeout). Steps are not serialised here; the deploy service runs one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO

from bot.clock import Clock, utc_now
from integrations.deploy.base import (
    Action,
    DeployError,
    DeployState,
    DeployStatus,
    StepAdapter,
    Target,
    outcome,
    step_fields,
)

OUTPUT_LINES = 20
OUTPUT_CHARS = 2000
KILL_GRACE = 2.0
_TAIL_BYTES = 16 * 1024
STEP_VARIABLES = frozenset(
    {"ACTION", "SERVICE", "VERSION", "PREVIOUS_VERSION", "WEIGHT", "RELEASE"}
)


class CommandAdapter(StepAdapter):
    """Runs ``run`` for each step; see the module docstring for the contract with the script."""

    def __init__(
        self,
        *,
        run: Path | Sequence[str],
        timeout: float,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        kill_grace: float = KILL_GRACE,
        clock: Clock = utc_now,
    ) -> None:
        argv = [os.fspath(run)] if isinstance(run, str | Path) else [str(a) for a in run]
        if not argv or not argv[0]:
            raise ValueError("run needs a program: a path, or a list starting with one")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout}")
        extra = dict(env or {})
        clash = sorted(STEP_VARIABLES & extra.keys())
        if clash:
            raise ValueError(f"env may not set {', '.join(clash)}: Stationmaster sets them")
        self._argv = argv
        self._timeout = timeout
        self._cwd = cwd
        self._env = {"PATH": os.environ.get("PATH", os.defpath), **extra}
        self._kill_grace = kill_grace
        self._clock = clock
        self._last: dict[str, DeployStatus] = {}

    @property
    def label(self) -> str:
        """The program as configured, for messages."""
        return self._argv[0]

    async def status(self, *, target: Target) -> DeployStatus:
        """The status the last step left ``target.service`` in; a command cannot be asked."""
        last = self._last.get(target.service)
        if last is not None:
            return last
        return DeployStatus(
            DeployState.UNKNOWN,
            0,
            None,
            None,
            f"{self.label} cannot be asked for a status, and has run no step for "
            f"{target.service} since Stationmaster started",
            self._clock(),
        )

    def check(self) -> str:
        """The program's path; DeployError when it is missing or not executable."""
        name = self._argv[0]
        if os.sep not in name:
            found = shutil.which(name, path=self._env["PATH"])
            if found is None:
                raise DeployError(
                    f"the deploy command {name!r} is not on PATH ({self._env['PATH']}); "
                    f"install it, or give its path in the service's deploy `run`"
                )
            return found
        path = Path(name)
        if not path.is_absolute():
            path = (self._cwd or Path.cwd()) / path
        if not path.is_file():
            raise DeployError(
                f"the deploy command {path} does not exist; create it, or fix `run` in the "
                f"service's deploy config (a relative path is relative to the config file)"
            )
        if not os.access(path, os.X_OK):
            raise DeployError(f"the deploy command {path} is not executable; run `chmod +x {path}`")
        return str(path)

    async def _step(self, action: Action, target: Target, weight: int) -> DeployStatus:
        fields = step_fields(action, target, weight)
        what = f"{action.value} of {target.service} {target.version}"
        try:
            program = self.check()
        except DeployError as exc:
            raise self._failed(target, exc.reason, "", DeployState.FAILED) from None
        step = {key.upper(): "" if value is None else str(value) for key, value in fields.items()}
        env = {**self._env, **step}
        with tempfile.TemporaryFile() as output:
            try:
                code = await self._execute(program, env, output)
            except TimeoutError:
                raise self._failed(
                    target,
                    f"the deploy command {self.label} took over {self._timeout:g}s on {what} "
                    f"and was stopped; raise the service's deploy `timeout`, or find what it "
                    f"waits for",
                    _tail(output),
                    DeployState.UNKNOWN,
                ) from None
            except OSError as exc:
                raise self._failed(
                    target,
                    f"the deploy command {program} could not be started on {what} "
                    f"({exc.strerror or exc}); a script needs a #! first line",
                    "",
                    DeployState.FAILED,
                ) from None
            tail = _tail(output)
        if code != 0:
            how = f"exited {code}" if code > 0 else f"was killed by {_signal_name(-code)}"
            raise self._failed(
                target,
                f"the deploy command {self.label} {how} on {what}"
                + ("" if tail else " and printed nothing"),
                tail,
                DeployState.FAILED,
            )
        last_line = tail.rsplit("\n", 1)[-1].strip()
        status = outcome(
            action, target, weight, at=self._clock(), message=last_line or f"{what} done"
        )
        self._last[target.service] = status
        return status

    async def _execute(self, program: str, env: Mapping[str, str], output: IO[bytes]) -> int:
        """Run the command to its end; TimeoutError after stopping its process group."""
        process = await asyncio.create_subprocess_exec(
            program,
            *self._argv[1:],
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
            cwd=self._cwd,
            env=dict(env),
            start_new_session=True,
        )
        try:
            async with asyncio.timeout(self._timeout):
                return await process.wait()
        except TimeoutError:
            await _stop(process, self._kill_grace)
            raise
        except asyncio.CancelledError:
            _signal_group(process, signal.SIGKILL)
            await process.wait()
            raise

    def _failed(self, target: Target, reason: str, output: str, state: DeployState) -> DeployError:
        before = self._last.get(target.service)
        now = self._clock()
        status = (
            replace(before, state=state, message=reason, at=now)
            if before is not None
            else DeployStatus(state, 0, None, None, reason, now)
        )
        self._last[target.service] = status
        return DeployError(reason, output=output, status=status)


async def _stop(process: asyncio.subprocess.Process, grace: float) -> None:
    """SIGTERM the process group, SIGKILL what is left after ``grace`` seconds."""
    _signal_group(process, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), grace)
    _signal_group(process, signal.SIGKILL)
    await process.wait()


def _signal_group(process: asyncio.subprocess.Process, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _tail(output: IO[bytes]) -> str:
    """The last OUTPUT_LINES lines (at most OUTPUT_CHARS characters) written to ``output``."""
    size = output.seek(0, os.SEEK_END)
    output.seek(max(0, size - _TAIL_BYTES))
    text = output.read().decode("utf-8", "replace")
    lines = text.splitlines()
    if size > _TAIL_BYTES and lines:
        lines = lines[1:]  # the first line is cut
    tail = "\n".join(line.rstrip() for line in lines[-OUTPUT_LINES:]).strip("\n")
    return tail[-OUTPUT_CHARS:]
