"""Properties of the calendar across random time zones and crons, checked minute by minute."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.domain.calendar import Occurrence, TrainSchedule, next_occurrences, occurrences
from bot.domain.cron import CronError, CronSpec, parse_cron
from bot.domain.durations import format_duration

MINUTE = timedelta(minutes=1)
# A sampled subset, always with zones whose changes differ: 30-minute shifts, the southern
# hemisphere, a skipped day, changes at midnight, and none at all.
_ALL = sorted(available_timezones() - {"Factory", "localtime"})
ZONES = sorted(
    set(_ALL[::23])
    | {
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "Australia/Sydney",
        "America/Santiago",
        "America/Havana",
        "Pacific/Apia",
        "Asia/Kolkata",
        "UTC",
    }
)

_CRON_FIELDS = (  # "*" is common, so that the crons often fire on a day the clocks change
    ["0", "30", "*/15", "0,30", "5-10", "*/7", "59", "*/20"],
    ["*", "*", "2", "2", "1,2,3", "0-3", "*/5", "23", "0", "1"],
    ["*", "*", "*", "1", "*/2", "28-31", "13"],
    ["*", "*", "*", "3", "10,11", "*/2", "4,9"],
    ["*", "*", "*", "SUN", "MON-FRI", "6,0"],
)
crons = st.tuples(*(st.sampled_from(options) for options in _CRON_FIELDS)).map(" ".join)


@st.composite
def windows(draw: st.DrawFn) -> tuple[ZoneInfo, datetime, datetime]:
    """A zone and a window of up to two days, usually around one of the zone's changes."""
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    year = draw(st.integers(1996, 2036))
    changes = _offset_changes(zone, year)
    if changes and draw(st.integers(0, 3)):
        day = draw(st.sampled_from(changes))
    else:
        day = date(year, 1, 1) + timedelta(days=draw(st.integers(0, 364)))
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        seconds=draw(st.integers(-36 * 3600, 24 * 3600))
    )
    return zone, start, start + timedelta(seconds=draw(st.integers(0, 48 * 3600)))


def _offset_changes(zone: ZoneInfo, year: int) -> list[date]:
    days = [date(year, 1, 1) + timedelta(days=n) for n in range(366)]
    noon = [datetime(d.year, d.month, d.day, 12, tzinfo=UTC).astimezone(zone) for d in days]
    return [days[n] for n in range(1, 366) if noon[n].utcoffset() != noon[n - 1].utcoffset()]


def expected_instants(
    spec: CronSpec, zone: ZoneInfo, start: datetime, end: datetime
) -> set[datetime]:
    """Brute force over every UTC minute: a scheduled wall minute fires when it first shows
    (fold 0); the wall minutes a forward jump skips fire at the jump."""
    found: set[datetime] = set()
    minute = start.astimezone(UTC).replace(second=0, microsecond=0) + MINUTE
    previous = (minute - MINUTE).astimezone(zone).replace(tzinfo=None)
    while minute <= end:
        local = minute.astimezone(zone)
        naive = local.replace(tzinfo=None)
        assert local.second == 0  # the sampled zones change by whole minutes after 1996
        if local.fold == 0 and spec.matches(naive):
            found.add(minute)
        skipped = previous + MINUTE
        while skipped < naive:
            if spec.matches(skipped):
                found.add(minute)
            skipped += MINUTE
        previous = naive
        minute += MINUTE
    return found


def _spec(cron: str) -> CronSpec:
    try:
        return parse_cron(cron)
    except CronError:
        assume(False)
        raise


@settings(max_examples=150, deadline=None)
@given(windows(), crons, crons, st.sets(st.sampled_from([15, 60, 120]), max_size=2))
def test_occurrences_are_exactly_the_scheduled_instants(
    window: tuple[ZoneInfo, datetime, datetime], cut: str, release: str, leads: set[int]
) -> None:
    zone, start, end = window
    reminders = tuple(timedelta(minutes=lead) for lead in sorted(leads))
    schedule = TrainSchedule(
        timezone=zone, cut=_spec(cut), release=_spec(release), reminders=reminders
    )
    found = occurrences(train="t", schedule=schedule, start=start, end=end)

    assert all(start < occ.fires_at <= end and occ.fires_at.tzinfo is UTC for occ in found)
    assert [occ.fires_at for occ in found] == sorted(occ.fires_at for occ in found)
    assert len({occ.key for occ in found}) == len(found)
    by_name: dict[str, list[Occurrence]] = defaultdict(list)
    for occ in found:
        by_name[occ.name].append(occ)
    for stream in by_name.values():
        fired = [occ.fires_at for occ in stream]
        assert all(a < b for a, b in pairwise(fired))  # strictly increasing
    for occ in found:
        spec = schedule.cut if occ.name == "cut" else schedule.release
        assert spec is not None
        assert spec.matches(occ.scheduled_local)

    assert {o.fires_at for o in by_name["cut"]} == expected_instants(_spec(cut), zone, start, end)
    assert {o.fires_at for o in by_name["release"]} == expected_instants(
        _spec(release), zone, start, end
    )
    for lead in reminders:
        reminded = by_name[f"reminder-release-{format_duration(lead)}"]
        releases = expected_instants(_spec(release), zone, start + lead, end + lead)
        assert {occ.fires_at + lead for occ in reminded} == releases

    again = next_occurrences(train="t", schedule=schedule, after=start, limit=len(found))
    assert again == found


@settings(max_examples=60, deadline=None)
@given(windows(), crons, st.integers(1, 30))
def test_next_occurrences_continue_where_the_last_one_fired(
    window: tuple[ZoneInfo, datetime, datetime], cut: str, limit: int
) -> None:
    zone, start, _ = window
    schedule = TrainSchedule(timezone=zone, cut=_spec(cut))
    first = next_occurrences(train="t", schedule=schedule, after=start, limit=limit)
    assert len(first) == limit
    middle = first[len(first) // 2]
    rest = next_occurrences(
        train="t", schedule=schedule, after=middle.fires_at, limit=limit - len(first) // 2 - 1
    )
    assert first[len(first) // 2 + 1 :] == rest
    assert occurrences(train="t", schedule=schedule, start=start, end=first[-1].fires_at) == first
