"""The harness's config writers: where Prometheus is told to find its Alertmanager, and what
Alertmanager is told to send (no processes started)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import alertmanager
from tests.prometheus import alertmanager_config


@pytest.mark.parametrize(
    ("url", "scheme", "target", "prefix"),
    [
        ("http://127.0.0.1:9093", "http", "127.0.0.1:9093", None),
        ("http://127.0.0.1:9093/", "http", "127.0.0.1:9093", None),
        ("https://am.example/alertmanager/", "https", "am.example:443", "/alertmanager"),
        ("http://[::1]:9093", "http", "[::1]:9093", None),
    ],
)
def test_an_alertmanager_url_is_split_into_scheme_target_and_prefix(
    url: str, scheme: str, target: str, prefix: str | None
) -> None:
    entry = alertmanager_config(url)
    assert entry["scheme"] == scheme
    assert entry["static_configs"] == [{"targets": [target]}]
    assert entry.get("path_prefix") == prefix
    assert entry["api_version"] == "v2"


def test_a_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        alertmanager_config("127.0.0.1:9093")


def test_the_one_receiver_is_a_webhook_with_a_bearer_token(tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yml"
    alertmanager.write_config(
        path,
        webhook_url="http://127.0.0.1:1/alerts",
        token="t0ken",
        group_wait="1s",
        group_interval="2s",
        repeat_interval="1h",
        group_by=("alertname",),
        send_resolved=False,
        resolve_timeout="5m",
    )
    config = json.loads(path.read_text())
    assert config["route"] == {
        "receiver": alertmanager.RECEIVER,
        "group_by": ["alertname"],
        "group_wait": "1s",
        "group_interval": "2s",
        "repeat_interval": "1h",
    }
    [receiver] = config["receivers"]
    assert receiver["webhook_configs"] == [
        {
            "url": "http://127.0.0.1:1/alerts",
            "send_resolved": False,
            "http_config": {"authorization": {"type": "Bearer", "credentials": "t0ken"}},
        }
    ]
    assert config["global"] == {"resolve_timeout": "5m"}
