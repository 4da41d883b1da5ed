"""Parsers for alert webhooks: Alertmanager, Grafana and Stationmaster's generic JSON.

Each parser is a function ``parse(body, *, received) -> Notification`` that raises
:class:`~integrations.alerts.base.BadPayload` (a ValueError whose message names the bad field)
for anything it cannot use. :data:`PARSERS` looks one up by the source a webhook path names.
docs/alerts.md describes the formats and how to point each system at the bot.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from bot.domain.alerts import AlertSource
from integrations.alerts import alertmanager, generic, grafana
from integrations.alerts.base import BadPayload, Parser

__all__ = ["PARSERS", "BadPayload", "Parser"]

PARSERS: Final[Mapping[AlertSource, Parser]] = MappingProxyType({
    AlertSource.ALERTMANAGER: alertmanager.parse,
    AlertSource.GRAFANA: grafana.parse,
    AlertSource.GENERIC: generic.parse,
})  # fmt: skip
