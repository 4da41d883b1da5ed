"""Prometheus's HTTP API (``GET /api/v1/query``) through one injected ``httpx.AsyncClient``.

Requests go only to ``base_url``: the server's root (``http://prometheus:9090``, with the path
of any ``--web.route-prefix``). Redirects are refused, never followed. Transport errors,
timeouts, 429 and 5xx answers are retried ``retries`` times with exponential backoff; a query
Prometheus rejects (400 ``bad_data``, 422 ``execution``) is not retried, since it would fail
again. Every failure is an :class:`~bot.errors.IntegrationError` naming the server (without any
credentials of its URL) and what to fix; the bearer token appears in no message and no log line.

How an answer becomes a :class:`~bot.domain.canary.Measurement` is the rule of
:class:`integrations.metrics.base.MetricsSource`: an empty vector, NaN or +/-Inf is no value;
several series are an error; a scalar is its value; a matrix or a string is an error.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
import structlog
from pydantic import SecretStr

from bot.domain.analysis import Measurement
from bot.errors import IntegrationError

QUERY_PATH = "/api/v1/query"
READY_PATH = "/-/ready"
URL_SETTING = "integrations.prometheus.url"
SHOWN_SERIES = 3  # label sets quoted when a query returns several series
MESSAGE_LIMIT = 300  # characters of Prometheus's own error text quoted in a message

Sleep = Callable[[float], Awaitable[None]]

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_REJECTED_STATUSES = frozenset({400, 422})  # bad_data, execution: the query's own fault
_log = structlog.get_logger(__name__)


class PrometheusClient:
    """One Prometheus server's instant queries; see the module docstring for the rules."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        base_url: str,
        timeout: float = 5.0,
        retries: int = 2,
        bearer: SecretStr | None = None,
        backoff: float = 0.2,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if retries < 0 or backoff < 0 or timeout <= 0:
            raise ValueError("retries and backoff must be >= 0, timeout > 0")
        try:
            url = httpx.URL(base_url.strip().rstrip("/"))
        except httpx.InvalidURL:
            url = httpx.URL()
        self._where = str(url.copy_with(userinfo=b"")) or "(unreadable)"
        if url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
            raise IntegrationError(
                f"the Prometheus address '{self._where}' is not an http(s) URL of the "
                f"server's root; set {URL_SETTING} to e.g. http://prometheus:9090"
            )
        self._base = str(url)
        self._http = http
        self._timeout = httpx.Timeout(timeout)
        self._retries = retries
        self._bearer = bearer
        self._backoff = backoff
        self._sleep = sleep

    @property
    def base_url(self) -> str:
        """The configured server, without credentials: what messages call it."""
        return self._where

    async def measure(self, *, query: str) -> Measurement:
        """Evaluate the instant ``query`` now (see :class:`MetricsSource`)."""
        if not query.strip():
            raise IntegrationError("an analysis query is empty; write a PromQL expression")
        response = await self._get(QUERY_PATH, params={"query": query})
        data = self._data(response, query)
        try:
            return _measurement(query, data)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise IntegrationError(
                f"Prometheus at {self._where} answered the query `{query}` with a result "
                f"Stationmaster cannot read ({exc}); check that {URL_SETTING} is Prometheus"
            ) from exc

    async def ready(self) -> bool:
        """Whether the server answers ``GET /-/ready`` with 200; one attempt, never raises."""
        try:
            response = await self._send(READY_PATH)
        except httpx.RequestError:
            return False
        return response.status_code == 200

    # -- the transport ------------------------------------------------------------------------

    async def _send(self, path: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        return await self._http.get(
            self._base + path,
            params=params,
            headers=self._headers(),
            timeout=self._timeout,
            follow_redirects=False,
        )

    async def _get(self, path: str, *, params: Mapping[str, str]) -> httpx.Response:
        """GET with retries; the first answer that is not worth retrying is returned."""
        attempt = 0
        while True:
            try:
                response = await self._send(path, params)
            except httpx.RequestError as exc:
                reason = f"{type(exc).__name__}: {self._scrub(str(exc)) or 'no detail'}"
            else:
                if response.status_code not in _RETRY_STATUSES:
                    return response
                reason = f"{response.status_code} {self._error_text(response)}"
            if attempt >= self._retries:
                raise IntegrationError(
                    f"Prometheus at {self._where} did not answer: {reason} (after "
                    f"{attempt + 1} attempts); check that it is up and reachable at {URL_SETTING}"
                )
            delay = self._backoff * 2.0**attempt
            attempt += 1
            _log.warning(
                "prometheus_retry", server=self._where, reason=reason, attempt=attempt, delay=delay
            )
            await self._sleep(delay)

    def _data(self, response: httpx.Response, query: str) -> dict[str, Any]:
        """The ``data`` of a successful answer; raise for everything else."""
        status = response.status_code
        body = _json(response)
        if isinstance(body, dict) and body.get("status") == "error":
            if status in _REJECTED_STATUSES or response.is_success:
                raise IntegrationError(
                    f"Prometheus rejected the query `{query}`: {self._error_text(response)}; "
                    "fix the query in the service's analysis config"
                )
        elif response.is_success:
            if isinstance(body, dict) and isinstance(body.get("data"), dict):
                data: dict[str, Any] = body["data"]
                return data
            kind = response.headers.get("content-type", "no content type")
            raise IntegrationError(
                f"Prometheus at {self._where} answered {QUERY_PATH} with a body that is not "
                f"Prometheus's JSON ({status}, {kind}); check that {URL_SETTING} is Prometheus"
            )
        if response.is_redirect:
            target = httpx.URL(response.headers.get("location", ""))
            raise IntegrationError(
                f"Prometheus at {self._where} redirected {QUERY_PATH} to "
                f"{target.host or 'the same host'}{target.path}; Stationmaster only calls the "
                f"configured address: set {URL_SETTING} to the address that answers"
            )
        if status in (401, 403):
            raise IntegrationError(
                f"Prometheus at {self._where} refused the query: {status} "
                f"{self._error_text(response)}; check the bearer token Stationmaster sends"
            )
        raise IntegrationError(
            f"Prometheus at {self._where} answered {QUERY_PATH} with {status} "
            f"{self._error_text(response)}; check {URL_SETTING} (the server's root, e.g. "
            "http://prometheus:9090)"
        )

    def _error_text(self, response: httpx.Response) -> str:
        """Prometheus's ``errorType: error`` when the body has one, else the reason phrase."""
        body = _json(response)
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, str) and error.strip():
            kind = body.get("errorType")
            text = " ".join(error.split())[:MESSAGE_LIMIT]
            return self._scrub(f"{kind}: {text}" if isinstance(kind, str) and kind else text)
        return response.reason_phrase or "no message"

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "stationmaster"}
        if self._bearer is not None:
            headers["Authorization"] = f"Bearer {self._bearer.get_secret_value()}"
        return headers

    def _scrub(self, text: str) -> str:
        secret = self._bearer.get_secret_value() if self._bearer is not None else ""
        return text.replace(secret, "[redacted]") if secret else text


def _measurement(query: str, data: Mapping[str, Any]) -> Measurement:
    kind, result = data["resultType"], data["result"]
    if kind == "vector":
        if not isinstance(result, list):
            raise TypeError(f"a vector result is {type(result).__name__}, not a list")
        if len(result) > 1:
            raise IntegrationError(
                f"the query `{query}` returned {len(result)} series ({_labels(result)}); "
                "wrap it in sum(…) or another aggregation"
            )
        if not result:
            return Measurement(value=None, series=0)
        return Measurement(value=_number(result[0]["value"]), series=1)
    if kind == "scalar":
        return Measurement(value=_number(result), series=1)
    if kind == "matrix":
        raise IntegrationError(
            f"the query `{query}` returned a range vector, not one value; drop its [range] "
            "selector, or wrap it in rate(…) and sum(…)"
        )
    if kind == "string":
        raise IntegrationError(f"the query `{query}` returned a string, not a number")
    raise ValueError(f"resultType {kind!r}")


def _number(sample: Any) -> float | None:
    """The value of ``[timestamp, "value"]``; None for NaN and +/-Inf (no usable value)."""
    if not isinstance(sample, list) or len(sample) != 2 or not isinstance(sample[1], str):
        raise ValueError(f"a sample is {str(sample)[:80]}, not [time, value]")
    value = float(sample[1])
    return value if math.isfinite(value) else None


def _labels(result: list[Any]) -> str:
    shown = []
    for series in result[:SHOWN_SERIES]:
        metric = series.get("metric", {}) if isinstance(series, dict) else {}
        pairs = ", ".join(f'{key}="{value}"' for key, value in sorted(metric.items()))
        shown.append("{" + pairs + "}")
    more = ", …" if len(result) > SHOWN_SERIES else ""
    return ", ".join(shown) + more


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
