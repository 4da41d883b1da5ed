"""A train's calendar: when each milestone and reminder fires, computed with :mod:`zoneinfo`.

A milestone's cron names wall-clock times in the train's time zone. This module walks the local
dates, asks :meth:`CronSpec.matches_date` and :meth:`CronSpec.times` which wall times are
scheduled, and turns each into one UTC instant:

- a wall time that exists once fires then;
- a wall time repeated on the fall-back day fires once, at its first occurrence (``fold=0``);
- a wall time skipped on the spring-forward day fires once, at the end of the gap (the
  transition instant, 03:00 local for a 02:30 Berlin milestone). When several scheduled wall
  times land on one instant (``*/30`` at 02:00, 02:30 and 03:00), it fires once, named by the
  earliest of them.

A reminder is an occurrence of its own, ``lead`` of real time before the ``signoff_deadline``
or ``release`` occurrence it precedes, and shares that occurrence's ``scheduled_local``.
Nothing here reads the clock: callers pass the instants in, aware, and get aware UTC back.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.cron import CronSpec
from bot.domain.durations import format_duration

__all__ = [
    "ORDER",
    "REMINDED",
    "Milestone",
    "Occurrence",
    "OrderProblem",
    "TrainSchedule",
    "check_order",
    "find_order_problem",
    "next_occurrences",
    "occurrences",
    "wall_to_instant",
]

_HORIZON_DAYS = 50 * 366  # the longest a search looks ahead: 29 Feb on a Monday is that rare
_LAST_DAY = date(9998, 12, 31)
_REFERENCE = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday: the order check starts here
_ORDER_SPAN = timedelta(days=366)  # ... and looks at the cycles starting within a year
_ORDER_MAX_CYCLES = 400


class Milestone(StrEnum):
    """What fires. A reminder names the milestone it precedes in :attr:`Occurrence.before`."""

    CUT = "cut"
    FREEZE = "freeze"
    SIGNOFF_DEADLINE = "signoff_deadline"
    RELEASE = "release"
    REMINDER = "reminder"


ORDER = (Milestone.CUT, Milestone.FREEZE, Milestone.SIGNOFF_DEADLINE, Milestone.RELEASE)
"""The milestones of one cycle, in the order they must come."""

REMINDED = (Milestone.SIGNOFF_DEADLINE, Milestone.RELEASE)
"""The milestones that reminders precede."""

_RANK = {milestone: rank for rank, milestone in enumerate((*ORDER, Milestone.REMINDER))}


@dataclass(frozen=True, slots=True)
class TrainSchedule:
    """A train's calendar: its time zone, a cron per scheduled milestone, reminder leads."""

    timezone: ZoneInfo
    cut: CronSpec | None = None
    freeze: CronSpec | None = None
    signoff_deadline: CronSpec | None = None
    release: CronSpec | None = None
    reminders: tuple[timedelta, ...] = ()

    def __post_init__(self) -> None:
        if any(lead <= timedelta(0) for lead in self.reminders):
            raise ValueError("a reminder's lead must be more than 0s")

    def milestones(self) -> dict[Milestone, CronSpec]:
        """The scheduled milestones and their crons, in cycle order."""
        found = {milestone: getattr(self, milestone.value) for milestone in ORDER}
        return {milestone: spec for milestone, spec in found.items() if spec is not None}


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One firing. ``(train, name, scheduled_local)`` identifies it; see :attr:`key`.

    ``scheduled_local`` is the naive wall-clock time the cron names (for a reminder: the one
    of the milestone it precedes), even when that time does not exist; ``fires_at`` is the
    aware UTC instant it fires.
    """

    train: str
    milestone: Milestone
    scheduled_local: datetime
    fires_at: datetime
    before: Milestone | None = None
    lead: timedelta | None = None

    @property
    def name(self) -> str:
        """``cut``, ..., or ``reminder-release-1h``: the milestone column of a fired run."""
        if self.before is None or self.lead is None:
            return self.milestone.value
        return f"{self.milestone.value}-{self.before.value}-{format_duration(self.lead)}"

    @property
    def key(self) -> str:
        """A stable text key, e.g. ``web:cut:2026-03-30T10:00``."""
        return f"{self.train}:{self.name}:{self.scheduled_local.isoformat(timespec='minutes')}"


@dataclass(frozen=True, slots=True)
class OrderProblem:
    """Why a schedule's milestones cannot come in order: the milestone out of place, and why."""

    milestone: Milestone
    message: str

    def __str__(self) -> str:
        return self.message


def occurrences(
    *, train: str, schedule: TrainSchedule, start: datetime, end: datetime
) -> list[Occurrence]:
    """Every occurrence firing in ``(start, end]``, by ``fires_at`` (then cycle order)."""
    _require_aware(start=start, end=end)
    found = _merged(train=train, schedule=schedule, after=start, until=end)
    return list(itertools.takewhile(lambda occ: occ.fires_at <= end, found))


def next_occurrences(
    *, train: str, schedule: TrainSchedule, after: datetime, limit: int
) -> list[Occurrence]:
    """The first ``limit`` occurrences firing after ``after``, by ``fires_at``."""
    _require_aware(after=after)
    found = _merged(train=train, schedule=schedule, after=after, until=None)
    return list(itertools.islice(found, max(limit, 0)))


def find_order_problem(*, schedule: TrainSchedule) -> OrderProblem | None:
    """Whether each cycle can run its milestones in order, or the first problem found.

    A cycle runs from one occurrence of the first scheduled milestone (normally ``cut``) to
    the next. In each cycle starting within a year of a fixed reference week, every later
    milestone must fire strictly after the one before it and before the next cycle starts.
    """
    chain = list(schedule.milestones().items())
    if len(chain) < 2:
        return None
    zone = schedule.timezone
    anchor, anchor_spec = chain[0]
    starts = (instant for _, instant in _instants(spec=anchor_spec, zone=zone, after=_REFERENCE))
    start = next(starts, None)
    if start is None:
        return OrderProblem(anchor, f"{_named(anchor, anchor_spec)} never fires")
    for count, end in enumerate(starts, start=1):
        problem = _cycle_problem(chain, zone=zone, start=start, end=end)
        if problem is not None or count >= _ORDER_MAX_CYCLES or end > _REFERENCE + _ORDER_SPAN:
            return problem
        start = end
    return None  # pragma: no cover - every cron fires again within the 50-year horizon


def check_order(*, schedule: TrainSchedule) -> str | None:
    """The message of :func:`find_order_problem`, or ``None`` when the order can hold."""
    problem = find_order_problem(schedule=schedule)
    return None if problem is None else problem.message


# occurrences ----------------------------------------------------------------------------------


def _merged(
    *, train: str, schedule: TrainSchedule, after: datetime, until: datetime | None
) -> Iterator[Occurrence]:
    streams: list[Iterator[Occurrence]] = []
    for milestone, spec in schedule.milestones().items():
        streams.append(_stream(train, schedule, milestone, spec, after=after, until=until))
        if milestone in REMINDED:
            streams.extend(
                _stream(train, schedule, milestone, spec, after=after, until=until, lead=lead)
                for lead in sorted(set(schedule.reminders))
            )
    return heapq.merge(*streams, key=_sort_key)


def _stream(
    train: str,
    schedule: TrainSchedule,
    milestone: Milestone,
    spec: CronSpec,
    *,
    after: datetime,
    until: datetime | None,
    lead: timedelta | None = None,
) -> Iterator[Occurrence]:
    """One milestone's occurrences, or (with ``lead``) its reminders ``lead`` ahead of them."""
    ahead = lead or timedelta(0)
    found = _instants(
        spec=spec,
        zone=schedule.timezone,
        after=after + ahead,
        until=None if until is None else until + ahead,
    )
    for wall, instant in found:
        yield Occurrence(
            train=train,
            milestone=milestone if lead is None else Milestone.REMINDER,
            scheduled_local=wall,
            fires_at=(instant - ahead).astimezone(UTC),
            before=None if lead is None else milestone,
            lead=lead,
        )


def _sort_key(occ: Occurrence) -> tuple[datetime, int, int, str]:
    before = -1 if occ.before is None else _RANK[occ.before]
    return occ.fires_at, _RANK[occ.milestone], before, occ.name


def _instants(
    *, spec: CronSpec, zone: ZoneInfo, after: datetime, until: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """``(wall time, UTC instant)`` of each firing after ``after``, strictly increasing.

    Wall times map to instants in order (never backwards), so those up to the wall time of
    ``after`` are skipped unread. The walk stops a day after ``until`` (a gap may move a time
    past midnight), or after :data:`_HORIZON_DAYS` when there is no ``until``.
    """
    local_after = after.astimezone(zone).replace(tzinfo=None)
    last_local = local_after if until is None else until.astimezone(zone)
    days = _HORIZON_DAYS if until is None else 1
    last = date.fromordinal(min(last_local.toordinal() + days, _LAST_DAY.toordinal()))
    times = spec.times()
    previous: datetime | None = None
    for day in _dates(spec, first=local_after.date(), last=last):
        skip = bisect.bisect_right(times, local_after.time()) if day == local_after.date() else 0
        for clock in times[skip:]:
            wall = datetime.combine(day, clock)
            instant = wall_to_instant(wall=wall, zone=zone)
            if previous is not None and instant <= previous:
                continue  # a skipped time moved onto an instant that already fires
            previous = instant
            if instant > after:
                yield wall, instant


def _dates(spec: CronSpec, *, first: date, last: date) -> Iterator[date]:
    """The dates in [first, last] the cron fires on, skipping the months it leaves out."""
    day = first
    while day <= last:
        if day.month in spec.months:
            if spec.matches_date(day):
                yield day
            day += timedelta(days=1)
        elif day.month < 12:
            day = date(day.year, day.month + 1, 1)
        elif day.year < last.year:
            day = date(day.year + 1, 1, 1)
        else:
            return


def wall_to_instant(*, wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of the naive wall time ``wall`` in ``zone``, by the rules above."""
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant  # exists (once, or first of two on a fall-back day)
    # In a gap: fold=1 reads it with the offset before the jump, fold=0 with the one after;
    # the transition lies between, and is the first instant whose wall time is past ``wall``.
    low = int(wall.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    high = int(instant.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        local = datetime.fromtimestamp(middle, UTC).astimezone(zone).replace(tzinfo=None)
        low, high = (low, middle) if local > wall else (middle, high)
    return datetime.fromtimestamp(high, UTC)


def _require_aware(**instants: datetime) -> None:
    for name, value in instants.items():
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be an aware datetime, got the naive {value}")


# milestone order ------------------------------------------------------------------------------

_MUST = "the order must be cut, freeze, signoff_deadline, release"


def _cycle_problem(
    chain: list[tuple[Milestone, CronSpec]], *, zone: ZoneInfo, start: datetime, end: datetime
) -> OrderProblem | None:
    """The first milestone of ``chain[1:]`` that cannot fire in order within [start, end)."""
    anchor, previous_spec = chain[0]
    previous, at = anchor, start
    for milestone, spec in chain[1:]:
        following = next(_instants(spec=spec, zone=zone, after=at), None)
        if following is not None and following[1] < end:
            previous, previous_spec, at = milestone, spec, following[1]
            continue
        first = next(_instants(spec=spec, zone=zone, after=start - timedelta(seconds=1)), None)
        this, that = _named(milestone, spec), _named(previous, previous_spec)
        if first is not None and first[1] < at:
            return OrderProblem(milestone, f"{this} comes before {that} in a cycle: {_MUST}")
        if first is not None and first[1] == at:
            when = _local(at, zone)
            return OrderProblem(milestone, f"{this} fires together with {that} on {when}: {_MUST}")
        between = f"{_local(start, zone)} and {_local(end, zone)}"
        return OrderProblem(
            milestone,
            f"{this} does not fire between one {anchor.value} and the next "
            f"(none between {between}): every cycle needs each milestone once, and {_MUST}",
        )
    return None


def _named(milestone: Milestone, spec: CronSpec) -> str:
    return f"{milestone.value} ({spec})"


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")
