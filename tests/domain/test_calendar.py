"""The calendar places milestones with zoneinfo: explicit instants, no clock."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import (
    Milestone,
    Occurrence,
    TrainSchedule,
    next_occurrences,
    occurrences,
    wall_to_instant,
)
from bot.domain.cron import CronError, parse_cron

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC_ZONE = ZoneInfo("UTC")
HOUR = timedelta(hours=1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def wall(*parts: int) -> datetime:
    return datetime(*parts)  # type: ignore[misc]  # noqa: DTZ001 - a naive wall-clock time


def local_day(zone: ZoneInfo, year: int, month: int, day: int) -> tuple[datetime, datetime]:
    """The window (start, end] that holds exactly the instants of one local date."""
    start = datetime(year, month, day, tzinfo=zone) - timedelta(microseconds=1)
    end = datetime(year, month, day, tzinfo=zone) + timedelta(days=1) - timedelta(microseconds=1)
    return start, end


def on_day(cron: str, zone: ZoneInfo, *date: int, milestone: str = "cut") -> list[Occurrence]:
    schedule = TrainSchedule(timezone=zone, **{milestone: parse_cron(cron)})
    start, end = local_day(zone, *date)
    return occurrences(train="web", schedule=schedule, start=start, end=end)


def instants(found: list[Occurrence]) -> list[datetime]:
    return [occ.fires_at for occ in found]


# a 02:30 daily milestone on both transition days ------------------------------------------


@pytest.mark.parametrize(
    ("zone", "date", "fires_at"),
    [
        (BERLIN, (2026, 3, 29), utc(2026, 3, 29, 1, 0)),  # 02:30 CET is skipped: 03:00 CEST
        (NEW_YORK, (2026, 3, 8), utc(2026, 3, 8, 7, 0)),  # 02:30 EST is skipped: 03:00 EDT
    ],
)
def test_a_skipped_time_fires_once_at_the_end_of_the_gap(
    zone: ZoneInfo, date: tuple[int, int, int], fires_at: datetime
) -> None:
    found = on_day("30 2 * * *", zone, *date)
    assert instants(found) == [fires_at]
    assert found[0].scheduled_local == wall(*date, 2, 30)
    assert fires_at.astimezone(zone).strftime("%H:%M %Z") in {"03:00 CEST", "03:00 EDT"}
    assert found[0].key == f"web:cut:{date[0]}-{date[1]:02}-{date[2]:02}T02:30"


def test_apscheduler_would_fire_the_skipped_time_an_hour_late_but_we_do_not() -> None:
    naive_reading = wall(2026, 3, 29, 2, 30).replace(tzinfo=BERLIN).astimezone(UTC)
    assert naive_reading == utc(2026, 3, 29, 1, 30)  # 03:30 CEST: what fold=0 alone gives
    assert wall_to_instant(wall=wall(2026, 3, 29, 2, 30), zone=BERLIN) == utc(2026, 3, 29, 1)


@pytest.mark.parametrize(
    ("zone", "date", "cron", "fires_at"),
    [
        (BERLIN, (2026, 10, 25), "30 2 * * *", utc(2026, 10, 25, 0, 30)),  # 02:30 CEST, not CET
        (NEW_YORK, (2026, 11, 1), "30 1 * * *", utc(2026, 11, 1, 5, 30)),  # 01:30 EDT, not EST
        (NEW_YORK, (2026, 11, 1), "30 2 * * *", utc(2026, 11, 1, 7, 30)),  # not repeated in NY
    ],
)
def test_a_repeated_time_fires_once_at_its_first_occurrence(
    zone: ZoneInfo, date: tuple[int, int, int], cron: str, fires_at: datetime
) -> None:
    found = on_day(cron, zone, *date)
    assert instants(found) == [fires_at]
    assert found[0].fires_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("zone", "date"),
    [(BERLIN, (2026, 3, 29)), (BERLIN, (2026, 10, 25)), (NEW_YORK, (2026, 3, 8))],
)
def test_the_days_around_a_transition_fire_at_their_wall_time(
    zone: ZoneInfo, date: tuple[int, int, int]
) -> None:
    for shift in (-1, 1):
        day = datetime(*date, tzinfo=zone) + timedelta(days=shift)
        found = on_day("30 2 * * *", zone, day.year, day.month, day.day)
        assert [occ.fires_at.astimezone(zone).strftime("%H:%M") for occ in found] == ["02:30"]


# a frequent milestone on both transition days ---------------------------------------------


@pytest.mark.parametrize(
    ("zone", "date", "hours", "count"),
    [
        (BERLIN, (2026, 3, 29), 23, 46),  # 02:00 and 02:30 merge into 03:00 CEST
        (NEW_YORK, (2026, 3, 8), 23, 46),
        (BERLIN, (2026, 10, 25), 25, 48),  # 02:00 and 02:30 CET (the repeats) do not fire
        (NEW_YORK, (2026, 11, 1), 25, 48),  # 01:00 and 01:30 EST do not fire
        (BERLIN, (2026, 6, 1), 24, 48),
    ],
)
def test_every_half_hour_on_a_transition_day(
    zone: ZoneInfo, date: tuple[int, int, int], hours: int, count: int
) -> None:
    start, end = local_day(zone, *date)
    assert (end.astimezone(UTC) - start.astimezone(UTC)) == timedelta(hours=hours)
    found = on_day("*/30 * * * *", zone, *date)
    assert len(found) == count
    assert len(set(instants(found))) == count
    assert instants(found) == sorted(instants(found))
    assert len({occ.key for occ in found}) == count


def test_the_merged_gap_instant_is_named_by_its_earliest_wall_time() -> None:
    found = on_day("*/30 * * * *", BERLIN, 2026, 3, 29)
    around = [(occ.scheduled_local.strftime("%H:%M"), occ.fires_at) for occ in found[2:6]]
    assert around == [
        ("01:00", utc(2026, 3, 29, 0, 0)),
        ("01:30", utc(2026, 3, 29, 0, 30)),
        ("02:00", utc(2026, 3, 29, 1, 0)),  # 02:00, 02:30 and 03:00 all mean 03:00 CEST
        ("03:30", utc(2026, 3, 29, 1, 30)),
    ]


def test_the_repeated_hour_fires_only_in_its_first_pass() -> None:
    found = on_day("*/30 * * * *", NEW_YORK, 2026, 11, 1)
    around = [(occ.scheduled_local.strftime("%H:%M"), occ.fires_at) for occ in found[1:5]]
    assert around == [
        ("00:30", utc(2026, 11, 1, 4, 30)),
        ("01:00", utc(2026, 11, 1, 5, 0)),  # EDT
        ("01:30", utc(2026, 11, 1, 5, 30)),  # EDT; 06:00 and 06:30 UTC (EST) stay quiet
        ("02:00", utc(2026, 11, 1, 7, 0)),
    ]


def test_a_window_starting_inside_a_merged_gap_does_not_fire_it_again() -> None:
    schedule = TrainSchedule(timezone=BERLIN, cut=parse_cron("*/30 * * * *"))
    after = utc(2026, 3, 29, 1, 0)  # the gap's instant has just fired
    found = next_occurrences(train="web", schedule=schedule, after=after, limit=2)
    assert [occ.scheduled_local for occ in found] == [
        wall(2026, 3, 29, 3, 30),
        wall(2026, 3, 29, 4, 0),
    ]
    just_before = after - timedelta(seconds=1)
    first = next_occurrences(train="web", schedule=schedule, after=just_before, limit=1)
    assert first[0].scheduled_local == wall(2026, 3, 29, 2, 0)


def test_after_the_second_pass_begins_the_first_pass_does_not_fire_again() -> None:
    schedule = TrainSchedule(timezone=NEW_YORK, cut=parse_cron("*/30 * * * *"))
    after = utc(2026, 11, 1, 6, 15)  # 01:15 EST, the second 01:15 of the day
    found = next_occurrences(train="web", schedule=schedule, after=after, limit=2)
    assert [(occ.scheduled_local, occ.fires_at) for occ in found] == [
        (wall(2026, 11, 1, 2, 0), utc(2026, 11, 1, 7, 0)),
        (wall(2026, 11, 1, 2, 30), utc(2026, 11, 1, 7, 30)),
    ]


def test_a_whole_skipped_day_fires_once() -> None:
    apia = ZoneInfo("Pacific/Apia")  # 2011-12-30 did not happen in Samoa
    schedule = TrainSchedule(timezone=apia, cut=parse_cron("0 10,12 * * *"))
    found = occurrences(
        train="web",
        schedule=schedule,
        start=datetime(2011, 12, 29, tzinfo=apia),
        end=datetime(2011, 12, 31, 23, tzinfo=apia),
    )
    assert [(occ.scheduled_local, occ.fires_at.astimezone(apia)) for occ in found] == [
        (wall(2011, 12, 29, 10), datetime(2011, 12, 29, 10, tzinfo=apia)),
        (wall(2011, 12, 29, 12), datetime(2011, 12, 29, 12, tzinfo=apia)),
        (wall(2011, 12, 30, 10), datetime(2011, 12, 31, 0, tzinfo=apia)),
        (wall(2011, 12, 31, 10), datetime(2011, 12, 31, 10, tzinfo=apia)),
        (wall(2011, 12, 31, 12), datetime(2011, 12, 31, 12, tzinfo=apia)),
    ]


# reminders ---------------------------------------------------------------------------------


def test_a_reminder_before_a_release_on_spring_forward_day_is_an_hour_of_real_time() -> None:
    schedule = TrainSchedule(
        timezone=BERLIN, release=parse_cron("30 3 29 3 *"), reminders=(HOUR, timedelta(minutes=15))
    )
    found = occurrences(train="web", schedule=schedule, start=utc(2026, 3, 28), end=utc(2026, 4, 1))
    assert [(occ.key, occ.fires_at) for occ in found] == [
        ("web:reminder-release-1h:2026-03-29T03:30", utc(2026, 3, 29, 0, 30)),
        ("web:reminder-release-15m:2026-03-29T03:30", utc(2026, 3, 29, 1, 15)),
        ("web:release:2026-03-29T03:30", utc(2026, 3, 29, 1, 30)),
    ]
    reminder = found[0]
    assert reminder.milestone is Milestone.REMINDER
    assert reminder.before is Milestone.RELEASE
    assert reminder.lead == HOUR
    assert reminder.name == "reminder-release-1h"
    assert reminder.fires_at.astimezone(BERLIN).strftime("%H:%M %Z") == "01:30 CET"


def test_reminders_precede_the_signoff_deadline_and_release_only() -> None:
    schedule = TrainSchedule(
        timezone=BERLIN,
        cut=parse_cron("0 10 * * MON"),
        freeze=parse_cron("0 10 * * TUE"),
        signoff_deadline=parse_cron("0 16 * * WED"),
        release=parse_cron("0 10 * * THU"),
        reminders=(HOUR, timedelta(minutes=15), HOUR),
    )
    found = occurrences(train="web", schedule=schedule, start=utc(2026, 3, 29), end=utc(2026, 4, 5))
    assert [occ.name for occ in found] == [
        "cut",
        "freeze",
        "reminder-signoff_deadline-1h",
        "reminder-signoff_deadline-15m",
        "signoff_deadline",
        "reminder-release-1h",
        "reminder-release-15m",
        "release",
    ]
    assert found[0].key == "web:cut:2026-03-30T10:00"
    assert found[0].fires_at == utc(2026, 3, 30, 8)  # CEST now
    assert found[2].fires_at == utc(2026, 4, 1, 13)


def test_a_reminder_may_fall_in_the_window_when_its_milestone_does_not() -> None:
    schedule = TrainSchedule(timezone=UTC_ZONE, release=parse_cron("0 10 * * *"), reminders=(HOUR,))
    found = occurrences(
        train="web", schedule=schedule, start=utc(2026, 5, 4, 8), end=utc(2026, 5, 4, 9)
    )
    assert [occ.key for occ in found] == ["web:reminder-release-1h:2026-05-04T10:00"]


def test_a_reminder_lead_must_be_positive() -> None:
    with pytest.raises(ValueError, match="more than 0s"):
        TrainSchedule(timezone=BERLIN, reminders=(timedelta(0),))


# ordinary weeks and boundaries --------------------------------------------------------------


def test_an_ordinary_week_in_berlin() -> None:
    schedule = TrainSchedule(
        timezone=BERLIN, cut=parse_cron("0 10 * * MON"), release=parse_cron("0 10 * * THU")
    )
    found = occurrences(train="web", schedule=schedule, start=utc(2026, 1, 5), end=utc(2026, 1, 19))
    assert [(occ.milestone, occ.fires_at) for occ in found] == [
        (Milestone.CUT, utc(2026, 1, 5, 9)),
        (Milestone.RELEASE, utc(2026, 1, 8, 9)),
        (Milestone.CUT, utc(2026, 1, 12, 9)),
        (Milestone.RELEASE, utc(2026, 1, 15, 9)),
    ]


def test_the_window_is_open_at_the_start_and_closed_at_the_end() -> None:
    schedule = TrainSchedule(timezone=UTC_ZONE, cut=parse_cron("0 10 * * *"))
    found = occurrences(
        train="web", schedule=schedule, start=utc(2026, 5, 4, 10), end=utc(2026, 5, 6, 10)
    )
    assert instants(found) == [utc(2026, 5, 5, 10), utc(2026, 5, 6, 10)]
    assert (
        occurrences(train="web", schedule=schedule, start=utc(2026, 5, 6), end=utc(2026, 5, 5))
        == []
    )


def test_month_and_year_boundaries() -> None:
    schedule = TrainSchedule(timezone=NEW_YORK, cut=parse_cron("0 23 28-31 * *"))
    found = occurrences(
        train="web",
        schedule=schedule,
        start=datetime(2025, 12, 1, tzinfo=NEW_YORK),
        end=utc(2026, 3, 5),
    )
    days = [occ.scheduled_local.date().isoformat() for occ in found]
    assert days == [
        "2025-12-28", "2025-12-29", "2025-12-30", "2025-12-31",
        "2026-01-28", "2026-01-29", "2026-01-30", "2026-01-31",
        "2026-02-28",
    ]  # fmt: skip
    assert found[3].fires_at == utc(2026, 1, 1, 4)  # 23:00 EST on new year's eve


def test_a_leap_day_only_milestone_is_found_years_ahead() -> None:
    schedule = TrainSchedule(timezone=BERLIN, cut=parse_cron("0 9 29 FEB *"))
    found = next_occurrences(train="web", schedule=schedule, after=utc(2096, 3, 1), limit=2)
    assert [occ.scheduled_local for occ in found] == [wall(2104, 2, 29, 9), wall(2108, 2, 29, 9)]


def test_months_the_cron_leaves_out_are_skipped() -> None:
    schedule = TrainSchedule(timezone=UTC_ZONE, cut=parse_cron("0 0 1 JAN *"))
    found = next_occurrences(train="web", schedule=schedule, after=utc(2026, 2, 1), limit=3)
    assert instants(found) == [utc(2027, 1, 1), utc(2028, 1, 1), utc(2029, 1, 1)]


def test_the_search_stops_at_the_end_of_the_calendar() -> None:
    schedule = TrainSchedule(timezone=UTC_ZONE, cut=parse_cron("0 0 1 DEC *"))
    found = next_occurrences(train="web", schedule=schedule, after=utc(9997, 1, 1), limit=5)
    assert instants(found) == [utc(9997, 12, 1), utc(9998, 12, 1)]


# the API -----------------------------------------------------------------------------------


def test_next_occurrences_merges_milestones_in_order() -> None:
    schedule = TrainSchedule(
        timezone=UTC_ZONE, cut=parse_cron("0 10 * * *"), freeze=parse_cron("0 10 * * *")
    )
    found = next_occurrences(train="api", schedule=schedule, after=utc(2026, 5, 4), limit=3)
    assert [occ.key for occ in found] == [
        "api:cut:2026-05-04T10:00",
        "api:freeze:2026-05-04T10:00",
        "api:cut:2026-05-05T10:00",
    ]
    assert next_occurrences(train="api", schedule=schedule, after=utc(2026, 5, 4), limit=0) == []


def test_no_milestones_means_no_occurrences() -> None:
    schedule = TrainSchedule(timezone=BERLIN, reminders=(HOUR,))
    assert schedule.milestones() == {}
    assert next_occurrences(train="web", schedule=schedule, after=utc(2026, 1, 1), limit=5) == []


def test_milestones_in_cycle_order() -> None:
    schedule = TrainSchedule(
        timezone=BERLIN, release=parse_cron("0 10 * * THU"), cut=parse_cron("0 10 * * MON")
    )
    assert list(schedule.milestones()) == [Milestone.CUT, Milestone.RELEASE]


def test_naive_instants_are_refused() -> None:
    schedule = TrainSchedule(timezone=BERLIN, cut=parse_cron("0 10 * * MON"))
    with pytest.raises(ValueError, match="start must be an aware datetime"):
        occurrences(train="web", schedule=schedule, start=wall(2026, 1, 1), end=utc(2026, 2, 1))
    with pytest.raises(ValueError, match="after must be an aware datetime"):
        next_occurrences(train="web", schedule=schedule, after=wall(2026, 1, 1), limit=1)


def test_instants_in_other_zones_are_read_as_instants() -> None:
    schedule = TrainSchedule(timezone=BERLIN, cut=parse_cron("0 10 * * MON"))
    tokyo = datetime(2026, 1, 5, 17, 59, tzinfo=ZoneInfo("Asia/Tokyo"))  # 09:59 Berlin
    found = next_occurrences(train="web", schedule=schedule, after=tokyo, limit=1)
    assert found[0].fires_at == utc(2026, 1, 5, 9)


def test_a_cron_that_names_no_date_is_refused() -> None:
    with pytest.raises(CronError) as caught:
        parse_cron("0 10 30,31 FEB *")
    assert str(caught.value) == "it never fires: day 30 or 31 never falls in FEB"
    assert parse_cron("0 10 31 FEB MON").matches_date(wall(2026, 2, 2).date())  # either field


def test_every_kind_of_occurrence_is_counted_once() -> None:
    schedule = TrainSchedule(
        timezone=NEW_YORK,
        cut=parse_cron("*/15 * * * *"),
        release=parse_cron("30 1,2 * * *"),
        reminders=(HOUR,),
    )
    start, end = local_day(NEW_YORK, 2026, 11, 1)
    found = occurrences(train="web", schedule=schedule, start=start, end=end)
    counts = Counter(occ.name for occ in found)
    assert counts == {"cut": 96, "release": 2, "reminder-release-1h": 2}
    assert len({occ.key for occ in found}) == len(found)
