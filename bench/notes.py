"""``stationmaster notes`` over a 10,000-commit repository, against ``git log`` of the same range.

Generates a repository with ``git fast-import`` (one process, not 10,000 ``git commit`` calls):
40 authors, Conventional Commits of every type with scopes, squash-merge PR numbers, issue keys,
``BREAKING CHANGE`` footers, co-authors, GitHub-style reverts, non-conventional subjects, some
non-ASCII and some long subjects, each commit changing a file in one of six service directories.
It then times, best of N and in the same run:

- ``git log FIRST..HEAD`` (the default format, to /dev/null): the baseline;
- ``stationmaster notes --from FIRST --to HEAD --format md`` as a subprocess, start-up included;
- the same with ``--format slack``, and with ``--service`` (paths: one more ``git log``).

Target: notes within 3x of ``git log``.

    python bench/notes.py            # 10,000 commits, best of 5; exits 2 when the target is missed
    python bench/notes.py --smoke    # 1,000 commits, one run, for CI: exits 0 whatever the ratio

Both modes exit 1 when the notes miss commits that were generated.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SEED = 20_261_124
MAX_RATIO = 3.0
SERVICES = ("checkout", "search", "cart", "accounts", "payments", "catalog")
TYPES = (
    ("feat", 30), ("fix", 30), ("docs", 6), ("perf", 4), ("security", 1), ("refactor", 5),
    ("chore", 8), ("ci", 3), ("test", 5), ("build", 2), ("style", 1), (None, 5),
)  # fmt: skip
WORDS = [
    "cart",
    "totals",
    "coupon",
    "refund",
    "search",
    "facets",
    "index",
    "cache",
    "latency",
    "retry",
    "timeout",
    "checkout",
    "payment",
    "gateway",
    "invoice",
    "currency",
    "rounding",
    "locale",
    "token",
    "session",
    "login",
    "signup",
    "password",
    "catalog",
    "price",
    "stock",
    "warehouse",
    "shipping",
    "label",
    "email",
    "webhook",
    "queue",
    "worker",
    "metrics",
]
ROOT = Path(__file__).resolve().parents[1]


def _subject(rng: random.Random, n: int) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
    if rng.random() < 0.01:
        words = "préférences — 日本語 " + words
    if rng.random() < 0.002:
        words += " " + "long " * 400
    return words


def _message(rng: random.Random, n: int, squashed: list[tuple[int, str]]) -> str:
    if squashed and rng.random() < 0.01:
        pr, subject = squashed.pop(rng.randrange(len(squashed)))
        return f'Revert "{subject}"\n\nReverts acme/shop#{pr}\n'
    kind = rng.choices([t for t, _ in TYPES], weights=[w for _, w in TYPES])[0]
    text = _subject(rng, n)
    if kind is None:
        return f"{text.capitalize()}\n"
    scope = f"({rng.choice(SERVICES)})" if rng.random() < 0.6 else ""
    bang = "!" if rng.random() < 0.005 else ""
    subject = f"{kind}{scope}{bang}: {text}"
    if rng.random() < 0.5:
        pr = 1000 + n
        subject += f" (#{pr})"
        squashed.append((pr, subject))
    body = []
    if rng.random() < 0.3:
        body.append(" ".join(rng.choice(WORDS) for _ in range(20)))
    footers = []
    if rng.random() < 0.2:
        footers.append(f"Refs: SHOP-{rng.randint(1, 5000)}")
    if rng.random() < 0.05:
        footers.append("Co-authored-by: Pat Doe <pat@example.com>")
    if rng.random() < 0.003:
        footers.append("BREAKING CHANGE: the old endpoint is gone")
    parts = [subject, *body, "\n".join(footers)] if footers else [subject, *body]
    return "\n\n".join(p for p in parts if p) + "\n"


def generate(path: Path, *, commits: int) -> None:
    """A repository at ``path`` with ``commits`` commits on main, written by git fast-import."""
    rng = random.Random(SEED)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    authors = [(f"Dev {i:02}", f"dev{i:02}@example.com") for i in range(40)]
    squashed: list[tuple[int, str]] = []
    stream: list[bytes] = []
    when = 1_700_000_000
    for n in range(1, commits + 1):
        name, email = rng.choice(authors)
        message = _message(rng, n, squashed).encode()
        service = rng.choice(SERVICES)
        content = f"{n}\n".encode()
        when += rng.randint(60, 3600)
        stream += [
            b"commit refs/heads/main\n",
            f"mark :{n}\n".encode(),
            f"author {name} <{email}> {when} +0000\n".encode(),
            f"committer {name} <{email}> {when} +0000\n".encode(),
            f"data {len(message)}\n".encode(),
            message,
            b"\n",
            *([f"from :{n - 1}\n".encode()] if n > 1 else []),
            f"M 644 inline services/{service}/f{n % 50}.py\n".encode(),
            f"data {len(content)}\n".encode(),
            content,
            b"\n",
        ]
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "main"], check=True)


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def run(command: list[str], *, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STATIONMASTER_"))}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:3])}… failed: {done.stderr.strip()}")
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--smoke", action="store_true", help="1,000 commits, one run")
    args = parser.parse_args()
    commits, runs = (1_000, 1) if args.smoke else (10_000, 5)
    stationmaster = [sys.executable, "-m", "bot.cli", "notes"]
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "shop"
        started = time.perf_counter()
        generate(repo, commits=commits)
        print(f"generated {commits:,} commits with git fast-import in "
              f"{time.perf_counter() - started:.2f}s")  # fmt: skip
        first = run(["git", "-C", str(repo), "rev-list", "--max-parents=0", "HEAD"], cwd=ROOT)
        first = first.strip()
        config = Path(tmp) / "stationmaster.yml"
        config.write_text("services:\n  checkout: {paths: [services/checkout/]}\n")
        span = ["--repo", str(repo), "--from", first, "--to", "HEAD"]

        data = json.loads(run([*stationmaster, *span, "--format", "json"], cwd=Path(tmp)))
        total = data["commits"] + data["reverted"] // 2 * 0
        if data["commits"] != commits - 1:
            print(f"the notes counted {data['commits']} commits of {commits - 1}")
            return 1
        print(f"notes: {sum(len(s['entries']) for s in data['sections']):,} entries, "
              f"{data['hidden']:,} hidden, {data['reverted']} reverted, "
              f"{len(data['contributors'])} contributors; {total:,} commits")  # fmt: skip

        git_log = best_of(
            runs, lambda: run(["git", "-C", str(repo), "log", f"{first}..HEAD"], cwd=ROOT)
        )
        timings = {
            "notes --format md": best_of(runs, lambda: run([*stationmaster, *span], cwd=Path(tmp))),
            "notes --format slack": best_of(
                runs, lambda: run([*stationmaster, *span, "--format", "slack"], cwd=Path(tmp))
            ),
            "notes --service checkout": best_of(
                runs,
                lambda: run(
                    [*stationmaster, *span, "--service", "checkout", "--config", str(config)],
                    cwd=Path(tmp),
                ),
            ),
            "python -c pass (start-up)": best_of(
                runs, lambda: run([sys.executable, "-c", "pass"], cwd=ROOT)
            ),
        }
    print(f"{'git log (baseline)':<28} {git_log * 1000:8.1f} ms   1.00x")
    for name, seconds in timings.items():
        print(f"{name:<28} {seconds * 1000:8.1f} ms  {seconds / git_log:5.2f}x")
    ratio = timings["notes --format md"] / git_log
    verdict = "within" if ratio <= MAX_RATIO else "OVER"
    print(f"notes --format md is {ratio:.2f}x git log: {verdict} the {MAX_RATIO:.0f}x target")
    if args.smoke:
        return 0
    return 0 if ratio <= MAX_RATIO else 2


if __name__ == "__main__":
    sys.exit(main())
