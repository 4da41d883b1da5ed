"""Which release most likely caused an alert: the service its labels name, the releases of trains
shipping that service that deploy, pause or are inside their monitoring window, the most
recently deployed of them, and never one a person said is not related."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.attribution import Suspect, SuspectState, attribute, services_named

NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def suspect(
    release_id: int = 1,
    *,
    state: SuspectState = SuspectState.DEPLOYING,
    deployed: timedelta = timedelta(minutes=10),
    services: tuple[str, ...] = ("checkout",),
    released: timedelta | None = None,
    window: timedelta = timedelta(hours=1),
) -> Suspect:
    """Release ``release_id``, deployed ``deployed`` before NOW (released ``released`` ago)."""
    return Suspect(
        release_id=release_id,
        label=f"web/2026.11.{release_id}",
        version=f"2026.11.{release_id}",
        services=frozenset(services),
        state=state,
        deployed_at=NOW - deployed,
        deployed_by="U0ALICE",
        released_at=NOW - released if released is not None else None,
        window=window,
    )


# --- the service an alert names ---------------------------------------------------------------


def test_each_alert_names_its_first_service_label_that_is_set() -> None:
    labels = [
        {"app": "cart", "service": "checkout"},
        {"service": " ", "app": "search", "job": "x"},
        {"job": "ledger"},
        {"instance": "pod-a"},
    ]
    named = services_named(labels, service_labels=("service", "app", "job"))
    assert named == ["checkout", "search", "ledger"]


def test_services_are_named_once_in_first_seen_order() -> None:
    labels = [{"service": "cart"}, {"service": "checkout"}, {"service": "cart"}]
    assert services_named(labels, service_labels=("service",)) == ["cart", "checkout"]
    assert services_named([{"app": "cart"}], service_labels=("service",)) == []


# --- attributing ------------------------------------------------------------------------------


def test_a_deploying_release_of_the_service_is_attributed_in_flight() -> None:
    found = attribute(services=["checkout"], suspects=[suspect()], now=NOW)
    assert found is not None
    assert (found.release_id, found.label, found.version, found.service) == (
        1, "web/2026.11.1", "2026.11.1", "checkout",
    )  # fmt: skip
    assert (found.deployed_at, found.deployed_by) == (NOW - timedelta(minutes=10), "U0ALICE")
    assert found.in_flight


def test_a_paused_release_is_a_suspect_but_not_in_flight() -> None:
    found = attribute(services=["checkout"], suspects=[suspect(state=SuspectState.PAUSED)], now=NOW)
    assert found is not None
    assert not found.in_flight


@pytest.mark.parametrize(
    ("released", "attributed"),
    [
        (timedelta(minutes=59, seconds=59), True),
        (timedelta(hours=1), False),  # the window is over at its end
        (timedelta(hours=3), False),
        (None, False),  # released, but when is unknown
    ],
)
def test_a_released_release_is_a_suspect_inside_its_monitoring_window(
    released: timedelta | None, attributed: bool
) -> None:
    done = suspect(state=SuspectState.RELEASED, released=released, deployed=timedelta(hours=4))
    found = attribute(services=["checkout"], suspects=[done], now=NOW)
    assert (found is not None) is attributed
    if found is not None:
        assert not found.in_flight


def test_the_monitoring_window_is_the_suspects_own() -> None:
    short = suspect(
        state=SuspectState.RELEASED, released=timedelta(minutes=20), window=timedelta(minutes=15)
    )
    assert attribute(services=["checkout"], suspects=[short], now=NOW) is None
    assert attribute(services=["checkout"], suspects=[short], now=NOW - timedelta(minutes=6))


def test_a_release_of_other_services_is_no_suspect() -> None:
    other = suspect(services=("cart", "search"))
    assert attribute(services=["checkout"], suspects=[other], now=NOW) is None
    assert attribute(services=[], suspects=[other], now=NOW) is None


def test_the_most_recently_deployed_release_wins() -> None:
    older = suspect(1, state=SuspectState.RELEASED, released=timedelta(minutes=5))
    newer = suspect(2, state=SuspectState.PAUSED, deployed=timedelta(minutes=3))
    for order in ([older, newer], [newer, older]):
        found = attribute(services=["checkout"], suspects=order, now=NOW)
        assert found is not None
        assert found.release_id == 2


def test_a_tie_goes_to_the_later_release() -> None:
    one, two = suspect(1), suspect(2)
    found = attribute(services=["checkout"], suspects=[two, one], now=NOW)
    assert found is not None
    assert found.release_id == 2


def test_a_release_outside_its_window_does_not_hide_an_older_one_inside() -> None:
    stale = suspect(
        2,
        state=SuspectState.RELEASED,
        deployed=timedelta(minutes=1),
        released=timedelta(minutes=30),
        window=timedelta(minutes=10),
    )
    found = attribute(services=["checkout"], suspects=[stale, suspect(1)], now=NOW)
    assert found is not None
    assert found.release_id == 1


def test_an_excluded_release_is_never_attributed() -> None:
    newer = suspect(2, deployed=timedelta(minutes=1))
    found = attribute(
        services=["checkout"], suspects=[suspect(1), newer], now=NOW, excluded=frozenset({2})
    )
    assert found is not None
    assert found.release_id == 1
    assert (
        attribute(services=["checkout"], suspects=[newer], now=NOW, excluded=frozenset({2})) is None
    )


def test_the_service_named_is_the_first_of_the_alerts_that_the_release_ships() -> None:
    both = suspect(services=("cart", "checkout"))
    found = attribute(services=["search", "checkout", "cart"], suspects=[both], now=NOW)
    assert found is not None
    assert found.service == "checkout"


suspects = st.lists(
    st.builds(
        lambda release_id, state, minutes, released, window: suspect(
            release_id,
            state=state,
            deployed=timedelta(minutes=minutes),
            released=timedelta(minutes=released),
            window=timedelta(minutes=window),
        ),
        st.integers(min_value=1, max_value=50),
        st.sampled_from(SuspectState),
        st.integers(min_value=0, max_value=300),
        st.integers(min_value=0, max_value=300),
        st.integers(min_value=1, max_value=120),
    ),
    max_size=6,
    unique_by=lambda s: s.release_id,
)


@given(found=suspects, excluded=st.frozensets(st.integers(min_value=1, max_value=50)))
def test_the_attributed_release_is_watched_not_excluded_and_the_latest(
    found: list[Suspect], excluded: frozenset[int]
) -> None:
    winner = attribute(services=["checkout"], suspects=found, now=NOW, excluded=excluded)
    eligible = [s for s in found if s.release_id not in excluded and s.watched(NOW)]
    if not eligible:
        assert winner is None
        return
    assert winner is not None
    assert winner.release_id not in excluded
    assert winner.deployed_at == max(s.deployed_at for s in eligible)
    assert (
        attribute(services=["checkout"], suspects=list(reversed(found)), now=NOW, excluded=excluded)
        == winner
    )  # the order suspects come in does not matter
