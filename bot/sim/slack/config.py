"""Who the simulated Slack is: its team, its app, its bot and their secrets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SimConfig:
    bot_token: str = "xoxb-sim-token"  # noqa: S105 - the simulator's fake token
    app_token: str = "xapp-sim-token"  # noqa: S105
    signing_secret: str = "sim-signing-secret"  # noqa: S105
    verification_token: str = "sim-verification-token"  # noqa: S105
    posts_per_second: float | None = None
    team_id: str = "T0SIM"
    team_domain: str = "stationmaster-sim"
    team_name: str = "Stationmaster Simulator"
    bot_user_id: str = "U0BOT"
    bot_id: str = "B0BOT"
    bot_name: str = "stationmaster"
    api_app_id: str = "A0SIM"
