"""The argo_rollouts adapter against the loopback fake Kubernetes API and its tiny controller."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from kubernetes_asyncio.client import ApiClient, ApiException, Configuration, CustomObjectsApi

from integrations.deploy.argo_rollouts import STABLE_ANNOTATION, ArgoRolloutsAdapter
from integrations.deploy.base import DeployError, DeployState, Target
from tests.fakes.kubernetes import JSON_PATCH, MERGE_PATCH, FakeKubernetes, running_fake_kubernetes

TOKEN = "k8s-t0k"
TARGET = Target("checkout", "1.1.0", "1.0.0", "web/1.1.0")
IMAGE = "registry.example/checkout:{version}"
PATH = "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/checkout"


@pytest.fixture
async def fake() -> AsyncIterator[FakeKubernetes]:
    async with running_fake_kubernetes(token=TOKEN, delay=0.01) as server:
        server.add_rollout("shop", "checkout", image="registry.example/checkout:1.0.0")
        yield server
        assert server.stray == []  # nothing but the Rollout and its status, ever


def client(url: str, token: str = TOKEN) -> ApiClient:
    bearer = {"BearerToken": token}, {"BearerToken": "Bearer"}
    return ApiClient(Configuration(host=url, api_key=bearer[0], api_key_prefix=bearer[1]))


@pytest.fixture
async def api(fake: FakeKubernetes) -> AsyncIterator[ApiClient]:
    async with client(fake.url) as session:
        yield session


def adapter_for(api: ApiClient, **options: Any) -> ArgoRolloutsAdapter:
    settings: dict[str, Any] = {
        "namespace": "shop",
        "rollout": "checkout",
        "image": IMAGE,
        "poll_interval": 0.01,
        "step_timeout": 5,
        "backoff": 0.01,
        **options,
    }
    return ArgoRolloutsAdapter(api=api, **settings)


def live(fake: FakeKubernetes) -> tuple[str, str | None, int]:
    return fake.serving("shop", "checkout")


async def test_start_sets_the_image_and_holds_a_canary_at_weight_zero(
    fake: FakeKubernetes, api: ApiClient
) -> None:
    status = await adapter_for(api).start(target=TARGET)

    assert (status.state, status.weight) == (DeployState.HEALTHY, 0)
    assert (status.stable_version, status.canary_version) == ("1.0.0", "1.1.0")
    assert live(fake) == ("registry.example/checkout:1.0.0", "registry.example/checkout:1.1.0", 0)
    patch = next(r for r in fake.requests if r.method == "PATCH")
    assert (patch.path, patch.content_type, patch.answered) == (PATH, JSON_PATCH, 200)
    assert patch.body[0] == {"op": "replace", "path": "/metadata/resourceVersion", "value": "1002"}
    assert patch.body[1] == {
        "op": "replace",
        "path": "/spec/template/spec/containers/0/image",
        "value": "registry.example/checkout:1.1.0",
    }
    assert patch.body[3] == {
        "op": "add",
        "path": "/spec/strategy/canary/steps",
        "value": [{"setWeight": 0}, {"pause": {}}],
    }
    rollout = fake.rollout("shop", "checkout")
    assert rollout["metadata"]["annotations"] == {STABLE_ANNOTATION: "1.0.0"}
    assert rollout["status"]["phase"] == "Paused"
    assert rollout["status"]["pauseConditions"][0]["reason"] == "CanaryPauseStep"


async def test_set_weight_rewrites_the_steps_and_waits_for_the_traffic(
    fake: FakeKubernetes, api: ApiClient
) -> None:
    adapter = adapter_for(api)
    await adapter.start(target=TARGET)

    status = await adapter.set_weight(target=TARGET, weight=25)

    assert (status.state, status.weight, status.canary_version) == (
        DeployState.HEALTHY,
        25,
        "1.1.0",
    )
    assert live(fake)[2] == 25
    assert fake.rollout("shop", "checkout")["status"]["canary"]["weights"]["canary"]["weight"] == 25
    with pytest.raises(ValueError, match="0-100"):
        await adapter.set_weight(target=TARGET, weight=101)


async def test_promote_is_promote_full_on_the_status_subresource(
    fake: FakeKubernetes, api: ApiClient
) -> None:
    adapter = adapter_for(api)
    await adapter.start(target=TARGET)
    await adapter.set_weight(target=TARGET, weight=50)
    fake.requests.clear()

    status = await adapter.promote(target=TARGET)

    assert (status.state, status.stable_version, status.canary_version, status.weight) == (
        DeployState.HEALTHY,
        "1.1.0",
        None,
        100,
    )
    assert live(fake) == ("registry.example/checkout:1.1.0", None, 0)
    patches = [r for r in fake.requests if r.method == "PATCH"]
    assert [(p.path, p.content_type, p.body) for p in patches] == [
        (PATH + "/status", MERGE_PATCH, {"status": {"promoteFull": True}})
    ]
    fake.requests.clear()
    again = await adapter.promote(target=TARGET)  # already done: nothing to patch
    assert again.stable_version == "1.1.0"
    assert [r.method for r in fake.requests] == ["GET"]


async def test_promote_refuses_a_version_the_rollout_does_not_run(api: ApiClient) -> None:
    with pytest.raises(DeployError, match=r"runs registry\.example/checkout:1\.0\.0, not 1\.1\.0"):
        await adapter_for(api).promote(target=TARGET)


async def test_rollback_aborts_then_restores_the_previous_image(
    fake: FakeKubernetes, api: ApiClient
) -> None:
    adapter = adapter_for(api)
    await adapter.start(target=TARGET)
    await adapter.set_weight(target=TARGET, weight=10)
    fake.requests.clear()

    status = await adapter.rollback(target=TARGET)

    assert (status.state, status.stable_version, status.canary_version, status.weight) == (
        DeployState.HEALTHY,
        "1.0.0",
        None,
        0,
    )
    assert live(fake) == ("registry.example/checkout:1.0.0", None, 0)
    abort, undo = [r for r in fake.requests if r.method == "PATCH"]
    assert (abort.path, abort.content_type, abort.body) == (
        PATH + "/status",
        MERGE_PATCH,
        {"status": {"abort": True}},
    )
    assert undo.content_type == JSON_PATCH
    assert undo.body[1:] == [
        {
            "op": "replace",
            "path": "/spec/template/spec/containers/0/image",
            "value": "registry.example/checkout:1.0.0",
        },
        {"op": "add", "path": "/spec/strategy/canary/steps", "value": []},
    ]


async def test_rollback_after_a_promotion_rolls_the_previous_version_out(
    fake: FakeKubernetes, api: ApiClient
) -> None:
    adapter = adapter_for(api)
    await adapter.start(target=TARGET)
    await adapter.promote(target=TARGET)

    status = await adapter.rollback(target=TARGET)

    assert (status.stable_version, status.weight) == ("1.0.0", 0)
    assert live(fake) == ("registry.example/checkout:1.0.0", None, 0)
    assert not any(
        r.path.endswith("/status") and r.body == {"status": {"abort": True}} for r in fake.requests
    )  # nothing in flight: nothing to abort


async def test_rollback_without_a_previous_version_uses_the_recorded_stable_one(
    fake: FakeKubernetes, api: ApiClient
) -> None:
    adapter = adapter_for(api)
    first = Target("checkout", "1.1.0", None, "web/1.1.0")
    await adapter.start(target=first)

    status = await adapter.rollback(target=first)

    assert status.stable_version == "1.0.0"
    assert live(fake) == ("registry.example/checkout:1.0.0", None, 0)


async def test_rollback_with_nothing_to_restore_aborts_and_says_so(
    fake: FakeKubernetes, api: ApiClient
) -> None:
    adapter = adapter_for(api)
    first = Target("checkout", "1.1.0", None, "web/1.1.0")
    await adapter.start(target=first)
    del fake.rollout("shop", "checkout")["metadata"]["annotations"]

    with pytest.raises(DeployError, match="no previous version is known") as caught:
        await adapter.rollback(target=first)

    assert "kubectl argo rollouts undo checkout -n shop" in caught.value.reason
    assert fake.rollout("shop", "checkout")["status"]["abort"] is True


async def test_a_step_on_an_aborted_rollout_retries_it(
    fake: FakeKubernetes, api: ApiClient
) -> None:
    adapter = adapter_for(api)
    await adapter.start(target=TARGET)
    await adapter.set_weight(target=TARGET, weight=10)
    objects = CustomObjectsApi(api)  # what `kubectl argo rollouts abort checkout` sends
    await objects.patch_namespaced_custom_object_status(
        "argoproj.io",
        "v1alpha1",
        "shop",
        "rollouts",
        "checkout",
        {"status": {"abort": True}},
        _content_type=MERGE_PATCH,
    )
    fake.requests.clear()
    while (await adapter.status(target=TARGET)).state is not DeployState.ABORTED:
        pass
    assert live(fake)[2] == 0

    status = await adapter.set_weight(target=TARGET, weight=10)

    assert (status.state, status.weight) == (DeployState.HEALTHY, 10)
    retry = [r for r in fake.requests if r.path.endswith("/status")]
    assert [r.body for r in retry] == [{"status": {"abort": False}}]


async def test_a_degraded_rollout_fails_the_step_with_its_message(
    fake: FakeKubernetes, api: ApiClient
) -> None:
    adapter = adapter_for(api)
    await adapter.start(target=TARGET)
    fake.fail_next = True

    with pytest.raises(DeployError, match="ProgressDeadlineExceeded") as caught:
        await adapter.set_weight(target=TARGET, weight=10)

    assert caught.value.status is not None
    assert caught.value.status.state is DeployState.FAILED
    assert "kubectl argo rollouts get rollout checkout -n shop" in caught.value.reason


async def test_a_failed_step_can_still_be_rolled_back(fake: FakeKubernetes, api: ApiClient) -> None:
    adapter = adapter_for(api)
    await adapter.start(target=TARGET)
    await adapter.set_weight(target=TARGET, weight=10)
    fake.fail_next = True
    with pytest.raises(DeployError):
        await adapter.set_weight(target=TARGET, weight=50)

    status = await adapter.rollback(target=TARGET)

    assert (status.state, status.stable_version, status.weight) == (DeployState.HEALTHY, "1.0.0", 0)
    assert live(fake) == ("registry.example/checkout:1.0.0", None, 0)


async def test_a_step_the_controller_never_takes_times_out(
    fake: FakeKubernetes, api: ApiClient
) -> None:
    fake.stall = True

    with pytest.raises(
        DeployError, match=r"did not finish deploy of checkout 1\.1\.0 within 0\.1s"
    ):
        await adapter_for(api, step_timeout=0.1).start(target=TARGET)

    status = await adapter_for(api).status(target=TARGET)
    assert status.state is DeployState.PROGRESSING  # the spec is newer than what was observed


async def test_status_reads_phase_versions_and_weights(
    fake: FakeKubernetes, api: ApiClient
) -> None:
    adapter = adapter_for(api)
    before = await adapter.status(target=TARGET)
    assert (before.state, before.stable_version, before.canary_version, before.weight) == (
        DeployState.HEALTHY,
        "1.0.0",
        None,
        0,
    )
    released = await adapter.status(target=Target("checkout", "1.0.0", None, "web/1.0.0"))
    assert released.weight == 100
    fake.rollout("shop", "checkout")["status"]["phase"] = "Degraded"
    assert (await adapter.status(target=TARGET)).state is DeployState.DEGRADED
    fake.rollout("shop", "checkout")["status"] = {}
    unknown = await adapter.status(target=TARGET)
    assert (unknown.state, unknown.message) == (
        DeployState.PROGRESSING,
        "the controller has not reported yet",
    )


async def test_a_basic_canary_reports_the_weight_of_its_step(fake: FakeKubernetes) -> None:
    fake.add_rollout("shop", "basket", image="registry.example/basket:1.0.0", traffic_routing=False)
    async with client(fake.url) as session:
        adapter = adapter_for(session, rollout="basket", image="registry.example/basket:{version}")
        basket = Target("basket", "1.1.0", "1.0.0", "web/1.1.0")
        await adapter.start(target=basket)

        status = await adapter.set_weight(target=basket, weight=30)

    assert status.weight == 30
    assert "weights" not in fake.rollout("shop", "basket")["status"].get("canary", {})


async def test_blue_green_starts_a_preview_and_switches(fake: FakeKubernetes) -> None:
    fake.add_rollout("shop", "search", image="registry.example/search:1.0.0", strategy="blueGreen")
    search = Target("search", "1.1.0", "1.0.0", "web/1.1.0")
    async with client(fake.url) as session:
        adapter = adapter_for(session, rollout="search", image="registry.example/search:{version}")
        started = await adapter.start(target=search)
        assert (started.canary_version, started.weight) == ("1.1.0", 0)
        assert fake.rollout("shop", "search")["status"]["pauseConditions"][0]["reason"] == (
            "BlueGreenPause"
        )
        with pytest.raises(DeployError, match="no canary strategy"):
            await adapter.set_weight(target=search, weight=10)

        switched = await adapter.switch(target=search)

    assert (switched.stable_version, switched.canary_version, switched.weight) == (
        "1.1.0",
        None,
        100,
    )


async def test_a_rollout_that_promotes_on_its_own_fails_the_start(fake: FakeKubernetes) -> None:
    fake.add_rollout(
        "shop",
        "search",
        image="registry.example/search:1.0.0",
        strategy="blueGreen",
        auto_promotion=True,
    )
    async with client(fake.url) as session:
        adapter = adapter_for(session, rollout="search", image="registry.example/search:{version}")
        with pytest.raises(DeployError, match="went Healthy without holding a canary"):
            await adapter.start(target=Target("search", "1.1.0", "1.0.0", "web/1.1.0"))


async def test_containers_are_chosen_by_name(fake: FakeKubernetes) -> None:
    fake.add_rollout(
        "shop", "cart", image="registry.example/cart:1.0.0", containers=["proxy", "cart"]
    )
    cart = Target("cart", "1.1.0", "1.0.0", "web/1.1.0")
    async with client(fake.url) as session:
        options = {"rollout": "cart", "image": "registry.example/cart:{version}"}
        with pytest.raises(DeployError, match=r"several containers \(proxy, cart\)"):
            await adapter_for(session, **options).start(target=cart)
        with pytest.raises(DeployError, match="no container 'web'"):
            await adapter_for(session, container="web", **options).start(target=cart)

        await adapter_for(session, container="cart", **options).start(target=cart)

    containers = fake.rollout("shop", "cart")["spec"]["template"]["spec"]["containers"]
    assert [c["image"] for c in containers] == [
        "registry.example/cart:1.0.0",
        "registry.example/cart:1.1.0",
    ]


async def test_a_conflict_is_read_again_and_patched_again(
    fake: FakeKubernetes, api: ApiClient
) -> None:
    fake.conflict_next = 2

    await adapter_for(api).start(target=TARGET)

    answers = [(r.method, r.answered) for r in fake.requests if r.method == "PATCH"]
    assert answers == [("PATCH", 409), ("PATCH", 409), ("PATCH", 200)]


async def test_endless_conflicts_give_up(fake: FakeKubernetes, api: ApiClient) -> None:
    fake.conflict_next = 99

    with pytest.raises(DeployError, match=r"kept changing .* \(5 conflicts in a row\)"):
        await adapter_for(api).start(target=TARGET)


async def test_a_stale_resource_version_is_a_conflict(fake: FakeKubernetes, api: ApiClient) -> None:
    objects = CustomObjectsApi(api)
    stale = [{"op": "replace", "path": "/metadata/resourceVersion", "value": "1"}]

    with pytest.raises(ApiException) as caught:
        await objects.patch_namespaced_custom_object(
            "argoproj.io", "v1alpha1", "shop", "rollouts", "checkout", stale
        )

    assert caught.value.status == 409
    assert json.loads(caught.value.body)["reason"] == "Conflict"


async def test_the_fake_refuses_a_merge_patch_sent_as_a_json_patch(api: ApiClient) -> None:
    """kubernetes_asyncio labels a dict body as a JSON patch unless told otherwise, which a real
    API server refuses too: the adapter names the merge-patch content type for its dicts."""
    with pytest.raises(ApiException) as caught:
        await CustomObjectsApi(api).patch_namespaced_custom_object_status(
            "argoproj.io", "v1alpha1", "shop", "rollouts", "checkout", {"status": {"abort": True}}
        )

    assert caught.value.status == 400


async def test_a_missing_rollout_is_a_clear_404(fake: FakeKubernetes, api: ApiClient) -> None:
    with pytest.raises(
        DeployError, match=r"shop/nope does not exist|rollouts\.argoproj\.io"
    ) as caught:
        await adapter_for(api, rollout="nope").start(target=TARGET)

    assert "404" in caught.value.reason
    assert 'rollouts.argoproj.io "nope" not found' in caught.value.reason
    assert "check `namespace` and `rollout`" in caught.value.reason
    assert len(fake.requests) == 1  # a 404 is not retried


async def test_rbac_and_token_refusals_say_what_to_fix(fake: FakeKubernetes) -> None:
    fake.fail_requests(403)
    async with client(fake.url) as session:
        with pytest.raises(DeployError, match="grant it get and patch on rollouts") as caught:
            await adapter_for(session).status(target=TARGET)
    assert "cannot get resource" in caught.value.output

    async with client(fake.url, token="wrong") as session:
        with pytest.raises(DeployError, match="401 Unauthorized; check the service account token"):
            await adapter_for(session).status(target=TARGET)


async def test_server_errors_and_throttling_are_retried(
    fake: FakeKubernetes, api: ApiClient
) -> None:
    fake.fail_requests(503)
    fake.fail_requests(429)

    status = await adapter_for(api).start(target=TARGET)

    assert status.weight == 0
    assert [r.answered for r in fake.requests[:3]] == [503, 429, 200]


async def test_persistent_server_errors_give_up(fake: FakeKubernetes, api: ApiClient) -> None:
    fake.fail_requests(500, times=10)

    with pytest.raises(DeployError, match="500 fake failure 500 after 3 attempts"):
        await adapter_for(api, retries=2).status(target=TARGET)


async def test_slow_answers_time_out_and_are_retried(fake: FakeKubernetes, api: ApiClient) -> None:
    fake.lag = 0.3

    with pytest.raises(DeployError, match=r"did not answer .* after 2 attempts \(TimeoutError\)"):
        await adapter_for(api, request_timeout=0.05, retries=1).status(target=TARGET)


async def test_an_unreachable_api_server_is_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with client(f"http://127.0.0.1:{port}") as session:
        with pytest.raises(DeployError, match=r"did not answer .* after 2 attempts \(Client"):
            await adapter_for(session, retries=1).status(target=TARGET)


async def test_bad_settings_are_refused(api: ApiClient) -> None:
    with pytest.raises(ValueError, match="exactly once"):
        adapter_for(api, image="registry.example/checkout:latest")
    with pytest.raises(ValueError, match="must be > 0"):
        adapter_for(api, poll_interval=0)


async def test_other_refusals_carry_the_api_servers_message(
    fake: FakeKubernetes, api: ApiClient
) -> None:
    fake.fail_requests(422)

    with pytest.raises(
        DeployError, match="refused the status of checkout on the Rollout"
    ) as caught:
        await adapter_for(api).status(target=TARGET)

    assert caught.value.output == "fake failure 422"
