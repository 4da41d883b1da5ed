"""check_order: can a train's milestones come cut, freeze, signoff_deadline, release in a cycle?"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import Milestone, TrainSchedule, check_order, find_order_problem
from bot.domain.cron import CronSpec, parse_cron

UTC_ZONE = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
MUST = "the order must be cut, freeze, signoff_deadline, release"


def schedule(zone: ZoneInfo = UTC_ZONE, **crons: str) -> TrainSchedule:
    return TrainSchedule(timezone=zone, **{name: parse_cron(cron) for name, cron in crons.items()})


def test_the_weekly_example_holds() -> None:
    weekly = schedule(
        BERLIN,
        cut="0 10 * * MON",
        freeze="0 10 * * TUE",
        signoff_deadline="0 16 * * WED",
        release="0 10 * * THU",
    )
    assert check_order(schedule=weekly) is None
    assert find_order_problem(schedule=weekly) is None


@pytest.mark.parametrize(
    "crons",
    [
        {},
        {"release": "0 10 * * THU"},
        {"cut": "0 10 * * TUE", "release": "0 10 * * MON"},  # a six-day cycle, over the weekend
        {"cut": "0 9 * * *", "release": "0 17 * * *"},
        {
            "cut": "30 9 1,15 * *",
            "release": "0 11 * * TUE",
        },  # twice a month, released within a week
        {"freeze": "0 10 * * TUE", "release": "0 10 * * THU"},  # no cut: freeze starts the cycle
    ],
)
def test_orders_that_hold(crons: dict[str, str]) -> None:
    assert check_order(schedule=schedule(**crons)) is None


def test_release_before_freeze_in_every_cycle_is_refused() -> None:
    bad = schedule(cut="0 10 * * MON", freeze="0 10 * * THU", release="0 10 * * TUE")
    assert check_order(schedule=bad) == (
        f"release (0 10 * * TUE) comes before freeze (0 10 * * THU) in a cycle: {MUST}"
    )
    problem = find_order_problem(schedule=bad)
    assert problem is not None
    assert problem.milestone is Milestone.RELEASE
    assert str(problem) == problem.message


def test_a_signoff_deadline_after_the_release_is_refused() -> None:
    bad = schedule(cut="0 10 * * MON", signoff_deadline="0 16 * * FRI", release="0 10 * * THU")
    assert check_order(schedule=bad) == (
        f"release (0 10 * * THU) comes before signoff_deadline (0 16 * * FRI) in a cycle: {MUST}"
    )


def test_a_release_at_the_time_of_the_cut_is_refused() -> None:
    bad = schedule(cut="0 10 * * MON", release="0 10 * * MON")
    assert check_order(schedule=bad) == (
        f"release (0 10 * * MON) fires together with cut (0 10 * * MON) on 2026-01-05 10:00: {MUST}"
    )


def test_a_release_on_the_cut_comes_before_a_later_freeze() -> None:
    bad = schedule(cut="0 10 * * MON", freeze="0 12 * * MON", release="0 10 * * MON")
    assert check_order(schedule=bad) == (
        f"release (0 10 * * MON) comes before freeze (0 12 * * MON) in a cycle: {MUST}"
    )


def test_a_weekly_release_with_a_daily_cut_is_refused() -> None:
    bad = schedule(cut="0 10 * * *", release="0 10 * * THU")
    assert check_order(schedule=bad) == (
        "release (0 10 * * THU) does not fire between one cut and the next "
        "(none between 2026-01-05 10:00 and 2026-01-06 10:00): "
        f"every cycle needs each milestone once, and {MUST}"
    )


def test_without_a_cut_the_first_milestone_starts_the_cycle() -> None:
    bad = schedule(freeze="0 10 * * *", release="0 10 1 * *")
    problem = find_order_problem(schedule=bad)
    assert problem is not None
    assert problem.milestone is Milestone.RELEASE
    assert "does not fire between one freeze and the next" in problem.message


def test_a_collision_on_the_spring_forward_day_is_found() -> None:
    # 02:30 does not exist on 2026-03-29 in Berlin: the cut moves to 03:00, onto the freeze.
    bad = schedule(BERLIN, cut="30 2 * * *", freeze="0 3 * * *")
    assert check_order(schedule=bad) == (
        f"freeze (0 3 * * *) fires together with cut (30 2 * * *) on 2026-03-29 03:00: {MUST}"
    )
    assert check_order(schedule=schedule(UTC_ZONE, cut="30 2 * * *", freeze="0 3 * * *")) is None


def test_frequent_milestones_are_checked_over_a_bounded_number_of_cycles() -> None:
    busy = schedule(
        BERLIN,
        cut="0 * * * *",
        freeze="10 * * * *",
        signoff_deadline="20 * * * *",
        release="* * * * *",
    )
    assert check_order(schedule=busy) is None


def test_a_rare_cut_is_checked_over_its_cycles() -> None:
    assert check_order(schedule=schedule(cut="0 0 29 2 *", release="0 0 1 3 *")) is None
    # a four-year cycle has room for a yearly freeze and release, in order
    slow = schedule(cut="0 0 29 2 *", freeze="0 0 1 3 *", release="0 0 28 2 *")
    assert check_order(schedule=slow) is None
    bad = schedule(cut="0 0 29 2 *", release="0 0 29 2 *")
    assert check_order(schedule=bad) == (
        f"release (0 0 29 2 *) fires together with cut (0 0 29 2 *) on 2028-02-29 00:00: {MUST}"
    )


def test_a_first_milestone_that_never_fires() -> None:
    never = CronSpec(
        source="0 0 31 2 *",
        minutes=frozenset({0}),
        hours=frozenset({0}),
        days=frozenset({31}),
        months=frozenset({2}),
        weekdays=frozenset(range(7)),
        day_restricted=True,
        weekday_restricted=False,
    )
    bad = TrainSchedule(timezone=UTC_ZONE, cut=never, release=parse_cron("0 10 * * THU"))
    assert check_order(schedule=bad) == "cut (0 0 31 2 *) never fires"
