from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.versioning import (
    Scheme,
    Version,
    VersionError,
    is_version,
    next_hotfix_version,
    next_train_version,
    parse_version,
)

CAL = Scheme.CALVER
SEM = Scheme.SEMVER
NOV = date(2026, 11, 12)


# -- parsing --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("2026.11.2", (2026, 11, 2)),
        ("2026.11.2.1", (2026, 11, 2, 1)),
        (" 1.4.0 ", (1, 4, 0)),
        ("0.1.0", (0, 1, 0)),
    ],
)
def test_parses_three_or_four_numbers(text: str, parts: tuple[int, ...]) -> None:
    assert parse_version(text) == Version(parts)
    assert str(parse_version(text)) == text.strip()


@pytest.mark.parametrize(
    "text", ["", "1.2", "v1.2.0", "1.2.0-rc.1", "2026.01.1", "1.2.3.4.5", "1..2", "a.b.c", "١.٢.٣"]
)
def test_refuses_other_shapes_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(VersionError) as caught:
        parse_version(text)
    assert str(caught.value) == (
        f"{text!r} is not a version: use YYYY.M.N or YYYY.M.N.H (calver), "
        "MAJOR.MINOR.PATCH (semver), numbers without leading zeros"
    )
    assert not is_version(text)


@pytest.mark.parametrize(
    ("text", "scheme", "message"),
    [
        ("1.4.0", CAL, "1.4.0 is not a calver version: use YYYY.M.N or YYYY.M.N.H"),
        ("2026.13.1", CAL, "2026.13.1 is not a calver version: use YYYY.M.N or YYYY.M.N.H"),
        ("2026.11.0", CAL, "2026.11.0 is not a calver version: use YYYY.M.N or YYYY.M.N.H"),
        ("2026.11.2.0", CAL, "2026.11.2.0 is not a calver version: use YYYY.M.N or YYYY.M.N.H"),
        ("1.4.0.1", SEM, "1.4.0.1 is not a semver version: use MAJOR.MINOR.PATCH"),
    ],
)
def test_a_scheme_checks_the_shape(text: str, scheme: Scheme, message: str) -> None:
    with pytest.raises(VersionError) as caught:
        parse_version(text, scheme=scheme)
    assert str(caught.value) == message
    assert not is_version(text, scheme=scheme)
    assert is_version(text)


def test_versions_compare_as_numbers() -> None:
    ordered = ["2026.9.1", "2026.11.2", "2026.11.2.1", "2026.11.2.10", "2026.11.10", "2027.1.1"]
    shuffled = [ordered[i] for i in (3, 0, 5, 2, 4, 1)]
    assert sorted(shuffled, key=parse_version) == ordered
    assert parse_version("1.10.0") > parse_version("1.9.3")
    assert is_version("2026.11.2", scheme=CAL)
    assert is_version("2026.11.2", scheme=SEM)  # the shapes overlap


def test_version_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="is not a version"):
        parse_version("nope")


# -- calver train cuts ----------------------------------------------------------------------------
def test_calver_counts_from_one_each_month() -> None:
    assert next_train_version(scheme=CAL, existing=[], today=NOV) == "2026.11.1"
    existing = ["2026.11.1", "2026.11.2", "2026.10.7"]
    assert next_train_version(scheme=CAL, existing=existing, today=NOV) == "2026.11.3"


def test_calver_month_and_year_rollover() -> None:
    nov = ["2026.11.1", "2026.11.2", "2026.11.2.1"]
    assert next_train_version(scheme=CAL, existing=nov, today=date(2026, 12, 1)) == "2026.12.1"
    dec = [*nov, "2026.12.1", "2026.12.2"]
    assert next_train_version(scheme=CAL, existing=dec, today=date(2027, 1, 1)) == "2027.1.1"


def test_calver_takes_the_local_date_it_is_given() -> None:
    # 23:30 UTC on 30 November is already 1 December in Berlin: the caller passes the local date
    berlin_today = date(2026, 12, 1)
    assert next_train_version(scheme=CAL, existing=["2026.11.4"], today=berlin_today) == "2026.12.1"


def test_calver_accepts_a_datetime_as_today() -> None:
    moment = datetime(2026, 11, 30, 23, 30)  # noqa: DTZ001 - only its date is read
    assert next_train_version(scheme=CAL, existing=[], today=moment) == "2026.11.1"


def test_calver_does_not_fill_gaps() -> None:
    assert next_train_version(scheme=CAL, existing=["2026.11.1", "2026.11.5"], today=NOV) == (
        "2026.11.6"
    )


def test_calver_counts_hotfixes_of_a_missing_train_release() -> None:
    assert next_train_version(scheme=CAL, existing=["2026.11.3.1"], today=NOV) == "2026.11.4"


def test_calver_ignores_other_shapes() -> None:
    existing = ["1.9.0", "v2026.11.9", "2026.01.4", "2026.11.1", "nightly", "2026.13.1"]
    assert next_train_version(scheme=CAL, existing=existing, today=NOV) == "2026.11.2"


def test_calver_never_goes_back_when_the_clock_does() -> None:
    existing = ["2026.12.1"]
    assert next_train_version(scheme=CAL, existing=existing, today=NOV) == "2026.12.2"


def test_calver_needs_a_four_digit_year() -> None:
    with pytest.raises(VersionError, match="calver needs a four-digit year, not 999"):
        next_train_version(scheme=CAL, existing=[], today=date(999, 1, 1))


# -- semver train cuts ----------------------------------------------------------------------------
def test_semver_starts_at_0_1_0_and_bumps_minor() -> None:
    assert next_train_version(scheme=SEM, existing=[], today=NOV) == "0.1.0"
    assert next_train_version(scheme=SEM, existing=["0.1.0"], today=NOV) == "0.2.0"
    existing = ["1.9.0", "1.10.0", "1.10.3", "1.2.0"]
    assert next_train_version(scheme=SEM, existing=existing, today=NOV) == "1.11.0"


def test_semver_bumps_past_a_hotfix_line_without_its_train_release() -> None:
    assert next_train_version(scheme=SEM, existing=["1.4.0", "1.5.2"], today=NOV) == "1.6.0"


def test_semver_ignores_other_shapes() -> None:
    existing = ["1.2.0", "v9.0.0", "3.0.0-rc.1", "2026.11.2.1", "1.02.0"]
    assert next_train_version(scheme=SEM, existing=existing, today=NOV) == "1.3.0"


def test_a_scheme_given_as_its_config_string_works() -> None:
    scheme = Scheme("semver")
    assert next_train_version(scheme=scheme, existing=["0.1.0"], today=NOV) == "0.2.0"


# -- hotfixes -------------------------------------------------------------------------------------
def test_calver_hotfix_adds_a_fourth_part() -> None:
    assert next_hotfix_version(scheme=CAL, base="2026.11.2", existing=["2026.11.2"]) == (
        "2026.11.2.1"
    )
    existing = ["2026.11.2", "2026.11.2.1", "2026.11.3.4", "2026.11.2.2"]
    assert next_hotfix_version(scheme=CAL, base="2026.11.2", existing=existing) == "2026.11.2.3"


def test_calver_hotfix_of_a_hotfix_joins_the_same_line() -> None:
    existing = ["2026.11.2", "2026.11.2.1"]
    assert next_hotfix_version(scheme=CAL, base="2026.11.2.1", existing=existing) == "2026.11.2.2"
    # even when the trail lacks the earlier hotfix, the number goes past the base
    assert next_hotfix_version(scheme=CAL, base="2026.11.2.4", existing=[]) == "2026.11.2.5"


def test_semver_hotfix_bumps_patch_within_its_line() -> None:
    existing = ["1.4.0", "1.5.0", "1.4.1", "1.5.1"]
    assert next_hotfix_version(scheme=SEM, base="1.4.0", existing=existing) == "1.4.2"
    assert next_hotfix_version(scheme=SEM, base="1.5.1", existing=existing) == "1.5.2"
    assert next_hotfix_version(scheme=SEM, base="1.6.3", existing=existing) == "1.6.4"


@pytest.mark.parametrize(
    ("scheme", "base", "message"),
    [
        (CAL, "1.4.0", "1.4.0 is not a calver version: use YYYY.M.N or YYYY.M.N.H"),
        (SEM, "2026.11.2.1", "2026.11.2.1 is not a semver version: use MAJOR.MINOR.PATCH"),
        (CAL, "latest", "'latest' is not a version"),
    ],
)
def test_a_hotfix_base_must_fit_the_scheme(scheme: Scheme, base: str, message: str) -> None:
    with pytest.raises(VersionError) as caught:
        next_hotfix_version(scheme=scheme, base=base, existing=[])
    assert str(caught.value).startswith(message)


# -- properties -----------------------------------------------------------------------------------
calver_versions = st.builds(
    lambda y, m, n, h: ".".join(map(str, (y, m, n, *h))),
    st.integers(2020, 2030),
    st.integers(1, 12),
    st.integers(1, 40),
    st.lists(st.integers(1, 9), max_size=1),
)
semver_versions = st.builds(
    lambda a, b, c: f"{a}.{b}.{c}", st.integers(0, 5), st.integers(0, 30), st.integers(0, 9)
)
noise = st.one_of(st.text(max_size=12), st.sampled_from(["v1.0.0", "2026.01.1", "1.0.0-rc.1"]))
todays = st.dates(min_value=date(2020, 1, 1), max_value=date(2031, 12, 31))


@given(
    existing=st.lists(st.one_of(calver_versions, noise), max_size=30),
    today=todays,
)
def test_calver_next_is_greater_than_every_calver_version(existing: list[str], today: date) -> None:
    nxt = parse_version(next_train_version(scheme=CAL, existing=existing, today=today), scheme=CAL)
    assert len(nxt.parts) == 3
    assert all(nxt > parse_version(v) for v in existing if is_version(v, scheme=CAL))
    assert nxt.parts[:2] >= (today.year, today.month)
    assert str(nxt) not in existing


@given(existing=st.lists(st.one_of(semver_versions, noise), max_size=30), today=todays)
def test_semver_next_is_greater_than_every_semver_version(existing: list[str], today: date) -> None:
    nxt = parse_version(next_train_version(scheme=SEM, existing=existing, today=today))
    assert nxt.parts[2] == 0
    assert all(nxt > parse_version(v) for v in existing if is_version(v, scheme=SEM))


@given(existing=st.lists(st.one_of(calver_versions, noise), max_size=30), data=st.data())
def test_calver_hotfix_is_greater_than_every_hotfix_of_its_line(
    existing: list[str], data: st.DataObject
) -> None:
    known = [v for v in existing if is_version(v, scheme=CAL)]
    base = data.draw(st.one_of(calver_versions, st.sampled_from(known or ["2026.11.2"])))
    nxt = parse_version(next_hotfix_version(scheme=CAL, base=base, existing=existing))
    line = parse_version(base).parts[:3]
    assert nxt.parts[:3] == line
    assert len(nxt.parts) == 4
    same_line = [parse_version(v) for v in existing if is_version(v, scheme=CAL)]
    assert all(nxt > v for v in same_line if v.parts[:3] == line)
    assert nxt > parse_version(base)


@given(existing=st.lists(st.one_of(semver_versions, noise), max_size=30), base=semver_versions)
def test_semver_hotfix_is_greater_than_every_patch_of_its_line(
    existing: list[str], base: str
) -> None:
    nxt = parse_version(next_hotfix_version(scheme=SEM, base=base, existing=existing))
    line = parse_version(base).parts[:2]
    assert nxt.parts[:2] == line
    same_line = [parse_version(v) for v in existing if is_version(v, scheme=SEM)]
    assert all(nxt > v for v in same_line if v.parts[:2] == line)
    assert nxt > parse_version(base)
