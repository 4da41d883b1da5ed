"""The Prometheus client against a real Prometheus scraping a loopback ``/metrics``, and its
edge cases (retries, odd answers, the one host, the token) through ``httpx.MockTransport``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from pydantic import SecretStr
from structlog.testing import capture_logs

from bot.domain.analysis import Measurement
from bot.errors import IntegrationError
from integrations.metrics.base import MetricsSource
from integrations.metrics.prometheus import PrometheusClient
from tests.processes import free_port
from tests.prometheus import (
    ALLOW_MISSING_ENV,
    Prometheus,
    prometheus_binary,
    running_prometheus,
    wait_for_series,
    write_config,
)

TOKEN = "prom-very-secret-token"
BASE = "http://prometheus.test:9090/prom"
SERVICE = 'service="checkout"'


def rate(selector: str) -> str:
    return f"sum(rate(http_requests_total{{{selector}}}[5s]))"


def error_rate(version: str) -> str:
    requests = f'{SERVICE},version="{version}"'
    errors = requests + ',code=~"5.."'
    return f"{rate(errors)} / {rate(requests)}"


# -- a real Prometheus scraping a loopback /metrics ----------------------------------------

real = pytest.mark.asyncio(loop_scope="module")


class Traffic:
    """``http_requests_total`` for ``checkout``: each scrape adds ``per_scrape[(version, code)]``
    requests, all in one step, so every scrape sees consistent counts."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "Requests served",
            ["service", "version", "code"],
            registry=self.registry,
        )
        self.per_scrape: dict[tuple[str, str], int] = {}

    def set(self, version: str, code: str, per_scrape: int) -> None:
        self.requests.labels(service="checkout", version=version, code=code)
        self.per_scrape[(version, code)] = per_scrape

    async def metrics(self, request: web.Request) -> web.Response:
        for (version, code), count in self.per_scrape.items():
            self.requests.labels(service="checkout", version=version, code=code).inc(count)
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@dataclass
class Shop:
    prom: Prometheus
    traffic: Traffic


class Counting(httpx.AsyncBaseTransport):
    """A real transport that records each request: how many attempts a call made."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shop() -> AsyncIterator[Shop]:
    traffic = Traffic()
    traffic.set("v2", "200", 9)
    traffic.set("v2", "500", 1)
    traffic.set("v1", "200", 0)  # deployed and idle: its error rate is 0/0
    traffic.set("v1", "500", 0)
    app = web.Application()
    app.router.add_get("/metrics", traffic.metrics)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with running_prometheus(targets=[f"127.0.0.1:{port}"], scrape_interval="1s") as prom:
            await wait_for_series(prom.url, f"{error_rate('v2')} > 0", timeout=20)
            yield Shop(prom=prom, traffic=traffic)
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture(loop_scope="module")
async def counted() -> AsyncIterator[tuple[httpx.AsyncClient, Counting]]:
    transport = Counting()
    async with httpx.AsyncClient(transport=transport) as http:
        yield http, transport


@pytest.fixture
def prometheus(shop: Shop, counted: tuple[httpx.AsyncClient, Counting]) -> PrometheusClient:
    return PrometheusClient(http=counted[0], base_url=shop.prom.url, backoff=0)


@real
async def test_the_error_rate_of_a_version_is_one_value(prometheus: PrometheusClient) -> None:
    source: MetricsSource = prometheus
    measured = await source.measure(query=error_rate("v2"))
    assert measured.series == 1
    assert measured.value == pytest.approx(0.1)


@real
async def test_a_version_without_series_has_no_value(prometheus: PrometheusClient) -> None:
    assert await prometheus.measure(query=error_rate("v3")) == Measurement(value=None, series=0)


@real
async def test_an_idle_version_divides_zero_by_zero_and_has_no_value(
    prometheus: PrometheusClient,
) -> None:
    assert await prometheus.measure(query=error_rate("v1")) == Measurement(value=None, series=1)


@real
async def test_a_new_canarys_traffic_is_measured_once_scraped(
    shop: Shop, prometheus: PrometheusClient
) -> None:
    shop.traffic.set("v4", "200", 5)
    shop.traffic.set("v4", "503", 5)
    await wait_for_series(shop.prom.url, f"{error_rate('v4')} > 0", timeout=15)
    measured = await prometheus.measure(query=error_rate("v4"))
    assert measured.value == pytest.approx(0.5)


@real
async def test_several_series_must_be_aggregated(prometheus: PrometheusClient) -> None:
    query = f'sum by (code) (rate(http_requests_total{{{SERVICE},version="v2"}}[5s]))'
    with pytest.raises(IntegrationError) as raised:
        await prometheus.measure(query=query)
    assert str(raised.value) == (
        f'the query `{query}` returned 2 series ({{code="200"}}, {{code="500"}}); '
        "wrap it in sum(…) or another aggregation"
    )


@real
async def test_a_scalar_is_its_value(prometheus: PrometheusClient) -> None:
    assert await prometheus.measure(query="0.25 * 2") == Measurement(value=0.5, series=1)
    # scalar() of several series is NaN: no value
    nan = await prometheus.measure(query=f"scalar(http_requests_total{{{SERVICE}}})")
    assert nan == Measurement(value=None, series=1)


@real
async def test_bad_promql_names_prometheuss_complaint_without_retrying(
    prometheus: PrometheusClient, counted: tuple[httpx.AsyncClient, Counting]
) -> None:
    query = "sum(rate(http_requests_total[5s])"
    with pytest.raises(IntegrationError) as raised:
        await prometheus.measure(query=query)
    message = str(raised.value)
    assert message.startswith(f"Prometheus rejected the query `{query}`: bad_data: ")
    assert "parse error" in message
    assert message.endswith("fix the query in the service's analysis config")
    assert len(counted[1].requests) == 1


@real
@pytest.mark.parametrize(
    ("query", "complaint"),
    [
        ('http_requests_total{version="v2"}[5s]', "returned a range vector, not one value"),
        ('"v2"', "returned a string, not a number"),
    ],
)
async def test_ranges_and_strings_are_not_measurements(
    prometheus: PrometheusClient, query: str, complaint: str
) -> None:
    with pytest.raises(IntegrationError, match=complaint):
        await prometheus.measure(query=query)


@real
async def test_ready_asks_the_server(shop: Shop, prometheus: PrometheusClient) -> None:
    assert await prometheus.ready() is True
    async with httpx.AsyncClient() as http:
        gone = PrometheusClient(http=http, base_url=f"http://127.0.0.1:{free_port()}")
        assert await gone.ready() is False


async def test_a_server_that_is_not_there_did_not_answer_after_the_retries() -> None:
    base = f"http://127.0.0.1:{free_port()}"
    sleeps: list[float] = []

    async def sleep(delay: float) -> None:
        sleeps.append(delay)

    async with httpx.AsyncClient() as http:
        client = PrometheusClient(http=http, base_url=base, retries=2, sleep=sleep)
        with pytest.raises(IntegrationError) as raised:
            await client.measure(query="up")
    assert str(raised.value).startswith(f"Prometheus at {base} did not answer: ConnectError")
    assert "(after 3 attempts)" in str(raised.value)
    assert sleeps == [0.2, 0.4]


# -- edge cases through MockTransport ------------------------------------------------------


@dataclass
class Mock:
    """Answers from a list (an exception is raised instead of answered); records requests."""

    answers: list[httpx.Response | Exception]
    requests: list[httpx.Request] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)


def vector(*samples: tuple[dict[str, str], str]) -> httpx.Response:
    result = [{"metric": metric, "value": [1714550400.123, value]} for metric, value in samples]
    return success({"resultType": "vector", "result": result})


def success(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"status": "success", "data": data})


def failure(status: int, kind: str, error: str) -> httpx.Response:
    return httpx.Response(status, json={"status": "error", "errorType": kind, "error": error})


@pytest.fixture
def mock() -> Mock:
    return Mock(answers=[vector(({}, "1"))])


@pytest_asyncio.fixture
async def client(mock: Mock) -> AsyncIterator[PrometheusClient]:
    transport = httpx.MockTransport(mock.handle)
    async with httpx.AsyncClient(transport=transport, follow_redirects=True) as http:
        yield PrometheusClient(
            http=http, base_url=BASE + "/", bearer=SecretStr(TOKEN), sleep=mock.sleep
        )


async def test_a_query_is_one_get_to_the_configured_base_with_the_token(
    client: PrometheusClient, mock: Mock
) -> None:
    mock.answers = [vector(({"job": "sim"}, "0.02"))]
    assert await client.measure(query='up{job="sim"}') == Measurement(value=0.02, series=1)
    (request,) = mock.requests
    assert request.method == "GET"
    assert request.url.copy_with(query=None) == httpx.URL(f"{BASE}/api/v1/query")
    assert request.url.params["query"] == 'up{job="sim"}'
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "application/json"


async def test_a_5xx_is_retried_with_backoff(client: PrometheusClient, mock: Mock) -> None:
    mock.answers = [
        failure(503, "unavailable", "TSDB not ready"),
        httpx.Response(502, text="Bad Gateway"),
        vector(({}, "3")),
    ]
    with capture_logs() as logs:
        assert await client.measure(query="up") == Measurement(value=3.0, series=1)
    assert len(mock.requests) == 3
    assert mock.sleeps == [0.2, 0.4]
    assert [log["reason"] for log in logs] == ["503 unavailable: TSDB not ready", "502 Bad Gateway"]
    assert TOKEN not in repr(logs)


async def test_timeouts_fail_after_the_retries(client: PrometheusClient, mock: Mock) -> None:
    mock.answers = [httpx.ReadTimeout(f"timed out sending Bearer {TOKEN}")]
    with pytest.raises(IntegrationError) as raised:
        await client.measure(query="up")
    assert str(raised.value) == (
        f"Prometheus at {BASE} did not answer: ReadTimeout: timed out sending Bearer [redacted] "
        "(after 3 attempts); check that it is up and reachable at integrations.prometheus.url"
    )
    assert len(mock.requests) == 3


async def test_5xx_to_the_end_names_prometheuss_reason(mock: Mock) -> None:
    mock.answers = [failure(503, "timeout", "query timed out in expression evaluation")]
    async with httpx.AsyncClient(transport=httpx.MockTransport(mock.handle)) as http:
        client = PrometheusClient(http=http, base_url=BASE, retries=0, sleep=mock.sleep)
        with pytest.raises(IntegrationError, match="did not answer: 503 timeout: query timed out"):
            await client.measure(query="up")
    assert (len(mock.requests), mock.sleeps) == (1, [])


@pytest.mark.parametrize(
    ("answer", "complaint"),
    [
        (
            httpx.Response(200, text="<html>login</html>", headers={"content-type": "text/html"}),
            "with a body that is not Prometheus's JSON \\(200, text/html\\)",
        ),
        (httpx.Response(200, json={"status": "success"}), "not Prometheus's JSON"),
        (
            success({"resultType": "matrix", "result": [{"metric": {}, "values": []}]}),
            "returned a range vector, not one value; drop its \\[range\\] selector",
        ),
        (success({"resultType": "string", "result": [1, "v2"]}), "returned a string"),
        (success({"resultType": "histogram", "result": []}), "cannot read .*'histogram'"),
        (success({"resultType": "vector", "result": {}}), "cannot read .*not a list"),
        (success({"result": []}), "cannot read .*resultType"),
        (vector(({}, "lots")), "cannot read .*could not convert"),
        (
            success({"resultType": "vector", "result": [{"metric": {}, "histogram": [1, {}]}]}),
            "cannot read .*'value'",
        ),
        (success({"resultType": "scalar", "result": 0.5}), "cannot read .*not \\[time, value\\]"),
        (failure(422, "execution", "many-to-many matching"), "rejected the query `up`: execution"),
        (failure(200, "bad_data", "odd"), "rejected the query `up`: bad_data: odd"),
        (httpx.Response(404, text="404 page not found"), "answered /api/v1/query with 404 Not"),
        (failure(405, "", "method not allowed"), "with 405 method not allowed; check integrations"),
        (
            httpx.Response(401, text=f"Unauthorized: Bearer {TOKEN}"),
            "refused the query: 401 Unauthorized; check the bearer token Stationmaster sends",
        ),
        (
            failure(403, "forbidden", f"token {TOKEN} lacks access"),
            "refused the query: 403 forbidden: token \\[redacted\\] lacks access",
        ),
    ],
)
async def test_answers_that_are_not_a_measurement_fail_at_once(
    client: PrometheusClient, mock: Mock, answer: httpx.Response, complaint: str
) -> None:
    mock.answers = [answer]
    with pytest.raises(IntegrationError, match=complaint) as raised:
        await client.measure(query="up")
    assert TOKEN not in str(raised.value)
    assert len(mock.requests) == 1


@pytest.mark.parametrize("value", ["NaN", "+Inf", "-Inf"])
async def test_nan_and_infinities_are_no_value(
    client: PrometheusClient, mock: Mock, value: str
) -> None:
    mock.answers = [vector(({}, value))]
    assert await client.measure(query="up") == Measurement(value=None, series=1)
    mock.answers = [success({"resultType": "scalar", "result": [1714550400, value]})]
    assert await client.measure(query="up") == Measurement(value=None, series=1)


async def test_an_empty_vector_has_no_value(client: PrometheusClient, mock: Mock) -> None:
    mock.answers = [vector()]
    assert await client.measure(query="up") == Measurement(value=None, series=0)


async def test_many_series_are_quoted_three_at_most(client: PrometheusClient, mock: Mock) -> None:
    mock.answers = [vector(*(({"pod": f"p{n}", "app": "a"}, "1") for n in range(5)))]
    with pytest.raises(IntegrationError) as raised:
        await client.measure(query="up")
    assert str(raised.value) == (
        'the query `up` returned 5 series ({app="a", pod="p0"}, {app="a", pod="p1"}, '
        '{app="a", pod="p2"}, …); wrap it in sum(…) or another aggregation'
    )


async def test_a_redirect_elsewhere_is_never_followed(client: PrometheusClient, mock: Mock) -> None:
    mock.answers = [
        httpx.Response(302, headers={"location": "https://evil.test/steal?x=1"}),
        vector(({}, "1")),
    ]
    with pytest.raises(IntegrationError) as raised:
        await client.measure(query="up")
    assert str(raised.value) == (
        f"Prometheus at {BASE} redirected /api/v1/query to evil.test/steal; Stationmaster only "
        "calls the configured address: set integrations.prometheus.url to the address that answers"
    )
    assert {request.url.host for request in mock.requests} == {"prometheus.test"}
    assert len(mock.requests) == 1


async def test_an_empty_query_is_refused_before_asking(
    client: PrometheusClient, mock: Mock
) -> None:
    with pytest.raises(IntegrationError, match="an analysis query is empty"):
        await client.measure(query="  ")
    assert mock.requests == []


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (httpx.Response(200, text="Prometheus Server is Ready.\n"), True),
        (httpx.Response(503, text="Service Unavailable"), False),
        (httpx.ConnectError("refused"), False),
    ],
)
async def test_ready_is_one_probe_that_never_raises(
    client: PrometheusClient, mock: Mock, answer: httpx.Response | Exception, expected: bool
) -> None:
    mock.answers = [answer]
    assert await client.ready() is expected
    (request,) = mock.requests
    assert str(request.url) == f"{BASE}/-/ready"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


async def test_credentials_in_the_url_are_sent_but_never_shown(mock: Mock) -> None:
    mock.answers = [httpx.ConnectError("refused")]
    async with httpx.AsyncClient(transport=httpx.MockTransport(mock.handle)) as http:
        client = PrometheusClient(
            http=http, base_url="https://bot:hunter2@prom.test", retries=0, sleep=mock.sleep
        )
        with pytest.raises(IntegrationError) as raised:
            await client.measure(query="up")
    assert client.base_url == "https://prom.test"
    assert "hunter2" not in str(raised.value)
    assert str(raised.value).startswith("Prometheus at https://prom.test did not answer")
    assert mock.requests[0].headers["authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("base_url", "shown"),
    [
        ("prometheus:9090", "prometheus:9090"),
        ("ftp://prom.test", "ftp://prom.test"),
        ("http://prom.test/?x=1", "http://prom.test/?x=1"),
        ("http://[::1", "(unreadable)"),
        ("", "(unreadable)"),
    ],
)
def test_the_base_url_must_be_an_http_root(base_url: str, shown: str) -> None:
    http = httpx.AsyncClient()
    with pytest.raises(IntegrationError) as raised:
        PrometheusClient(http=http, base_url=base_url)
    assert str(raised.value) == (
        f"the Prometheus address '{shown}' is not an http(s) URL of the server's root; "
        "set integrations.prometheus.url to e.g. http://prometheus:9090"
    )


@pytest.mark.parametrize("options", [{"retries": -1}, {"timeout": 0}, {"backoff": -0.1}])
def test_limits_must_make_sense(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="retries and backoff"):
        PrometheusClient(http=httpx.AsyncClient(), base_url=BASE, **options)


def test_the_harness_config_scrapes_the_targets_every_interval(tmp_path: Path) -> None:
    path = tmp_path / "prometheus.yml"
    write_config(path, targets=["127.0.0.1:1234"], scrape_interval="1s")
    config = json.loads(path.read_text())
    assert config["global"] == {
        "scrape_interval": "1s",
        "scrape_timeout": "1s",
        "evaluation_interval": "1s",
    }
    assert config["scrape_configs"] == [
        {"job_name": "sim", "static_configs": [{"targets": ["127.0.0.1:1234"]}]}
    ]


def test_a_missing_binary_fails_unless_allowed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no prometheus on PATH
    monkeypatch.delenv(ALLOW_MISSING_ENV, raising=False)
    with pytest.raises(pytest.fail.Exception, match="CI must have it"):
        prometheus_binary()
    monkeypatch.setenv(ALLOW_MISSING_ENV, "1")
    with pytest.raises(pytest.skip.Exception, match="skipped because"):
        prometheus_binary()
