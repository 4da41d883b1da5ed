"""The sim metrics source against a real sim fleet, its edge cases through
``httpx.MockTransport``, and the PromQL subset evaluated over hand-made snapshots."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from structlog.testing import capture_logs

from bot.domain.analysis import Measurement
from bot.errors import IntegrationError
from bot.sim.fleet import Fault, Fleet, running_fleet
from integrations.metrics.base import MetricsSource
from integrations.metrics.promql import LOOKBACK, Snapshot, Value, evaluate, key
from integrations.metrics.sim import SimMetrics
from tests.processes import free_port

RPS = 1000


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def requests(version: str, codes: str = "") -> str:
    code = f',code=~"{codes}"' if codes else ""
    return f'sum(rate(http_requests_total{{service="checkout",version="{version}"{code}}}[5s]))'


def error_rate(version: str) -> str:
    return f"{requests(version, '5..')} / {requests(version)}"


# -- a real sim fleet --------------------------------------------------------------------------


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    async with running_fleet(services=["checkout"], rps=RPS) as fleet:
        yield fleet


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(http: httpx.AsyncClient, fleet: Fleet, clock: Clock) -> SimMetrics:
    return SimMetrics(http, fleet.url, clock=clock)


async def canary(http: httpx.AsyncClient, fleet: Fleet, version: str, weight: int) -> None:
    """Deploy ``version`` as checkout's canary through the fleet's control API."""
    base = f"{fleet.url}/services/checkout"
    (await http.post(f"{base}/deploy", json={"version": version})).raise_for_status()
    (await http.post(f"{base}/weight", json={"weight": weight})).raise_for_status()


async def serve(sim: SimMetrics, fleet: Fleet, clock: Clock, seconds: int = 4) -> None:
    """Scrape, then ``seconds`` times: a second of traffic, a second on the clock, a scrape."""
    await sim.scrape()
    for _ in range(seconds):
        fleet.serve(1.0)
        clock.now += 1
        await sim.scrape()


async def test_a_faulty_canarys_error_rate_is_its_fault(
    sim: SimMetrics, fleet: Fleet, http: httpx.AsyncClient, clock: Clock
) -> None:
    await canary(http, fleet, "v2", 50)
    fleet.faults["v2"] = Fault(error_rate=0.2)
    fleet.requests.labels("checkout", "v1", "500")  # the stable's errors, counted from 0
    await serve(sim, fleet, clock)
    source: MetricsSource = sim
    faulty = await source.measure(query=error_rate("v2"))
    assert faulty.series == 1
    assert faulty.value == pytest.approx(0.2, abs=0.04)
    assert await sim.measure(query=error_rate("v1")) == Measurement(value=0.0, series=1)
    healthy = f"1 - {requests('v1', '2..')} / {requests('v1')}"
    assert await sim.measure(query=healthy) == Measurement(value=0.0, series=1)


async def test_a_healthy_version_reads_an_error_rate_of_0_not_no_data(
    sim: SimMetrics, fleet: Fleet, clock: Clock
) -> None:
    # The fleet exports each version's 500s at 0 from its start, as an instrumented service
    # does, so a healthy version's error rate is 0 (with no such series it would be empty).
    await serve(sim, fleet, clock)
    assert await sim.measure(query=error_rate("v1")) == Measurement(value=0.0, series=1)


async def test_a_rate_is_per_second_of_the_clock(
    sim: SimMetrics, fleet: Fleet, clock: Clock
) -> None:
    await serve(sim, fleet, clock)
    measured = await sim.measure(query=requests("v1"))
    assert measured.value == pytest.approx(RPS, rel=0.15)  # plus the fleet's own ticks
    window = await sim.measure(query='sum(increase(http_requests_total{version="v1"}[3s]))')
    assert window.value == pytest.approx(3 * RPS, rel=0.15)


async def test_a_version_without_traffic_has_no_value(
    sim: SimMetrics, fleet: Fleet, http: httpx.AsyncClient, clock: Clock
) -> None:
    await canary(http, fleet, "v2", 0)
    await serve(sim, fleet, clock)
    # its counters exist at 0 from its deploy: 0 / 0 is NaN, which is no value
    assert await sim.measure(query=error_rate("v2")) == Measurement(value=None, series=1)
    assert await sim.measure(query=requests("v9")) == Measurement(value=None, series=0)


async def test_one_scrape_is_too_few_for_a_rate(sim: SimMetrics) -> None:
    assert await sim.measure(query=requests("v1")) == Measurement(value=None, series=0)
    assert len(sim.snapshots) == 1


async def test_several_series_must_be_summed(
    sim: SimMetrics, fleet: Fleet, http: httpx.AsyncClient, clock: Clock
) -> None:
    await canary(http, fleet, "v2", 50)
    await serve(sim, fleet, clock, seconds=2)
    query = 'sum by (version) (rate(http_requests_total{service="checkout"}[5s]))'
    with pytest.raises(IntegrationError) as raised:
        await sim.measure(query=query)
    assert str(raised.value) == (
        f'the query `{query}` returned 2 series ({{version="v1"}}, {{version="v2"}}); '
        "wrap it in sum(…) or another aggregation"
    )


async def test_a_latency_quantile_comes_from_the_histogram(
    sim: SimMetrics, fleet: Fleet, http: httpx.AsyncClient, clock: Clock
) -> None:
    await canary(http, fleet, "v2", 50)
    fleet.faults["v2"] = Fault(latency_ms=80)
    await serve(sim, fleet, clock, seconds=2)
    bucket = 'http_request_duration_seconds_bucket{version="v2"}[5s]'
    p99 = await sim.measure(query=f"histogram_quantile(0.99, sum by (le) (rate({bucket})))")
    assert p99.value == pytest.approx(0.075 + 0.025 * 0.99)  # in the bucket (0.075, 0.1]
    mean = (
        'sum(rate(http_request_duration_seconds_sum{version="v2"}[5s])) / '
        'sum(rate(http_request_duration_seconds_count{version="v2"}[5s]))'
    )
    assert (await sim.measure(query=mean)).value == pytest.approx(0.08)


async def test_run_scrapes_in_the_background_until_cancelled(
    http: httpx.AsyncClient, fleet: Fleet
) -> None:
    sim = SimMetrics(http, fleet.url)
    task = asyncio.create_task(sim.run(every=0.01))
    for _ in range(200):
        if len(sim.snapshots) >= 3:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(sim.snapshots) >= 3
    assert (await sim.measure(query=requests("v1"))).value is not None


async def test_a_fleet_that_is_not_there_is_named(http: httpx.AsyncClient) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(IntegrationError) as raised:
        await SimMetrics(http, url).measure(query="1")
    assert str(raised.value).startswith(f"the sim fleet at {url} did not answer /metrics (")
    assert str(raised.value).endswith("check that the fleet is running")


# -- edge cases through MockTransport ----------------------------------------------------------

BASE = "http://127.0.0.1:8081"


class Exporter:
    """A ``/metrics`` whose counters move only when told, and the requests it saw."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.counter = Counter("x", "A counter.", ["a"], registry=self.registry)
        self.seen: list[httpx.Request] = []
        self.answer: httpx.Response | Exception | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        if self.answer is not None:
            return self.answer
        body = generate_latest(self.registry)
        return httpx.Response(200, content=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@pytest.fixture
def exporter() -> Exporter:
    return Exporter()


@pytest.fixture
async def mocked(exporter: Exporter, clock: Clock) -> AsyncIterator[SimMetrics]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(exporter.handle)) as http:
        yield SimMetrics(http, BASE + "/", clock=clock, timeout=2.0)


async def test_a_scrape_is_one_get_of_metrics_with_a_timeout(
    mocked: SimMetrics, exporter: Exporter, clock: Clock
) -> None:
    exporter.counter.labels("b").inc(3)
    snapshot = await mocked.scrape()
    assert snapshot.at == clock.now
    assert snapshot.samples[key("x_total", {"a": "b"})] == 3.0
    [request] = exporter.seen
    assert (request.method, str(request.url)) == ("GET", f"{BASE}/metrics")
    assert request.extensions["timeout"]["read"] == 2.0
    assert mocked.url == BASE


async def test_exact_rates_from_exact_counts(
    mocked: SimMetrics, exporter: Exporter, clock: Clock
) -> None:
    for _ in range(3):
        exporter.counter.labels("ok").inc(9)
        exporter.counter.labels("error").inc(1)
        clock.now += 2
        await mocked.scrape()
    ratio = 'sum(rate(x_total{a="error"}[1m])) / sum(rate(x_total[1m]))'
    assert await mocked.measure(query=ratio) == Measurement(value=0.1, series=1)
    assert await mocked.measure(query='rate(x_total{a="ok"}[1m])') == Measurement(4.5, 1)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("0.25 * 2", Measurement(value=0.5, series=1)),
        ("0 / 0", Measurement(value=None, series=1)),
        ("-1 / 0", Measurement(value=None, series=1)),
        ("Inf", Measurement(value=None, series=1)),
        ('x_total{a="nothing"}', Measurement(value=None, series=0)),
        ('x_total{a="b"}', Measurement(value=1.0, series=1)),
    ],
)
async def test_numbers_nan_and_empty_results(
    mocked: SimMetrics, exporter: Exporter, query: str, expected: Measurement
) -> None:
    exporter.counter.labels("b").inc()
    assert await mocked.measure(query=query) == expected


async def test_many_series_are_quoted_three_at_most(mocked: SimMetrics, exporter: Exporter) -> None:
    for name in "pqrs":
        exporter.counter.labels(name).inc()
    with pytest.raises(IntegrationError, match="returned 4 series") as raised:
        await mocked.measure(query="x_total")
    assert '{__name__="x_total", a="p"}, {__name__="x_total", a="q"}, {' in str(raised.value)
    assert '"r"}, …); wrap it in sum(…)' in str(raised.value)


@pytest.mark.parametrize(
    ("answer", "complaint"),
    [
        (httpx.Response(404, text="no"), "answered /metrics with 404 Not Found; check that it"),
        (
            httpx.Response(302, headers={"Location": "http://elsewhere.test/metrics"}),
            "answered /metrics with 302 Found",
        ),
        (httpx.Response(200, text="<html>hello</html>"), "is not Prometheus's exposition format"),
        (httpx.ReadTimeout("slow"), "did not answer /metrics (ReadTimeout: slow)"),
        (httpx.ConnectError(""), "did not answer /metrics (ConnectError: no detail)"),
    ],
)
async def test_a_scrape_that_fails_names_the_fleet(
    mocked: SimMetrics, exporter: Exporter, answer: Any, complaint: str
) -> None:
    exporter.answer = answer
    with pytest.raises(IntegrationError) as raised:
        await mocked.measure(query="1")
    assert str(raised.value).startswith(f"the sim fleet at {BASE} ")
    assert complaint in str(raised.value)
    assert len(exporter.seen) == 1
    assert mocked.snapshots == ()


async def test_run_logs_a_failed_scrape_and_goes_on(mocked: SimMetrics, exporter: Exporter) -> None:
    exporter.answer = httpx.Response(500)
    with capture_logs() as logs:
        task = asyncio.create_task(mocked.run(every=0))
        while len(exporter.seen) < 2:
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert logs[0]["event"] == "sim_metrics_scrape_failed"
    assert logs[0]["url"] == BASE
    assert "answered /metrics with 500" in logs[0]["error"]


async def test_an_empty_query_is_refused_before_scraping(
    mocked: SimMetrics, exporter: Exporter
) -> None:
    with pytest.raises(IntegrationError, match="an analysis query is empty"):
        await mocked.measure(query="  ")
    assert exporter.seen == []


async def test_scrapes_older_than_keep_go_and_late_ones_sort_in(exporter: Exporter) -> None:
    clock = Clock()
    async with httpx.AsyncClient(transport=httpx.MockTransport(exporter.handle)) as http:
        sim = SimMetrics(http, BASE, clock=clock, keep=5.0)
        for at in (0, 3, 1, 9, 6):
            clock.now = at
            await sim.scrape()
    assert [s.at for s in sim.snapshots] == [6, 9]  # 0, 1 and 3 are older than 9 - 5


@pytest.mark.parametrize(
    "url",
    [
        "http://prometheus:9090",
        "http://10.0.0.1:8081",
        "ftp://127.0.0.1/",
        "http://127.0.0.1:8081/?q=1",
        "http://127.0.0.1:8081/#top",
        "http://[::1",
        "",
    ],
)
def test_the_url_must_be_http_on_loopback(url: str) -> None:
    with pytest.raises(IntegrationError) as raised:
        SimMetrics(httpx.AsyncClient(), url)
    assert str(raised.value).startswith(f"the sim fleet address '{url}' is not an http URL on")
    assert "integrations.prometheus.url" in str(raised.value)


@pytest.mark.parametrize("url", ["http://localhost:8081", "http://[::1]:8081", "https://127.0.0.2"])
def test_loopback_urls_are_accepted(url: str) -> None:
    assert SimMetrics(httpx.AsyncClient(), url).url == url


@pytest.mark.parametrize("options", [{"timeout": 0}, {"keep": timedelta(0)}, {"keep": -1}])
def test_limits_must_make_sense(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        SimMetrics(httpx.AsyncClient(), BASE, **options)


# -- the PromQL subset over hand-made snapshots ------------------------------------------------


def snap(at: float, **values: float) -> Snapshot:
    """``x_total{a=…}`` for each keyword: ``snap(1, b=2)`` is ``x_total{a="b"} 2`` at 1."""
    return Snapshot(at=at, samples={key("x_total", {"a": a}): v for a, v in values.items()})


def value(query: str, *history: Snapshot, now: float | None = None) -> Value:
    at = now if now is not None else max((s.at for s in history), default=0.0)
    return evaluate(query, history=history, now=at)


def one(query: str, *history: Snapshot, now: float | None = None) -> float:
    result = value(query, *history, now=now)
    if isinstance(result, dict):
        [result] = result.values()
    return result


def test_a_counter_reset_adds_the_value_before_it() -> None:
    history = [snap(0, b=10), snap(1, b=20), snap(2, b=5), snap(3, b=15)]
    assert one('rate(x_total{a="b"}[10s])', *history) == pytest.approx((15 - 10 + 20) / 3)
    assert one('increase(x_total{a="b"}[10s])', *history) == pytest.approx(25 / 3 * 10)
    assert value('rate(x_total{a="b"}[10s])', *history) == pytest.approx({(("a", "b"),): 25 / 3})


def test_a_range_is_open_at_its_start_and_needs_two_scrapes() -> None:
    history = [snap(0, b=0), snap(1, b=100), snap(2, b=101)]
    assert one("rate(x_total[2s])", *history) == 1.0  # the scrape at 0 is outside (0, 2]
    assert value("rate(x_total[1s])", *history) == {}
    assert one("rate(x_total[1m])", *history, now=1) == 100.0  # nothing after now
    assert one("rate((x_total[1m]))", *history) == 50.5


def test_a_series_that_appears_late_is_rated_from_its_first_scrape() -> None:
    history = [snap(0, b=1), snap(1, b=2, c=0), snap(2, b=3, c=4)]
    assert value("rate(x_total[5s])", *history) == {(("a", "b"),): 1.0, (("a", "c"),): 4.0}


def test_an_instant_selector_reads_the_newest_recent_scrape() -> None:
    history = [snap(0, b=1), snap(10, b=2)]
    assert one("x_total", *history) == 2.0
    assert one("x_total", *history, now=5) == 1.0
    assert value("x_total", *history, now=10 + LOOKBACK) == {}
    assert value("x_total", *history, now=-1) == {}
    assert value("x_total") == {}


@pytest.mark.parametrize(
    ("selector", "matched"),
    [
        ('x_total{a="500"}', ["500"]),
        ('x_total{a!="500"}', ["", "200", "5000"]),
        ('x_total{a=~"5.."}', ["500"]),  # anchored: not 5000
        ('x_total{a=~"5"}', []),
        ('x_total{a!~"5.*"}', ["", "200"]),
        ('x_total{a=""}', [""]),  # a missing label is empty
        ('{__name__=~"x_.*", a=~"2.*|"}', ["", "200"]),
        ("y_total", []),
    ],
)
def test_label_matchers(selector: str, matched: list[str]) -> None:
    samples = {key("x_total", {"a": a} if a else {}): 1.0 for a in ["", "200", "500", "5000"]}
    found = value(selector, Snapshot(at=0, samples=samples))
    assert isinstance(found, dict)
    assert sorted(dict(labels).get("a", "") for labels in found) == matched


def test_a_regex_python_cannot_read_is_named() -> None:
    with pytest.raises(IntegrationError) as raised:
        value(r'x_total{a=~"\\pL"}', snap(0, b=1))
    assert str(raised.value).startswith(r"the regex `\pL` in the query `x_total{a=~")
    assert "set integrations.prometheus.url" in str(raised.value)


def test_a_dot_matches_a_newline_as_in_prometheus() -> None:
    assert value('x_total{a=~"b.c"}', snap(0, **{"b\nc": 1})) != {}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 2 - 3", 5.0),
        ("8 / 2 / 2", 2.0),
        ("-2 * -(3)", 6.0),
        ("2 * 3 - 8 / 4", 4.0),
        ("1 / 0", math.inf),
        ("-1 / 0", -math.inf),
        ("1 / -0", -math.inf),
        ("0x10 + 1e1", 26.0),
    ],
)
def test_arithmetic_has_the_usual_precedence(query: str, expected: float) -> None:
    assert value(query) == expected


def test_zero_by_zero_is_nan() -> None:
    assert math.isnan(one("0 / 0"))
    assert math.isnan(one("NaN / 0"))


def test_arithmetic_with_a_vector_drops_the_metric_name() -> None:
    history = [snap(0, b=4, c=8)]
    assert value("x_total / 2", *history) == {(("a", "b"),): 2.0, (("a", "c"),): 4.0}
    assert value("1 - x_total", *history) == {(("a", "b"),): -3.0, (("a", "c"),): -7.0}
    assert value("-x_total", *history) == {(("a", "b"),): -4.0, (("a", "c"),): -8.0}


def test_two_vectors_match_on_their_labels() -> None:
    history = [
        Snapshot(
            at=0,
            samples={
                key("errors", {"v": "1"}): 1.0,
                key("errors", {"v": "2"}): 3.0,
                key("total", {"v": "2"}): 12.0,
                key("total", {"v": "3"}): 5.0,
            },
        )
    ]
    assert value("errors / total", *history) == {(("v", "2"),): 0.25}
    assert value('errors{v="1"} / total{v="3"}', *history) == {}
    assert value("sum(errors) / sum(total)", *history) == {(): 4 / 17}


def test_a_side_with_duplicate_labels_must_be_summed() -> None:
    samples = {key("errors", {"v": "1"}): 1.0, key("total", {"v": "1"}): 2.0}
    with pytest.raises(IntegrationError) as raised:
        value('{__name__=~"errors|total"} / total', Snapshot(at=0, samples=samples))
    assert 'several series on the left of `/` have the labels {v="1"}; wrap that' in str(
        raised.value
    )


def test_sum_by_and_without_group() -> None:
    samples = {
        key("x", {"a": "1", "b": "1"}): 1.0,
        key("x", {"a": "1", "b": "2"}): 2.0,
        key("x", {"a": "2", "b": "1"}): 4.0,
    }
    history = [Snapshot(at=0, samples=samples)]
    assert value("sum(x)", *history) == {(): 7.0}
    assert value("sum by (a) (x)", *history) == {(("a", "1"),): 3.0, (("a", "2"),): 4.0}
    assert value("sum without (a) (x)", *history) == {(("b", "1"),): 5.0, (("b", "2"),): 2.0}
    assert value("sum(rate(x[1m]))", *history) == {}  # one scrape: no rate, nothing to sum


def buckets(at: float, **counts: float) -> Snapshot:
    """``h_bucket{le=…}``: keywords name the bounds, ``inf`` being +Inf and ``_`` a dot."""
    samples = {
        key("h_bucket", {"le": "+Inf" if le == "inf" else le.replace("_", ".")}): count
        for le, count in counts.items()
    }
    return Snapshot(at=at, samples=samples)


QUANTILE = "histogram_quantile({phi}, sum by (le) (rate(h_bucket[1m])))"


@pytest.mark.parametrize(
    ("phi", "counts", "expected"),
    [
        ("0.5", {"1": 10, "2": 20, "inf": 20}, 1.0),
        ("0.75", {"1": 10, "2": 20, "inf": 20}, 1.5),
        ("0.9", {"0_5": 0, "1": 100, "inf": 100}, 0.5 + 0.5 * 0.9),
        ("0.25", {"1": 10, "2": 20, "inf": 20}, 0.5),  # the first bucket starts at 0
        ("0.99", {"1": 10, "2": 20, "inf": 40}, 2.0),  # in +Inf: the highest finite bound
        ("0.5", {"-1": 10, "2": 20, "inf": 20}, -1.0),  # a first bucket at or below 0
        ("0.5", {"1": 10, "2": 5, "inf": 20}, 1.0),  # counts made to go up
        ("-0.1", {"1": 10, "inf": 10}, -math.inf),
        ("1.5", {"1": 10, "inf": 10}, math.inf),
        ("NaN", {"1": 10, "inf": 10}, math.nan),
        ("0.5", {"1": 10, "2": 20}, math.nan),  # no +Inf bucket
        ("0.5", {"inf": 10}, math.nan),  # one bucket
        ("0.5", {"1": 0, "inf": 0}, math.nan),  # no observations
        ("0", {"1": 0, "2": 10, "inf": 10}, math.nan),  # 0/0 in the first bucket
    ],
)
def test_histogram_quantile_interpolates_as_prometheus(
    phi: str, counts: dict[str, float], expected: float
) -> None:
    history = [buckets(0, **dict.fromkeys(counts, 0.0)), buckets(1, **counts)]
    found = one(QUANTILE.format(phi=phi), *history)
    assert found == pytest.approx(expected, nan_ok=True)


def test_histogram_quantile_keeps_other_labels_and_skips_series_without_buckets() -> None:
    samples = {
        key("h_bucket", {"v": "1", "le": "1"}): 10.0,
        key("h_bucket", {"v": "1", "le": "+Inf"}): 10.0,
        key("h_bucket", {"v": "2", "le": "4"}): 10.0,
        key("h_bucket", {"v": "2", "le": "+Inf"}): 10.0,
        key("h_bucket", {"v": "3", "le": "high"}): 10.0,
        key("h_bucket", {"v": "4"}): 10.0,
    }
    found = value("histogram_quantile(0.5, h_bucket)", Snapshot(at=0, samples=samples))
    assert found == {(("v", "1"),): 0.5, (("v", "2"),): 2.0}


UNSUPPORTED = [
    ("avg(x)", "the aggregation avg(…)"),
    ("topk(1, x)", "the aggregation topk(…)"),
    ("x > 1", "the operator `>`"),
    ("x % 2", "the operator `%`"),
    ("x ^ 2", "the operator `^`"),
    ("x and y", "the operator `and`"),
    ("x / on(a) y", "vector matching `/ on (a)`"),
    ("x / ignoring(a) group_left y", "vector matching `/ ignoring (a)"),
    ("x offset 5m", "offset or @ modifiers"),
    ("rate(x[5m] @ 100)", "offset or @ modifiers"),
    ('x{a="b" or a="c"}', "`or` between label matchers"),
    ("abs(x)", "the function abs(…)"),
    ("sum(x) + avg(y)", "the aggregation avg(…)"),
    ("rate(x[5m:1m])", "rate(…) of a subquery"),
    ("x[5m:1m]", "the subquery `x[5m:1m]`"),
    ('"text"', 'support `"text"` here'),
]


@pytest.mark.parametrize(("query", "what"), UNSUPPORTED)
def test_promql_outside_the_subset_says_what_and_where_to_go(query: str, what: str) -> None:
    with pytest.raises(IntegrationError) as raised:
        value(query, snap(0, b=1))
    message = str(raised.value)
    assert message.startswith("the sim metrics source does not support ")
    assert what in message
    assert f"(in the query `{query}`); it evaluates numbers, + - * /, sum, rate," in message
    assert message.endswith(
        "set integrations.prometheus.url to query Prometheus, which has full PromQL"
    )


@pytest.mark.parametrize(
    ("query", "complaint"),
    [
        ("sum(rate(x[5m])", "unclosed left parenthesis"),
        ("rate(x)", "expected type matrix in call to function 'rate', got vector"),
        ("nope(x)", "unknown function with name 'nope'"),
    ],
)
def test_a_query_that_is_not_promql_gets_the_parsers_words(query: str, complaint: str) -> None:
    with pytest.raises(IntegrationError) as raised:
        value(query)
    assert str(raised.value) == (
        f"the query `{query}` is not valid PromQL ({complaint}); fix it in the service's "
        "analysis config"
    )


@pytest.mark.parametrize("query", ["x[5m]", "(x[5m])"])
def test_a_range_vector_is_not_one_value(query: str) -> None:
    with pytest.raises(IntegrationError, match="returned a range vector, not one value"):
        value(query)
