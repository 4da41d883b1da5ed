"""WallClock: a naive local wall-clock time, stored as the same fixed-width text everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from storage.types import WallClock, WallClockError, to_wall_clock

DIALECTS = [
    make_url(url).get_dialect()() for url in ("sqlite+aiosqlite://", "postgresql+asyncpg://")
]


WALL_TIMES = st.datetimes(
    min_value=datetime(1, 1, 1),  # noqa: DTZ001 - wall-clock times are naive
    max_value=datetime(9999, 12, 31, 23, 59, 59),  # noqa: DTZ001
).map(lambda value: value.replace(microsecond=0))


@given(moment=WALL_TIMES, other=WALL_TIMES)
def test_bind_then_read_is_the_same_wall_time_and_text_order_is_time_order(
    moment: datetime, other: datetime
) -> None:
    column = WallClock()
    for dialect in DIALECTS:
        stored = column.process_bind_param(moment, dialect)
        assert isinstance(stored, str)
        assert len(stored) == 19
        assert column.process_result_value(stored, dialect) == moment
        stored_other = column.process_bind_param(other, dialect)
        assert stored_other is not None
        assert (stored < stored_other) == (moment < other)


def test_the_stored_text_and_none() -> None:
    column = WallClock()
    sqlite = DIALECTS[0]
    fall_back = datetime(2026, 10, 25, 2, 30, fold=1)  # noqa: DTZ001
    assert column.process_bind_param(fall_back, sqlite) == "2026-10-25T02:30:00"
    assert column.process_bind_param(None, sqlite) is None
    assert column.process_result_value(None, sqlite) is None


def test_aware_fractional_and_non_datetime_values_are_refused() -> None:
    aware = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    with pytest.raises(WallClockError, match=r"scheduled_for 2026-11-23T10:00:00\+00:00 has a"):
        to_wall_clock(aware, name="scheduled_for")
    fraction = datetime(2026, 11, 23, 10, 0, 0, 1)  # noqa: DTZ001
    with pytest.raises(WallClockError, match="fraction of a second"):
        WallClock().process_bind_param(fraction, DIALECTS[1])
    with pytest.raises(TypeError, match="expected a datetime, got str"):
        to_wall_clock("2026-11-23T10:00")  # type: ignore[arg-type]
    assert issubclass(WallClockError, ValueError)
