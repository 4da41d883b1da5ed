from __future__ import annotations

from datetime import date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.cron import CronError, CronSpec, parse_cron


def test_every_quarter_hour() -> None:
    spec = parse_cron("*/15 * * * *")
    assert spec.minutes == {0, 15, 30, 45}
    assert spec.hours == frozenset(range(24))
    assert spec.days == frozenset(range(1, 32))
    assert spec.months == frozenset(range(1, 13))
    assert spec.weekdays == frozenset(range(7))
    assert not spec.day_restricted
    assert not spec.weekday_restricted


def test_ranges_with_steps_lists_and_names() -> None:
    spec = parse_cron("1-30/5 9,17 1,15 jan,Jul-SEP mon-fri")
    assert spec.minutes == {1, 6, 11, 16, 21, 26}
    assert spec.hours == {9, 17}
    assert spec.days == {1, 15}
    assert spec.months == {1, 7, 8, 9}
    assert spec.weekdays == {1, 2, 3, 4, 5}


def test_single_value_with_a_step_runs_to_the_end_of_the_field() -> None:
    assert parse_cron("5/15 * * * *").minutes == {5, 20, 35, 50}


@pytest.mark.parametrize("weekday", ["0", "7", "sun", "SUN", "Sun"])
def test_sunday_is_zero_seven_or_its_name(weekday: str) -> None:
    assert parse_cron(f"0 10 * * {weekday}").weekdays == {0}


def test_weekday_range_up_to_seven_includes_sunday() -> None:
    assert parse_cron("0 10 * * 5-7").weekdays == {5, 6, 0}


def test_source_is_kept_and_shown() -> None:
    spec = parse_cron("  0 10 * * MON ")
    assert spec.source == "0 10 * * MON"
    assert str(spec) == "0 10 * * MON"


def test_fields_may_be_separated_by_any_whitespace() -> None:
    spaced = parse_cron("0\t10  *\n* MON")
    plain = parse_cron("0 10 * * MON")
    assert spaced.minutes == plain.minutes
    assert spaced.hours == plain.hours
    assert spaced.weekdays == plain.weekdays


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("61 * * * *", "minute 61 is out of range 0-59"),
        ("* 24 * * *", "hour 24 is out of range 0-23"),
        ("* * 0 * *", "day 0 is out of range 1-31"),
        ("* * * 13 *", "month 13 is out of range 1-12 (or JAN-DEC)"),
        ("* * * * 8", "weekday 8 is out of range 0-7 (or SUN-SAT)"),
        ("99999999999 * * * *", "minute 99999999999 is out of range 0-59"),
        ("* * * * * *", "expected 5 fields (minute hour day month weekday), got 6"),
        ("* * * *", "expected 5 fields (minute hour day month weekday), got 4"),
        ("", "expected 5 fields (minute hour day month weekday), got 0"),
        ("1,,2 * * * *", "minute has an empty item in '1,,2'"),
        ("10-5 * * * *", "minute range 10-5 runs backwards: write the smaller end first"),
        ("*/0 * * * *", "minute step 0 is out of range 1-60"),
        ("*/61 * * * *", "minute step 61 is out of range 1-60"),
        ("*/x * * * *", "minute step 'x' is not a number: write e.g. */15"),
        ("/5 * * * *", "minute '/5' needs a start before '/': write e.g. */5"),
        ("-1 * * * *", "minute range '-1' needs a value on both sides of '-'"),
        ("1- * * * *", "minute range '1-' needs a value on both sides of '-'"),
        ("x * * * *", "minute 'x' is not a number"),
        ("* * * FOO *", "month 'FOO' is not a number or a name (JAN-DEC)"),
        ("* * * * funday", "weekday 'funday' is not a number or a name (SUN-SAT)"),
        ("* * * * JAN", "weekday 'JAN' is not a number or a name (SUN-SAT)"),
        ("MON * * * *", "minute 'MON' is not a number"),
    ],
)
def test_errors_say_which_field_and_why(expr: str, message: str) -> None:
    with pytest.raises(CronError) as caught:
        parse_cron(expr)
    assert str(caught.value) == message


def test_cron_error_is_a_value_error() -> None:
    assert issubclass(CronError, ValueError)


def test_matches_the_minute_hour_and_weekday() -> None:
    spec = parse_cron("0 10 * * MON")
    monday = datetime(2024, 3, 4, 10, 0)  # noqa: DTZ001 - cron works on local wall time
    assert spec.matches(monday)
    assert spec.matches(monday.replace(second=59))
    assert not spec.matches(monday.replace(minute=1))
    assert not spec.matches(monday.replace(hour=11))
    assert not spec.matches(monday.replace(day=5))


def test_restricted_day_and_weekday_match_either() -> None:
    spec = parse_cron("0 0 13 * FRI")
    assert spec.matches_date(date(2024, 3, 13))  # a Wednesday, the 13th
    assert spec.matches_date(date(2024, 3, 15))  # a Friday, the 15th
    assert not spec.matches_date(date(2024, 3, 14))


def test_a_starred_day_field_makes_both_required() -> None:
    spec = parse_cron("0 0 */2 * FRI")
    assert spec.day_restricted is False
    assert spec.matches_date(date(2024, 3, 1))  # Friday, odd day
    assert not spec.matches_date(date(2024, 3, 8))  # Friday, even day
    assert not spec.matches_date(date(2024, 3, 3))  # odd day, Sunday


def test_only_the_day_of_month_restricted() -> None:
    spec = parse_cron("30 9 1,15 * *")
    assert spec.matches_date(date(2024, 6, 15))
    assert not spec.matches_date(date(2024, 6, 16))


def test_month_restricts_matching_dates() -> None:
    spec = parse_cron("0 0 1 JAN *")
    assert spec.matches_date(date(2025, 1, 1))
    assert not spec.matches_date(date(2025, 2, 1))


def test_times_lists_every_firing_time_of_a_day_in_order() -> None:
    assert parse_cron("0,30 18,9 * * *").times() == (
        time(9, 0),
        time(9, 30),
        time(18, 0),
        time(18, 30),
    )


def _outcome(text: str) -> CronSpec | CronError:
    try:
        return parse_cron(text)
    except CronError as exc:
        return exc


@given(st.text())
def test_any_text_parses_or_raises_cron_error(text: str) -> None:
    outcome = _outcome(text)
    assert isinstance(outcome, CronSpec) or str(outcome)


_CRONISH = st.lists(
    st.text(alphabet="0123456789*/-,JANMONSUNFRIjanmon", min_size=1, max_size=8),
    min_size=5,
    max_size=5,
).map(" ".join)


@given(_CRONISH)
def test_cron_like_text_parses_or_raises_cron_error(text: str) -> None:
    outcome = _outcome(text)
    if isinstance(outcome, CronError):
        assert str(outcome)
    else:
        assert outcome.minutes <= frozenset(range(60))
        assert outcome.weekdays <= frozenset(range(7))


@given(st.sets(st.integers(0, 59), min_size=1), st.sets(st.integers(0, 7), min_size=1))
def test_lists_round_trip(minutes: set[int], weekdays: set[int]) -> None:
    expr = f"{','.join(map(str, minutes))} * * * {','.join(map(str, weekdays))}"
    spec = parse_cron(expr)
    assert spec.minutes == minutes
    assert spec.weekdays == {d % 7 for d in weekdays}


@given(st.integers(0, 59), st.integers(0, 59), st.integers(1, 60))
def test_range_steps_agree_with_python_ranges(low: int, high: int, step: int) -> None:
    low, high = min(low, high), max(low, high)
    assert parse_cron(f"{low}-{high}/{step} * * * *").minutes == set(range(low, high + 1, step))
