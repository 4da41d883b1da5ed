"""A local git clone, read with the ``git`` command (no shell, bounded time)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bot.errors import IntegrationError
from integrations.source.base import Head

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_REF = re.compile(r"^(?!-)[A-Za-z0-9._/-]+$")


class GitRepository:
    def __init__(self, *, path: Path, timeout: float = 10.0) -> None:
        self.path = path
        self._timeout = timeout

    async def head(self, *, branch: str) -> Head:
        if not _REF.match(branch) or ".." in branch:
            raise IntegrationError(f"'{branch}' is not a branch name git accepts")
        out = await self._git("rev-parse", "--verify", "--end-of-options", f"{branch}^{{commit}}")
        sha = out.strip()
        if not _SHA.match(sha):
            raise IntegrationError(f"git rev-parse gave '{sha[:60]}' for {branch} in {self.path}")
        return Head(sha=sha, ref=branch)

    async def _git(self, *args: str) -> str:
        if not self.path.is_dir():
            raise IntegrationError(f"the repository path {self.path} does not exist")
        try:
            process = await asyncio.create_subprocess_exec(
                "git",
                "-C",
                str(self.path),
                *args,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env={"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "PATH": "/usr/bin:/bin"},
            )
        except FileNotFoundError as exc:
            raise IntegrationError("git is not installed on this machine") from exc
        try:
            out, err = await asyncio.wait_for(process.communicate(), self._timeout)
        except TimeoutError as exc:
            process.kill()
            await process.wait()
            raise IntegrationError(
                f"git {args[0]} in {self.path} took over {self._timeout}s"
            ) from exc
        if process.returncode != 0:
            reason = err.decode(errors="replace").strip().splitlines()
            raise IntegrationError(
                f"git {args[0]} failed in {self.path}: {reason[-1] if reason else 'no output'}"
            )
        return out.decode()
