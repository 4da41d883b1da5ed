"""The Web API client: slack_sdk's AsyncWebClient with retry handlers and call metrics."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.observability.metrics import Metrics


class InstrumentedWebClient(AsyncWebClient):
    """Counts every Web API call by method and outcome (``ok``, Slack's error name, or the
    exception type). Retries happen inside ``api_call``, so one call counts once."""

    metrics: Metrics | None = None

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        outcome = "exception"
        try:
            response = await super().api_call(api_method, **kwargs)
            outcome = "ok"
            return response
        except SlackApiError as exc:
            outcome = str(exc.response.get("error", "error"))
            raise
        finally:
            if self.metrics is not None:
                self.metrics.slack_api_calls.labels(method=api_method, outcome=outcome).inc()


def build_web_client(
    *, token: str | None, base_url: str, metrics: Metrics, timeout: int = 10
) -> InstrumentedWebClient:
    client = InstrumentedWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )
    client.metrics = metrics
    return client
