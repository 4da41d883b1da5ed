"""The sim adapter when the fleet is gone, or refuses a step."""

from __future__ import annotations

import httpx
import pytest

from bot.sim.fleet import running_fleet
from integrations.deploy.base import DeployError, DeployState, Target
from integrations.deploy.sim import SimAdapter

TARGET = Target("checkout", "1.1.0", None, "web/1.1.0")


async def test_an_unreachable_fleet_is_a_deploy_error() -> None:
    async with httpx.AsyncClient() as http:
        adapter = SimAdapter(http=http, url="http://127.0.0.1:9/", timeout=0.5)
        with pytest.raises(DeployError, match=r"deploy of checkout 1\.1\.0: the sim fleet"):
            await adapter.start(target=TARGET)
        with pytest.raises(DeployError, match="did not answer"):
            await adapter.status(target=TARGET)


async def test_a_refused_step_names_the_fleet_answer_and_a_retry_clears_it() -> None:
    async with (
        running_fleet(services=["checkout"], stable="1.0.0", rps=1) as fleet,
        httpx.AsyncClient() as http,
    ):
        adapter = SimAdapter(http=http, url=fleet.url)
        with pytest.raises(DeployError) as refused:
            await adapter.set_weight(target=TARGET, weight=10)  # no canary deployed yet
        assert "answered 400" in str(refused.value)
        assert "weight needs a canary" in refused.value.output
        assert (await adapter.status(target=TARGET)).state is DeployState.FAILED
        started = await adapter.start(target=TARGET)
        assert (started.state, started.canary_version, started.weight) == (
            DeployState.HEALTHY, "1.1.0", 0,
        )  # fmt: skip
        assert (await adapter.status(target=TARGET)).state is DeployState.HEALTHY
        rolled = await adapter.rollback(target=TARGET)  # a first release: nothing to restore
        assert (rolled.stable_version, rolled.canary_version, rolled.weight) == ("1.0.0", None, 0)
