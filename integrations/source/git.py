"""A local git clone, read with the ``git`` command (no shell, fixed environment, bounded time).

Refs are checked before they reach git: one starting with ``-`` is refused, and
``--end-of-options`` stops the rest from being read as options. Output is read from strict
machine formats (NUL between records, one field a line), never from text meant for people:

::

    git log -z --format=%H %P%n%aN%n%aE%n%B      sha parents / name / email / raw message \\0 …

A name or an email cannot hold a newline and a message cannot hold a NUL, so the split is exact.
Failures are :class:`~bot.errors.IntegrationError` naming the path, except a ref that names no
commit, which is :class:`~bot.errors.NotFound`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Sequence
from pathlib import Path

from bot.domain.notes import Person, SourceCommit
from bot.errors import IntegrationError, NotFound
from integrations.source.base import Head

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_REF = re.compile(r"^(?!-)[A-Za-z0-9._/-]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL = re.compile(r"<([^<>]+)>")
_COMMIT_FORMAT = "%H %P%n%aN%n%aE%n%B"
_PEOPLE_FORMAT = "%aE%x00%(trailers:key=Co-authored-by,valueonly,unfold,separator=%x00)"
_LOG_CONFIG = ("log.showSignature=false", "i18n.logOutputEncoding=UTF-8")
_LOG_FLAGS = ("--no-color", "--no-show-signature", "--encoding=UTF-8")
_UNKNOWN = ("unknown revision", "needed a single revision", "bad revision", "bad object")
_ENV = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "PATH": "/usr/bin:/bin"}


class GitRepository:
    """The clone at ``path``. ``timeout`` bounds quick calls (``rev-parse``), ``log_timeout``
    the ``git log`` walks over a range or a whole history; ``executable`` is the git to run."""

    def __init__(
        self,
        *,
        path: Path,
        timeout: float = 10.0,
        log_timeout: float = 60.0,
        executable: str = "git",
    ) -> None:
        self.path = path
        self._timeout = timeout
        self._log_timeout = log_timeout
        self._executable = executable

    async def head(self, *, branch: str) -> Head:
        if not _REF.match(branch) or ".." in branch:
            raise IntegrationError(f"'{branch}' is not a branch name git accepts")
        out = await self._git("rev-parse", "--verify", "--end-of-options", f"{branch}^{{commit}}")
        return Head(sha=self._sha(out, branch), ref=branch)

    async def resolve(self, *, ref: str) -> str:
        _check_ref(ref)
        out = await self._git(
            "rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}", unknown=ref
        )
        return self._sha(out, ref)

    async def commits(self, *, base: str | None, head: str) -> list[SourceCommit]:
        revisions = await self._range(base, head)
        out = await self._log(
            "-z", "--reverse", "--date-order", f"--format={_COMMIT_FORMAT}", revisions=revisions
        )
        people: dict[tuple[str, str], Person] = {}  # one Person per author, not per commit
        try:
            return [_commit(record, people) for record in out.split("\0") if record]
        except ValueError as exc:
            raise IntegrationError(
                f"git log in {self.path} gave output Stationmaster cannot read ({exc})"
            ) from exc

    async def touching(
        self, *, base: str | None, head: str, paths: Sequence[str]
    ) -> frozenset[str]:
        revisions = await self._range(base, head)
        specs = [_pathspec(path) for path in paths]
        out = await self._log(
            "--format=%H", "--full-history", "--no-merges", revisions=revisions, paths=specs
        )
        return frozenset(out.split())

    async def known_before(self, *, ref: str | None, people: Sequence[Person]) -> frozenset[str]:
        if ref is None or not people:
            return frozenset()
        sha = await self.resolve(ref=ref)
        out = await self._log(f"--format={_PEOPLE_FORMAT}", revisions=[sha])
        known: set[str] = set()
        for line in out.split("\n"):
            author, *co_authors = line.split("\0")
            known.add(author.strip().lower())
            for trailer in co_authors:
                found = _EMAIL.search(trailer)
                known.add((found.group(1) if found else trailer).strip().lower())
        known.discard("")
        return frozenset(key for person in people if person.keys & known for key in person.keys)

    # -- running git ----------------------------------------------------------------------------

    async def _range(self, base: str | None, head: str) -> list[str]:
        """``base..head`` (or ``head``) as full shas, so that unknown refs are NotFound."""
        if base is None:
            return [await self.resolve(ref=head)]
        base_sha = await self.resolve(ref=base)
        return [f"{base_sha}..{await self.resolve(ref=head)}"]

    async def _log(self, *options: str, revisions: Sequence[str], paths: Sequence[str] = ()) -> str:
        return await self._git(
            "log",
            *_LOG_FLAGS,
            *options,
            "--end-of-options",
            *revisions,
            "--",
            *paths,
            config=_LOG_CONFIG,
            slow=True,
        )

    def _sha(self, out: str, ref: str) -> str:
        sha = out.strip()
        if not _SHA.match(sha):
            raise IntegrationError(f"git rev-parse gave '{sha[:60]}' for {ref} in {self.path}")
        return sha

    async def _git(
        self,
        command: str,
        *args: str,
        config: Sequence[str] = (),
        slow: bool = False,
        unknown: str | None = None,
    ) -> str:
        """Run ``git -C path [-c config]… command args…`` and return its stdout.

        ``slow`` calls (walks of history) get ``log_timeout``; ``unknown`` is the ref the call
        names, so that git's "unknown revision" becomes NotFound for it.
        """
        if not self.path.is_dir():
            raise IntegrationError(f"the repository path {self.path} does not exist")
        settings = [part for item in config for part in ("-c", item)]
        limit = self._log_timeout if slow else self._timeout
        try:
            process = await asyncio.create_subprocess_exec(
                self._executable,
                "-C",
                str(self.path),
                *settings,
                command,
                *args,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=_ENV,
            )
        except OSError as exc:
            raise IntegrationError(
                f"git could not be run to read {self.path} ({exc.strerror or exc}); "
                "install git on this machine"
            ) from exc
        try:
            out, err = await asyncio.wait_for(process.communicate(), limit)
        except TimeoutError as exc:
            with contextlib.suppress(ProcessLookupError):  # it may have just finished
                process.kill()
            await process.wait()
            raise IntegrationError(f"git {command} in {self.path} took over {limit:g}s") from exc
        if process.returncode != 0:
            raise self._failure(command, err.decode(errors="replace"), unknown)
        return out.decode("utf-8", errors="replace")

    def _failure(self, command: str, stderr: str, unknown: str | None) -> Exception:
        said = stderr.lower()
        if "not a git repository" in said:
            return IntegrationError(
                f"{self.path} is not a git repository; point the train's repo.path at a clone"
            )
        if unknown is not None and any(phrase in said for phrase in _UNKNOWN):
            return NotFound(f"`{unknown}` is not a commit in {self.path}")
        reason = stderr.strip().splitlines()
        return IntegrationError(
            f"git {command} failed in {self.path}: {reason[-1] if reason else 'no output'}"
        )


def _check_ref(ref: str) -> None:
    """Refuse refs git could read as an option, or that hold control characters."""
    if not ref.strip() or ref.startswith("-") or _CONTROL.search(ref):
        raise IntegrationError(
            f"'{_CONTROL.sub('?', ref)}' is not a ref git accepts: "
            "give a sha, tag or branch name that does not start with '-'"
        )


def _pathspec(path: str) -> str:
    """``path`` as a literal pathspec from the repository's top (``:(top,literal)a/b``)."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts or _CONTROL.search(path):
        raise IntegrationError(f"'{path}' is not a path inside the repository")
    return ":(top,literal)" + "/".join(parts)


def _commit(record: str, people: dict[tuple[str, str], Person]) -> SourceCommit:
    """One ``%H %P%n%aN%n%aE%n%B`` record; ValueError when it is not one."""
    header, name, email, message = record.split("\n", 3)
    sha, *parents = header.split()
    if not _SHA.match(sha):
        raise ValueError(f"'{sha[:60]}' is not a sha")
    author = people.get((name, email))
    if author is None:
        author = people[name, email] = Person(name=name, email=email)
    return SourceCommit(
        sha=sha, message=message.rstrip("\r\n"), author=author, parents=tuple(parents)
    )
