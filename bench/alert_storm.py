"""Alert storm: 1,000 Alertmanager alerts in 10 s across 20 groups, against a bare HTTP 202.

One process runs the Slack simulator, with Slack's posting limit on (Slack's rate-limit guide,
https://docs.slack.dev/apis/web-api/rate-limits: chat.postMessage is in the special tier,
"posting messages: 1 per second [per channel], short bursts >1 allowed"; the simulator's
``posts_per_second=1`` knob), and the real bot (SQLite in a temporary directory, an alerts
token), both on loopback. Every group's alerts grow in rounds: each request is the group's
Alertmanager v4 notification carrying all its alerts so far plus the round's new ones, as
Alertmanager re-sends a group, so each request repeats what the bot has and adds to it. The
requests are spread evenly over the storm and sent concurrently (httpx.AsyncClient).

Measured, from the first request:

- until the database holds every alert (its distinct fingerprints, polled every 20 ms);
- until #oncall holds every group's root (the simulator's messages, polled every 10 ms);
- until every root shows all its group's alerts (updated in place), and the thread lines;
- each request's round trip, against the baseline: the same payloads, pacing and
  concurrency sent, in the same run, to a no-op aiohttp handler on loopback answering 202.

Exits 1 when an alert is lost, a group has other than one root, or a request is refused.

    python bench/alert_storm.py            # 1,000 alerts in 10 s across 20 groups
    python bench/alert_storm.py --smoke    # 200 alerts in 2 s across 5 groups, for CI
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import distinct, func
from sqlmodel import col, select

from bot.config import parse_config
from bot.observability.logs import configure_logging
from bot.server import serving
from bot.settings import Settings
from bot.sim.slack import SlackSimulator
from storage.engine import create_engine, session_factory
from storage.models import AlertRow

TOKEN = "bench-alerts-token"
SLACK_POSTS_PER_SECOND = 1.0
"""Slack's documented pace for chat.postMessage: one message per second per channel."""
ROUNDS = 10
"""Notifications per group: each adds ``alerts / groups / ROUNDS`` new alerts."""
CHANNEL = "#oncall"
CONFIG = """
roles:
  release_managers: ["@release-managers"]
  oncall: ["@oncall"]
alerts:
  channel: "#oncall"
"""
ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass(frozen=True)
class Storm:
    alerts: int
    seconds: float
    groups: int
    settle: float
    """The most seconds spent on the figures past the checks: every root up to date, the lines."""
    rounds: int = ROUNDS

    @property
    def requests(self) -> int:
        return self.groups * self.rounds

    @property
    def interval(self) -> float:
        return self.seconds / self.requests


FULL = Storm(alerts=1000, seconds=10.0, groups=20, settle=90.0)
SMOKE = Storm(alerts=200, seconds=2.0, groups=5, settle=8.0)


# the payloads ------------------------------------------------------------------------------------


def title(group: int) -> str:
    return f"StormAlert{group:02d}"


def fingerprint(group: int, n: int) -> str:
    return hashlib.sha256(f"{group}/{n}".encode()).hexdigest()[:16]


def payloads(storm: Storm) -> tuple[list[bytes], set[str]]:
    """The request bodies in sending order (round-robin over the groups, each notification
    carrying its group's alerts so far), and every fingerprint sent."""
    per_group = storm.alerts // storm.groups
    per_round = per_group // storm.rounds
    started = datetime.now(UTC) - timedelta(minutes=5)
    bodies: list[bytes] = []
    sent: set[str] = set()
    for round_ in range(storm.rounds):
        upto = per_group if round_ == storm.rounds - 1 else per_round * (round_ + 1)
        for group in range(storm.groups):
            name = title(group)
            alerts = []
            for n in range(upto):
                sent.add(fingerprint(group, n))
                alerts.append(
                    {
                        "status": "firing",
                        "labels": {
                            "alertname": name,
                            "service": f"svc-{group:02d}",
                            "instance": f"host-{n:03d}:9100",
                            "severity": "critical" if n % 10 == 0 else "warning",
                        },
                        "annotations": {"summary": f"{name} on host-{n:03d}: 5xx above 2%"},
                        "startsAt": (started + timedelta(seconds=n)).isoformat(),
                        "endsAt": ZERO_TIME,
                        "generatorURL": f"http://prometheus.bench:9090/graph?g0.expr={name}",
                        "fingerprint": fingerprint(group, n),
                    }
                )
            body = {
                "version": "4",
                "groupKey": f'{{}}/{{service=~".+"}}:{{alertname="{name}"}}',
                "truncatedAlerts": 0,
                "status": "firing",
                "receiver": "stationmaster",
                "groupLabels": {"alertname": name},
                "commonLabels": {"alertname": name, "service": f"svc-{group:02d}"},
                "commonAnnotations": {},
                "externalURL": "http://alertmanager.bench:9093",
                "alerts": alerts,
            }
            bodies.append(json.dumps(body).encode())
    return bodies, sent


# sending ---------------------------------------------------------------------------------------


@dataclass
class Sent:
    began: float = 0.0
    ended: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    started: asyncio.Event = field(default_factory=asyncio.Event)


async def storm_at(url: str, bodies: list[bytes], storm: Storm, sent: Sent) -> Sent:
    """POST each body at its slot (``storm.interval`` apart), all concurrently; ``sent`` says
    when the first one went (``started``), and gathers the answers."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        await http.post(url, content=b"{}", headers=headers)  # warm up: a connection, a 400
        sent.began = time.monotonic()
        sent.started.set()

        async def one(n: int, body: bytes) -> None:
            await asyncio.sleep(max(0.0, sent.began + n * storm.interval - time.monotonic()))
            started = time.perf_counter()
            response = await http.post(url, content=body, headers=headers)
            sent.latencies.append(time.perf_counter() - started)
            sent.statuses[response.status_code] += 1

        await asyncio.gather(*(one(n, body) for n, body in enumerate(bodies)))
        sent.ended = time.monotonic()
    return sent


@asynccontextmanager
async def no_op_server() -> AsyncIterator[str]:
    """The baseline: an aiohttp handler that reads the body and answers 202."""

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"ok": True}, status=202)

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/hooks/alerts/{source}", accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hooks/alerts/alertmanager"
    finally:
        await runner.cleanup()


# the bot ---------------------------------------------------------------------------------------


@dataclass
class Bot:
    sim: SlackSimulator
    url: str
    stored: Callable[[], Awaitable[int]]


@asynccontextmanager
async def running_bot(database: Path) -> AsyncIterator[Bot]:
    sim = await SlackSimulator(posts_per_second=SLACK_POSTS_PER_SECOND).start()
    url = f"sqlite+aiosqlite:///{database}"
    settings = Settings(
        slack_bot_token=SecretStr(sim.config.bot_token),
        slack_signing_secret=SecretStr(sim.config.signing_secret),
        slack_api_url=sim.api_url,
        database_url=url,
        alerts_token=SecretStr(TOKEN),
        log_level="WARNING",
    )
    engine = create_engine(url=url)
    sessions = session_factory(engine=engine)

    async def stored() -> int:
        async with sessions() as session:
            query = select(func.count(distinct(col(AlertRow.fingerprint))))
            return int((await session.exec(query)).one())

    try:
        async with serving(settings, parse_config(text=CONFIG), host="127.0.0.1", port=0) as port:
            yield Bot(
                sim=sim, url=f"http://127.0.0.1:{port}/hooks/alerts/alertmanager", stored=stored
            )
    finally:
        await engine.dispose()
        await sim.stop()


def roots_by_title(sim: SlackSimulator) -> Counter[str]:
    return Counter(m.text.split(":", 1)[0] for m in sim.messages_in(CHANNEL, include_replies=False))


def shows_all(sim: SlackSimulator, per_group: int) -> int:
    """How many roots show every alert of their group."""
    counts = f"{per_group} firing, 0 resolved"
    return sum(counts in m.text for m in sim.messages_in(CHANNEL, include_replies=False))


@dataclass(frozen=True)
class Took:
    seconds: float
    """From the first request until the check held, or until it was given up."""
    held: bool

    def __str__(self) -> str:
        return f"{self.seconds:6.2f} s" if self.held else f"not yet, {self.seconds:.2f} s in"


async def until(
    check: Callable[[], Awaitable[bool]], *, since: float, every: float, within: float
) -> Took:
    """How long from ``since`` until ``check()`` held, polled ``every`` seconds, at most
    ``within`` seconds from now."""
    deadline = time.monotonic() + within
    while True:
        held = await check()
        if held or time.monotonic() >= deadline:
            return Took(seconds=time.monotonic() - since, held=held)
        await asyncio.sleep(every)


async def quiet(sim: SlackSimulator, *, seconds: float, within: float) -> None:
    """Wait until the bot has called Slack for nothing in ``seconds`` (at most ``within``)."""
    deadline = time.monotonic() + within
    seen, since = len(sim.calls), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < seconds:
        await asyncio.sleep(0.1)
        if len(sim.calls) != seen:
            seen, since = len(sim.calls), time.monotonic()


# reporting -------------------------------------------------------------------------------------


def logged(log: io.StringIO) -> list[str]:
    """The bot's warnings and errors, one line per kind, most frequent first."""
    kinds: Counter[str] = Counter()
    for line in log.getvalue().splitlines():
        entry = json.loads(line)
        cause = (entry.get("exception") or "").strip().splitlines()[-1:]
        what = f" ({entry['what']})" if "what" in entry else ""
        kinds[f"{entry['level']}: {entry['event']}{what}{': ' + cause[0] if cause else ''}"] += 1
    return [f"{n} × {kind}" for kind, n in kinds.most_common()]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def latency_line(name: str, sent: Sent) -> str:
    p50, p99 = percentile(sent.latencies, 50), percentile(sent.latencies, 99)
    return (
        f"  {name:<28}p50 {p50 * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms  "
        f"mean {statistics.fmean(sent.latencies) * 1000:7.1f} ms  "
        f"all sent in {sent.ended - sent.began:5.2f} s"
    )


async def main(storm: Storm) -> int:
    bodies, fingerprints = payloads(storm)
    per_group = storm.alerts // storm.groups
    checks = storm.seconds + 30 + 3 * storm.groups  # Slack takes one root per second
    log = io.StringIO()
    configure_logging(fmt="json", level="warning", stream=log)

    async with no_op_server() as url:
        baseline = await storm_at(url, bodies, storm, Sent())

    with tempfile.TemporaryDirectory(prefix="stationmaster-bench-") as tmp:
        async with running_bot(Path(tmp) / "bench.db") as bot:
            sim = bot.sim
            ours = Sent()
            sending = asyncio.create_task(storm_at(bot.url, bodies, storm, ours))
            await ours.started.wait()
            began = ours.began

            async def all_stored() -> bool:
                return await bot.stored() >= len(fingerprints)

            async def all_roots() -> bool:
                return len(roots_by_title(sim)) >= storm.groups

            async def all_shown() -> bool:
                return shows_all(sim, per_group) >= storm.groups

            stored_in, roots_in = await asyncio.gather(
                until(all_stored, since=began, every=0.02, within=checks),
                until(all_roots, since=began, every=0.01, within=checks),
            )
            await sending
            shown_in = await until(all_shown, since=began, every=0.05, within=storm.settle)
            await quiet(sim, seconds=2.0, within=storm.settle / 2)  # lines behind the pacer
            stored = await bot.stored()
            roots = roots_by_title(sim)
            messages = sim.messages_in(CHANNEL)
            posts = sim.calls_to("chat.postMessage")
            updates = sim.calls_to("chat.update")

    lost = len(fingerprints) - stored
    wrong_roots = {title(g): roots.get(title(g), 0) for g in range(storm.groups)}
    wrong_roots = {name: n for name, n in wrong_roots.items() if n != 1}
    refused = sum(n for status, n in ours.statuses.items() if status != 202)
    lines = len(messages) - sum(roots.values())

    print(
        f"alert storm: {storm.alerts} alerts in {storm.seconds:g} s across {storm.groups} groups "
        f"({storm.requests} Alertmanager v4 notifications, "
        f"{sum(len(b) for b in bodies) / 1024:.0f} KiB), Slack at "
        f"{SLACK_POSTS_PER_SECOND:g} post/s per channel, one process on loopback"
    )
    rows = [
        (f"all {len(fingerprints)} alerts stored", str(stored_in)),
        (f"all {storm.groups} roots in {CHANNEL}", str(roots_in)),
        ("every root shows all alerts", str(shown_in)),
        ("alerts lost", str(lost)),
        ("roots per group", f"{wrong_roots or '1 each'} ({sum(roots.values())} roots)"),
        ("thread lines", str(lines)),
        ("answers", str(dict(sorted(ours.statuses.items())))),
        (
            "Slack calls",
            f"chat.postMessage {len(posts)} ({sum(c.error == 'ratelimited' for c in posts)} "
            f"refused 429), chat.update {len(updates)} "
            f"({sum(c.error == 'ratelimited' for c in updates)} refused 429)",
        ),
        *(("bot log", line) for line in logged(log)),
    ]
    for name, value in rows:
        print(f"  {name:<28}{value}")
    print("per-request round trip")
    print(latency_line("no-op aiohttp (baseline)", baseline))
    print(latency_line("stationmaster", ours))
    p50 = percentile(ours.latencies, 50) / percentile(baseline.latencies, 50)
    p99 = percentile(ours.latencies, 99) / percentile(baseline.latencies, 99)
    print(f"  {'ratio to the baseline':<28}p50 ×{p50:.1f}  p99 ×{p99:.1f}")

    failed = False
    if lost:
        print(f"FAILED: {lost} of {len(fingerprints)} alerts were not stored")
        failed = True
    if wrong_roots:
        print(f"FAILED: groups without exactly one root: {wrong_roots}")
        failed = True
    if refused:
        print(f"FAILED: {refused} requests were not answered 202")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="200 alerts in 2 s across 5 groups")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(SMOKE if args.smoke else FULL)))
