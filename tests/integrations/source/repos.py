"""Real git repositories for tests, made with the ``git`` binary in a tmp dir.

Everything is deterministic: authors are given, and each commit of a repository is dated one
minute after the previous one (from 2024-05-01 09:00 UTC), so shas are the same on every run.
No global or system git config is read (``HOME`` points nowhere, signing is off).

::

    repo = init(tmp_path / "shop")
    first = commit(repo, "feat: cart", files={"services/checkout/cart.py": "total = 0\\n"})
    branch(repo, "feature")
    checkout(repo, "feature")
    commit(repo, "fix: cart", files={...}, author=("Bo", "bo@example.com"))
    checkout(repo, "main")
    merge(repo, "feature", message="Merge pull request #12 from acme/feature")
    tag(repo, "v1.0.0")

``shop_history(path)`` builds a realistic, messy history and names its parts in a
:class:`ShopHistory`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = [
    "ANA",
    "BO",
    "CHEN",
    "DANA",
    "EVE",
    "FAY",
    "ZOE",
    "Author",
    "ShopHistory",
    "branch",
    "checkout",
    "commit",
    "git",
    "init",
    "merge",
    "rev_parse",
    "revert",
    "shop_history",
    "tag",
]

Author = tuple[str, str]
"""``(name, email)``."""

ANA: Author = ("Ana Lima", "ana@example.com")
BO: Author = ("Bo Berg", "bo@example.com")
CHEN: Author = ("Chen Wei", "chen@example.com")
DANA: Author = ("Dana Scott", "dana@example.com")
EVE: Author = ("Eve Adams", "eve@example.com")
FAY: Author = ("Fay Okoye", "fay@example.com")
ZOE: Author = ("Zoë Ñúñez", "zoe@example.com")

_START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
_DATED = frozenset({"commit", "revert", "merge", "tag"})  # commands that write a date
_CLOCK = "stationmaster-test-clock"  # in the git dir: how many commits were dated so far
_CONFIG = (
    "commit.gpgsign=false",
    "tag.gpgsign=false",
    "init.defaultBranch=main",
    "core.autocrlf=false",
    "advice.detachedHead=false",
)


def git(repo: Path, *args: str, author: Author = ANA, stdin: str | None = None) -> str:
    """Run ``git -C repo args…`` as ``author`` (also the committer) and return its stdout."""
    settings = [part for item in _CONFIG for part in ("-c", item)]
    done = subprocess.run(
        ["git", "-C", str(repo), *settings, *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(repo, author, dated=bool(args) and args[0] in _DATED),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def init(path: Path) -> Path:
    """An empty repository at ``path`` (made if missing) on branch ``main``."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    return path


def commit(
    repo: Path,
    message: str,
    *,
    files: Mapping[str, str | None] | None = None,
    author: Author = ANA,
    co_authors: Iterable[Author] = (),
) -> str:
    """Commit ``message`` exactly as given (no cleanup) and return its sha.

    ``files`` maps paths (from the top, ``/``-separated) to their new content, or None to
    delete them; without files the commit is empty. Each co-author becomes a
    ``Co-authored-by: Name <email>`` trailer after a blank line.
    """
    for name, content in (files or {}).items():
        target = repo / name
        if content is None:
            git(repo, "rm", "-q", "--", name)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode())
        git(repo, "add", "--", name)
    trailers = "\n".join(f"Co-authored-by: {name} <{email}>" for name, email in co_authors)
    if trailers:
        message = f"{message.rstrip()}\n\n{trailers}\n"
    git(
        repo,
        "commit",
        "-q",
        "--allow-empty",
        "--allow-empty-message",
        "--cleanup=verbatim",
        "--no-verify",
        "-F",
        "-",
        author=author,
        stdin=message,
    )
    return rev_parse(repo, "HEAD")


def revert(repo: Path, sha: str, *, author: Author = ANA) -> str:
    """``git revert --no-edit sha`` (git writes ``Revert "…"`` / ``This reverts commit …``)."""
    git(repo, "revert", "--no-edit", sha, author=author)
    return rev_parse(repo, "HEAD")


def merge(repo: Path, branch_name: str, *, message: str | None = None, author: Author = ANA) -> str:
    """Merge ``branch_name`` into the current branch with a merge commit (``--no-ff``)."""
    text = message or f"Merge branch '{branch_name}'"
    git(repo, "merge", "-q", "--no-ff", "--no-edit", "-m", text, branch_name, author=author)
    return rev_parse(repo, "HEAD")


def branch(repo: Path, name: str, start: str = "HEAD") -> None:
    """Create branch ``name`` at ``start`` (without switching to it)."""
    git(repo, "branch", name, start)


def checkout(repo: Path, name: str) -> None:
    """Switch to branch (or commit) ``name``."""
    git(repo, "checkout", "-q", name)


def tag(repo: Path, name: str, ref: str = "HEAD", *, message: str | None = None) -> None:
    """Tag ``ref``: an annotated tag when ``message`` is given, else a lightweight one."""
    if message is None:
        git(repo, "tag", name, ref)
    else:
        git(repo, "tag", "-a", name, "-m", message, ref)


def rev_parse(repo: Path, ref: str) -> str:
    """The full sha of the commit ``ref`` names."""
    return git(repo, "rev-parse", "--verify", f"{ref}^{{commit}}").strip()


@dataclass(frozen=True)
class ShopHistory:
    """What :func:`shop_history` made. The range is ``v1.0.0..v1.1.0``; ``main`` is one commit
    past it (``after``). Shas are named after the commit they point at."""

    path: Path
    initial: str
    cart: str  # co-authored by FAY, before the range
    empty_query: str  # before the range, reverted inside it (``revert_before``)
    apple_pay: str
    typo_tolerance: str
    docs: str
    suggestions: str  # perf
    drop_v1: str  # feat(api)!
    split_payment: str  # BREAKING CHANGE footer
    synonyms: str  # DANA, co-authored by EVE
    gift_cards: str  # reverted by revert_gift_cards
    revert_gift_cards: str
    revert_before: str  # reverts empty_query
    rounding: str
    revert_rounding: str
    revert_revert_rounding: str
    facets: str  # on the feature branch
    facet_tests: str  # on the feature branch
    squash: str  # "fix: x (#13)" on main while the branch was open
    merge: str  # Merge pull request #12 from acme/feature
    unicode: str  # by ZOE
    long_subject: str
    mentions: str  # <!channel> <@U123> *markdown*
    after: str  # past v1.1.0, on main

    @property
    def base(self) -> str:
        return "v1.0.0"

    @property
    def head(self) -> str:
        return "v1.1.0"


LONG_SUBJECT = ("feat: " + "a very long subject " * 500)[:9_999] + "."  # 10,000 characters
MENTIONS = "fix(search): escape <!channel> and <@U123> in *markdown* _titles_ `code`"
UNICODE = "fix(i18n): ünïcödé prices — 日本語 und Straße 🚂"


def shop_history(path: Path) -> ShopHistory:
    """A shop monorepo (``services/checkout``, ``services/search``, ``docs``) with six authors.

    Before the range (``v1.0.0``, annotated): an initial commit, a co-authored feature and a
    fix that gets reverted later. In the range (``v1.1.0``, annotated): feat, fix, docs, perf,
    a ``feat!``, a ``BREAKING CHANGE:`` footer, a co-authored commit, a revert pair, a revert
    of the pre-range fix, a revert of a revert, a feature branch merged with ``--no-ff`` as
    GitHub's "Merge pull request #12 from acme/feature", a squash-style ``fix: x (#13)``, a
    non-ASCII subject by a non-ASCII author, a 10,000-character subject, and Slack mentions
    and markdown in a subject.
    """
    repo = init(path)
    c, s = "services/checkout", "services/search"
    initial = commit(
        repo,
        "chore: initial commit",
        files={
            "README.md": "# shop\n",
            f"{c}/app.py": "app = 1\n",
            f"{s}/app.py": "app = 1\n",
        },
    )
    cart = commit(
        repo,
        "feat(checkout): cart totals\n\nSums line items.",
        files={f"{c}/cart.py": "total = 0\n"},
        co_authors=[FAY],
    )
    empty_query = commit(
        repo, "fix(search): empty query crash", files={f"{s}/query.py": "q = ''\n"}, author=BO
    )
    tag(repo, "v1.0.0", message="v1.0.0")

    apple_pay = commit(repo, "feat(checkout): apple pay", files={f"{c}/pay.py": "pay = 1\n"})
    typo = commit(
        repo, "fix(search): typo tolerance", files={f"{s}/fuzzy.py": "d = 2\n"}, author=BO
    )
    docs = commit(
        repo,
        "docs: describe the checkout flow",
        files={"docs/checkout.md": "# Checkout\n"},
        author=CHEN,
    )
    suggestions = commit(
        repo, "perf(search): cache suggestions", files={f"{s}/cache.py": "size = 128\n"}, author=BO
    )
    drop_v1 = commit(
        repo, "feat(api)!: drop the v1 endpoints", files={f"{c}/api.py": "version = 2\n"}
    )
    split_payment = commit(
        repo,
        "refactor(checkout): split the payment module\n\n"
        "Gateways live in their own module now.\n\n"
        "BREAKING CHANGE: PaymentGateway.charge takes cents, not a float\n",
        files={f"{c}/gateway.py": "cents = True\n"},
        author=CHEN,
    )
    synonyms = commit(
        repo,
        "feat(search): synonyms",
        files={f"{s}/synonyms.py": "s = {}\n"},
        author=DANA,
        co_authors=[EVE],
    )
    gift_cards = commit(repo, "feat(checkout): gift cards", files={f"{c}/gift.py": "gift = 1\n"})
    revert_gift_cards = revert(repo, gift_cards)
    revert_before = revert(repo, empty_query, author=BO)
    rounding = commit(repo, "fix(checkout): rounding", files={f"{c}/rounding.py": "r = 2\n"})
    revert_rounding = revert(repo, rounding)
    revert_revert_rounding = revert(repo, revert_rounding)

    branch(repo, "feature")
    checkout(repo, "feature")
    facets = commit(repo, "feat(search): facets", files={f"{s}/facets.py": "f = []\n"}, author=EVE)
    facet_tests = commit(
        repo,
        "test(search): facet cases",
        files={f"{s}/test_facets.py": "def test(): pass\n"},
        author=EVE,
    )
    checkout(repo, "main")
    squash = commit(repo, "fix: x (#13)", files={f"{c}/x.py": "x = 1\n"}, author=BO)
    merged = merge(repo, "feature", message="Merge pull request #12 from acme/feature\n\nFacets")
    unicode = commit(repo, UNICODE, files={f"{c}/i18n.py": "eur = '€'\n"}, author=ZOE)
    long_subject = commit(repo, LONG_SUBJECT, files={"docs/long.md": "long\n"})
    mentions = commit(repo, MENTIONS, files={f"{s}/escape.py": "e = 1\n"}, author=CHEN)
    tag(repo, "v1.1.0", message="v1.1.0")
    after = commit(repo, "chore: after the release", files={"README.md": "# shop v2\n"})
    return ShopHistory(
        path=repo,
        initial=initial,
        cart=cart,
        empty_query=empty_query,
        apple_pay=apple_pay,
        typo_tolerance=typo,
        docs=docs,
        suggestions=suggestions,
        drop_v1=drop_v1,
        split_payment=split_payment,
        synonyms=synonyms,
        gift_cards=gift_cards,
        revert_gift_cards=revert_gift_cards,
        revert_before=revert_before,
        rounding=rounding,
        revert_rounding=revert_rounding,
        revert_revert_rounding=revert_revert_rounding,
        facets=facets,
        facet_tests=facet_tests,
        squash=squash,
        merge=merged,
        unicode=unicode,
        long_subject=long_subject,
        mentions=mentions,
        after=after,
    )


def _env(repo: Path, author: Author, *, dated: bool) -> dict[str, str]:
    """A clean environment naming ``author`` and, when ``dated``, the repository's next date."""
    minutes = _tick(repo) if dated else 0
    moment = (_START + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    name, email = author
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(repo / ".git" / "no-home"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "LC_ALL": "C",
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_AUTHOR_DATE": moment,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_COMMITTER_DATE": moment,
    }


def _tick(repo: Path) -> int:
    """The next minute of ``repo``'s clock, kept in its git dir."""
    clock = repo / ".git" / _CLOCK
    minute = int(clock.read_text()) if clock.exists() else 0
    clock.write_text(str(minute + 1))
    return minute
