"""A service's ``deploy`` and ``strategy``, and ``integrations.prometheus``: shapes, domain
objects, and every error with its line and key."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ServiceConfig, load_config, parse_config
from bot.config.deploy import (
    ADAPTERS,
    ArgoRolloutsDeploy,
    BlueGreenConfig,
    CanaryConfig,
    CommandDeploy,
    GitHubActionsDeploy,
    PrometheusConfig,
    SimDeploy,
    StepConfig,
    StrategyConfig,
    WebhookDeploy,
)
from bot.domain.analysis import AnalysisSpec, Condition
from bot.domain.canary import DEFAULT_STEPS, BlueGreenPlan, CanaryPlan, Step
from tests.config.helpers import first_error

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "stationmaster.example.yml"
S = timedelta(seconds=1)
ERROR_RATE = (
    'sum(rate(http_requests_total{service="{{service}}",version="{{canary}}",code=~"5.."}[1m]))'
    ' / sum(rate(http_requests_total{service="{{service}}",version="{{canary}}"}[1m]))'
)


def service(body: str, *, config_dir: Path | None = None) -> ServiceConfig:
    """The service ``checkout`` whose entry is ``body`` (indented four spaces)."""
    text = "services:\n  checkout:\n" + body
    return parse_config(text=text, config_dir=config_dir).services["checkout"]


def error(body: str) -> str:
    return first_error("services:\n  checkout:\n" + body)


def analysis(extra: str = "", *, name: str = "error-rate") -> str:
    return (
        f"          - name: {name}\n"
        "            query: 'up{version=\"{{canary}}\"}'\n"
        "            success: '>= 1'\n" + extra
    )


def canary(body: str) -> str:
    return "    strategy:\n      canary:\n" + body


# --- the example ------------------------------------------------------------------------


def test_the_example_services_become_the_domain_objects() -> None:
    config = load_config(path=EXAMPLE)
    checkout, cart = config.services["checkout"], config.services["cart"]
    assert checkout.deploy == SimDeploy()
    assert checkout.deploy.adapter == "sim"
    assert checkout.strategy.plan() == CanaryPlan(
        steps=(Step(10, 30 * S), Step(50, 30 * S), Step(100)),
        analysis=(
            AnalysisSpec(
                name="error-rate",
                query=ERROR_RATE,
                success=Condition(op="<", threshold=0.01),
                failure=Condition(op=">", threshold=0.05),
                interval=10 * S,
                count=3,
                failure_limit=0,
                inconclusive_limit=1,
            ),
        ),
    )
    assert cart.deploy == SimDeploy()
    assert cart.strategy == StrategyConfig()
    assert cart.strategy.plan() == CanaryPlan(steps=DEFAULT_STEPS)
    assert config.integrations.prometheus == PrometheusConfig(url="http://127.0.0.1:9090")


def test_every_deploy_form_the_example_documents_is_valid() -> None:
    forms = re.findall(r"^ +#   (\{adapter: .*\})$", EXAMPLE.read_text(), flags=re.MULTILINE)
    adapters = [service(f"    deploy: {form}\n").deploy.adapter for form in forms]
    assert adapters == ["argo_rollouts", "webhook", "command", "github_actions"]


def test_the_documented_blue_green_form_is_valid() -> None:
    found = re.search(r"^ +#   (blue_green: .*)$", EXAMPLE.read_text(), flags=re.MULTILINE)
    assert found is not None
    text = found[1].replace("[...]", "[]")
    strategy = service(f"    strategy: {{{text}}}\n").strategy
    assert strategy.plan() == BlueGreenPlan()


def test_the_example_services_dump_and_read_back_the_same() -> None:
    config = load_config(path=EXAMPLE)
    checkout = config.services["checkout"].model_dump(mode="json")
    assert checkout["deploy"] == {"adapter": "sim"}
    assert checkout["strategy"]["blue_green"] is None
    assert checkout["strategy"]["canary"]["steps"][0] == {"weight": 10, "pause": "30s"}
    assert checkout["strategy"]["canary"]["analysis"][0]["success"] == "< 0.01"
    for entry in config.services.values():
        assert ServiceConfig.model_validate(entry.model_dump(mode="json")) == entry
    blue_green = service("    strategy: {blue_green: {}}\n    deploy: {adapter: command, run: x}\n")
    assert ServiceConfig.model_validate(blue_green.model_dump(mode="json")) == blue_green
    assert ServiceConfig.model_validate(ServiceConfig().model_dump()) == ServiceConfig()


# --- deploy -----------------------------------------------------------------------------


def test_without_deploy_a_service_deploys_to_the_sim() -> None:
    assert service("    paths: [a/]\n").deploy == SimDeploy()
    assert service("    deploy:\n").deploy == SimDeploy()
    assert ServiceConfig().deploy == SimDeploy()
    assert ADAPTERS == ("argo_rollouts", "webhook", "command", "github_actions", "sim")


def test_argo_rollouts() -> None:
    deploy = service(
        "    deploy: {adapter: argo_rollouts, namespace: shop, rollout: checkout.v2,\n"
        "             image: 'reg.acme.io/checkout:{version}'}\n"
    )
    assert deploy.deploy == ArgoRolloutsDeploy(
        namespace="shop", rollout="checkout.v2", image="reg.acme.io/checkout:{version}"
    )
    assert deploy.deploy.container is None
    named = service(
        "    deploy:\n      adapter: argo_rollouts\n      namespace: shop\n"
        "      rollout: checkout\n      image: reg.acme.io/checkout:v{version}-slim\n"
        "      container: app\n"
    ).deploy
    assert isinstance(named, ArgoRolloutsDeploy)
    assert (named.image, named.container) == ("reg.acme.io/checkout:v{version}-slim", "app")


def test_webhook() -> None:
    url = "https://deploy.acme.internal/hooks/"
    deploy = service(f"    deploy: {{adapter: webhook, url: '{url}'}}\n").deploy
    assert deploy == WebhookDeploy(url="https://deploy.acme.internal/hooks", poll="10s")
    polled = service(f"    deploy: {{adapter: webhook, url: '{url}', poll: 2s}}\n").deploy
    assert isinstance(polled, WebhookDeploy)
    assert polled.poll == 2 * S


def test_github_actions() -> None:
    deploy = service(
        "    deploy: {adapter: github_actions, repo: acme/shop, workflow: deploy.yml}\n"
    )
    assert deploy.deploy == GitHubActionsDeploy(repo="acme/shop", workflow="deploy.yml", ref="main")
    by_id = "    deploy: {adapter: github_actions, repo: a/b, workflow: '1234', ref: release/web}\n"
    assert service(by_id).deploy == GitHubActionsDeploy(
        repo="a/b", workflow="1234", ref="release/web"
    )


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        ("deploy/checkout.sh", ("/etc/shop/deploy/checkout.sh",)),
        ("./deploy.sh", ("/etc/shop/deploy.sh",)),
        ("'  deploy/checkout.sh '", ("/etc/shop/deploy/checkout.sh",)),
        ("/opt/deploy.sh", ("/opt/deploy.sh",)),
        ("helm", ("helm",)),  # a bare name is looked up on PATH
        ("[deploy/checkout.sh, --fast, 'a b']", ("/etc/shop/deploy/checkout.sh", "--fast", "a b")),
        ("[kubectl, apply]", ("kubectl", "apply")),
    ],
)
def test_command_paths_are_read_from_the_config_directory(
    run: str, expected: tuple[str, ...]
) -> None:
    body = f"    deploy:\n      adapter: command\n      run: {run}\n"
    deploy = service(body, config_dir=Path("/etc/shop")).deploy
    assert deploy == CommandDeploy(run=expected, timeout="5m")


def test_command_without_a_config_directory_keeps_the_path_and_takes_a_timeout() -> None:
    body = "    deploy: {adapter: command, run: deploy/checkout.sh, timeout: 60s}\n"
    assert service(body).deploy == CommandDeploy(run=("deploy/checkout.sh",), timeout="60s")


def test_load_config_reads_a_command_next_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "stationmaster.yml"
    path.write_text("services:\n  checkout:\n    deploy: {adapter: command, run: ./go.sh}\n")
    deploy = load_config(path=path).services["checkout"].deploy
    assert isinstance(deploy, CommandDeploy)
    assert deploy.run == (str(tmp_path / "go.sh"),)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "    deploy: {adapter: argo_rolouts}\n",
            "line 3: services.checkout.deploy: unknown adapter 'argo_rolouts'; did you mean "
            "'argo_rollouts'? the adapters are: argo_rollouts, webhook, command, "
            "github_actions, sim",
        ),
        (
            "    deploy: {adapter: helm}\n",
            "line 3: services.checkout.deploy: unknown adapter 'helm'; the adapters are: "
            "argo_rollouts, webhook, command, github_actions, sim",
        ),
        (
            "    deploy:\n      namespace: shop\n",
            "line 3: services.checkout.deploy: a deploy needs its adapter: one of argo_rollouts, "
            "webhook, command, github_actions, sim",
        ),
        (
            "    deploy: sim\n",
            "line 3: services.checkout.deploy: expected a mapping such as {adapter: sim}, "
            "got text 'sim'",
        ),
        (
            "    deploy: {adapter: argo_rollouts, namespce: shop, rollout: c,\n"
            "             image: 'a:{version}'}\n",
            "line 3: services.checkout.deploy: unknown key 'namespce' for the argo_rollouts "
            "adapter; did you mean 'namespace'?",
        ),
        (
            "    deploy: {adapter: sim, url: 'http://x'}\n",
            "line 3: services.checkout.deploy: unknown key 'url' for the sim adapter; "
            "its keys are: adapter",
        ),
        (
            "    deploy:\n      adapter: argo_rollouts\n      rollout: checkout\n"
            "      image: a:{version}\n",
            "line 3: services.checkout.deploy.namespace: required key is missing",
        ),
        (
            "    deploy:\n      adapter: argo_rollouts\n      namespace: Shop\n      rollout: c\n"
            "      image: a:{version}\n",
            "line 5: services.checkout.deploy.namespace: 'Shop' is not a Kubernetes namespace "
            "name: lowercase letters, digits and '-'",
        ),
        (
            "    deploy: {adapter: argo_rollouts, namespace: shop, rollout: 'a..b',\n"
            "             image: 'a:{version}'}\n",
            "line 3: services.checkout.deploy.rollout: 'a..b' is not a Kubernetes resource "
            "name: lowercase letters, digits and '-'",
        ),
        (
            "    deploy: {adapter: argo_rollouts, namespace: 5, rollout: a,\n"
            "             image: 'a:{version}'}\n",
            "line 3: services.checkout.deploy.namespace: expected a Kubernetes namespace name "
            "such as checkout, got the number 5",
        ),
        (
            "    deploy: {adapter: argo_rollouts, namespace: shop, rollout: a}\n",
            "line 3: services.checkout.deploy.image: required key is missing",
        ),
        (
            "    deploy:\n      adapter: argo_rollouts\n      namespace: shop\n      rollout: a\n"
            "      image: reg.acme.io/checkout:latest\n",
            "line 7: services.checkout.deploy.image: 'reg.acme.io/checkout:latest' is not an "
            "image with {version} exactly once: write where the release's version goes, such as "
            '"registry.acme.io/checkout:{version}" (quoted in a {...} mapping)',
        ),
        (
            "    deploy:\n      adapter: argo_rollouts\n      namespace: shop\n      rollout: a\n"
            "      image: 'r/{version}:{version}'\n",
            "line 7: services.checkout.deploy.image: 'r/{version}:{version}' is not an image with "
            "{version} exactly once: write where the release's version goes, such as "
            '"registry.acme.io/checkout:{version}" (quoted in a {...} mapping)',
        ),
        (
            "    deploy:\n      adapter: argo_rollouts\n      namespace: shop\n      rollout: a\n"
            "      image: [a]\n",
            "line 7: services.checkout.deploy.image: expected an image such as "
            '"registry.acme.io/checkout:{version}", got a list',
        ),
        (
            "    deploy:\n      adapter: argo_rollouts\n      namespace: shop\n      rollout: a\n"
            "      image: a:{version}\n      container: App\n",
            "line 8: services.checkout.deploy.container: 'App' is not a Kubernetes container "
            "name: lowercase letters, digits and '-'",
        ),
        (
            "    deploy:\n      adapter: webhook\n      url: ftp://deploy\n",
            "line 5: services.checkout.deploy.url: 'ftp://deploy' is not an http(s) URL such as "
            "https://api.github.com",
        ),
        (
            "    deploy:\n      adapter: webhook\n      url: https://d\n      poll: 0s\n",
            "line 6: services.checkout.deploy.poll: a duration here must be more than 0s, got 0s",
        ),
        (
            "    deploy:\n      adapter: command\n      run: deploy/checkout.sh --fast\n",
            "line 5: services.checkout.deploy.run: 'deploy/checkout.sh --fast' is run without a "
            "shell, as one program: to pass arguments, write a list such as "
            "[deploy/checkout.sh, --fast]",
        ),
        (
            "    deploy:\n      adapter: command\n      run:\n        - go.sh\n        - 3\n",
            "line 7: services.checkout.deploy.run[1]: expected an argument as text, "
            "got the number 3: put it in quotes",
        ),
        (
            "    deploy:\n      adapter: command\n      run: []\n",
            "line 5: services.checkout.deploy.run: run needs the program to run, such as "
            "deploy/checkout.sh",
        ),
        (
            "    deploy:\n      adapter: command\n      run: ''\n",
            "line 5: services.checkout.deploy.run: run needs the program to run, such as "
            "deploy/checkout.sh",
        ),
        (
            "    deploy: {adapter: command}\n",
            "line 3: services.checkout.deploy.run: required key is missing",
        ),
        (
            "    deploy: {adapter: github_actions, repo: acme/shop, workflow: deploy}\n",
            "line 3: services.checkout.deploy.workflow: 'deploy' is not a workflow: name its file "
            "in .github/workflows, such as deploy.yml",
        ),
        (
            "    deploy: {adapter: github_actions, repo: acme, workflow: d.yml}\n",
            "line 3: services.checkout.deploy.repo: 'acme' is not a GitHub repository: write "
            "owner/name, such as acme/shop",
        ),
    ],
)
def test_deploy_errors_name_their_line_and_key(body: str, message: str) -> None:
    assert error(body) == message


# --- strategy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "    paths: []\n",
        "    strategy:\n",
        "    strategy: {}\n",
        "    strategy:\n      canary:\n",
        "    strategy:\n      canary: {}\n",
        "    strategy:\n      canary: {analysis: []}\n",
    ],
)
def test_the_default_strategy_is_a_canary_without_analysis(body: str) -> None:
    plan = service(body).strategy.plan()
    assert plan == CanaryPlan(steps=DEFAULT_STEPS, analysis=())
    assert StrategyConfig().plan() == plan
    assert CanaryConfig().plan() == plan


def test_a_canary_with_its_analyses() -> None:
    body = canary(
        "        steps:\n"
        "          - {weight: 0, pause: 1m}\n"
        "          - {weight: 25}\n"
        "          - {weight: 100, pause: 2m}\n"
        "        analysis:\n"
        + analysis("            interval: 5s\n            count: 2\n")
        + analysis("            failure: '< 0.5'\n            failure_limit: 1\n", name="up")
    )
    up = Condition(op=">=", threshold=1.0)
    assert service(body).strategy.plan() == CanaryPlan(
        steps=(Step(0, 60 * S), Step(25), Step(100, 120 * S)),
        analysis=(
            AnalysisSpec(
                name="error-rate",
                query='up{version="{{canary}}"}',
                success=up,
                interval=5 * S,
                count=2,
            ),
            AnalysisSpec(
                name="up",
                query='up{version="{{canary}}"}',
                success=up,
                failure=Condition(op="<", threshold=0.5),
                failure_limit=1,
            ),
        ),
    )


def test_blue_green() -> None:
    body = (
        "    strategy:\n      blue_green:\n        auto_promote: true\n"
        "        scale_down_delay: 5m\n        preview_analysis:\n" + analysis()
    )
    plan = service(body).strategy.plan()
    assert isinstance(plan, BlueGreenPlan)
    assert plan.auto_promote is True
    assert plan.scale_down_delay == 300 * S
    assert [spec.name for spec in plan.preview_analysis] == ["error-rate"]
    assert service("    strategy:\n      blue_green:\n").strategy.plan() == BlueGreenPlan()
    assert BlueGreenConfig().plan() == BlueGreenPlan()


def test_config_steps_convert_to_domain_steps() -> None:
    assert StepConfig(weight=10, pause="30s").step() == Step(10, 30 * S)
    assert StepConfig(weight=100).step() == Step(100)


STEPS = "    strategy:\n      canary:\n        steps: "


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "    strategy:\n      canary: {}\n      blue_green: {}\n",
            "line 3: services.checkout.strategy: a strategy is either canary or blue_green, "
            "not both",
        ),
        (
            "    strategy:\n      rolling: {}\n",
            "line 4: services.checkout.strategy.rolling: unknown key; the keys here are: "
            "canary, blue_green",
        ),
        (
            "    strategy:\n      canary:\n        step: []\n",
            "line 5: services.checkout.strategy.canary.step: unknown key; did you mean 'steps'?",
        ),
        (
            STEPS + "[{weight: 10}, {weight: 5}, {weight: 100}]\n",
            "line 5: services.checkout.strategy.canary.steps: step 2 has weight 5, but weights "
            "must go up: step 1 has 10",
        ),
        (
            STEPS + "[{weight: 10}, {weight: 50}]\n",
            "line 5: services.checkout.strategy.canary.steps: the last step has weight 50: "
            "a canary ends with {weight: 100}",
        ),
        (
            STEPS + "[]\n",
            "line 5: services.checkout.strategy.canary.steps: a canary needs at least one step, "
            "such as {weight: 100}",
        ),
        (
            STEPS + "\n          - {weight: 10}\n          - {weight: 101}\n",
            "line 7: services.checkout.strategy.canary.steps[1].weight: a weight is a "
            "percentage from 0 to 100, got 101",
        ),
        (
            STEPS + "[{weight: '10%'}, {weight: 100}]\n",
            "line 5: services.checkout.strategy.canary.steps[0].weight: expected a weight from "
            "0 to 100, got text '10%'",
        ),
        (
            STEPS + "[{weight: true}]\n",
            "line 5: services.checkout.strategy.canary.steps[0].weight: expected a weight from "
            "0 to 100, got true (true/false)",
        ),
        (
            STEPS + "[{pause: 1m}, {weight: 100}]\n",
            "line 5: services.checkout.strategy.canary.steps[0].weight: required key is missing",
        ),
        (
            STEPS + "[{weight: 10, pause: 0s}, {weight: 100}]\n",
            "line 5: services.checkout.strategy.canary.steps[0].pause: a duration here must be "
            "more than 0s, got 0s",
        ),
        (
            "    strategy:\n      blue_green: {scale_down_delay: soon}\n",
            "line 4: services.checkout.strategy.blue_green.scale_down_delay: 'soon' is not a "
            "duration: use a number with a unit, e.g. 30s, 15m, 1h, 2d or 1h30m",
        ),
    ],
)
def test_strategy_errors_name_their_line_and_key(body: str, message: str) -> None:
    assert error(body) == message


ANALYSIS = "services.checkout.strategy.canary.analysis[0]"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "            failure: '> five'\n",
            f"line 9: {ANALYSIS}.failure: '> five' is not a condition: write an operator "
            '(<, <=, >, >= or ==) and a number, such as "< 0.01"',
        ),
        (
            "            interval: 0s\n",
            f"line 9: {ANALYSIS}.interval: a duration here must be more than 0s, got 0s",
        ),
        (
            "            count: 0\n",
            f"line 9: {ANALYSIS}.count: expected a whole number of at least 1, got the number 0",
        ),
        (
            "            failure_limit: -1\n",
            f"line 9: {ANALYSIS}.failure_limit: expected a whole number of at least 0, "
            "got the number -1",
        ),
        (
            "            inconclusive_limit: 1.5\n",
            f"line 9: {ANALYSIS}.inconclusive_limit: expected a whole number of at least 0, "
            "got the number 1.5",
        ),
        (
            "            count: 2\n            failure_limit: 2\n",
            f"line 6: {ANALYSIS}: failure_limit must be from 0 to count - 1 (1), got 2: a limit "
            "of count or more can never be exceeded",
        ),
        (
            "            timeout: 5s\n",
            f"line 9: {ANALYSIS}.timeout: unknown key; the keys here are: name, query, success, "
            "failure, interval, count, failure_limit, inconclusive_limit",
        ),
    ],
)
def test_analysis_errors_name_their_line_and_key(extra: str, message: str) -> None:
    assert error(canary("        analysis:\n" + analysis(extra))) == message


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            "          - {name: e, query: 'x{{ canry }}', success: '< 1'}\n",
            "query: unknown placeholder {{canry}} in the query; did you mean {{canary}}? use "
            "{{canary}}, {{stable}}, {{service}}, {{release}}",
        ),
        (
            "          - {name: e, query: ' ', success: '< 1'}\n",
            "query: a query cannot be empty: write the PromQL to measure",
        ),
        (
            "          - {name: e, query: [up], success: '< 1'}\n",
            "query: expected a PromQL query, got a list",
        ),
        (
            "          - {name: Error Rate, query: up, success: '< 1'}\n",
            "name: 'Error Rate' is not a valid name: use lowercase letters, digits and '-' "
            "(e.g. web-app)",
        ),
        (
            "          - {name: e, query: up, success: 0.01}\n",
            'success: expected a condition such as "< 0.01", got the number 0.01',
        ),
        ("          - {name: e, query: up}\n", "success: required key is missing"),
    ],
)
def test_analysis_item_errors(item: str, message: str) -> None:
    assert error(canary("        analysis:\n" + item)) == f"line 6: {ANALYSIS}.{message}"


def test_analyses_need_distinct_names() -> None:
    body = canary("        analysis:\n" + analysis() + analysis())
    assert error(body) == (
        "line 5: services.checkout.strategy.canary.analysis: two analyses are called "
        "'error-rate': give each its own name"
    )
    preview = "    strategy:\n      blue_green:\n        preview_analysis:\n"
    assert error(preview + analysis() + analysis()) == (
        "line 5: services.checkout.strategy.blue_green.preview_analysis: two analyses are "
        "called 'error-rate': give each its own name"
    )


def test_a_condition_from_python_is_kept() -> None:
    condition = Condition(op="<", threshold=1.0)
    config = CanaryConfig.model_validate(
        {"analysis": [{"name": "e", "query": "up", "success": condition}]}
    )
    assert config.analysis[0].success is condition


# --- prometheus -------------------------------------------------------------------------


def test_prometheus() -> None:
    text = "integrations:\n  prometheus: {url: 'http://prometheus:9090/'}\n"
    prometheus = parse_config(text=text).integrations.prometheus
    assert prometheus == PrometheusConfig(url="http://prometheus:9090")
    assert parse_config(text="").integrations.prometheus is None
    assert parse_config(text="integrations:\n  prometheus:\n").integrations.prometheus is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "integrations:\n  prometheus:\n    url: prometheus:9090\n",
            "line 3: integrations.prometheus.url: 'prometheus:9090' is not an http(s) URL such "
            "as https://api.github.com",
        ),
        (
            "integrations:\n  prometheus: {}\n",
            "line 2: integrations.prometheus.url: required key is missing",
        ),
        (
            "integrations:\n  prometheus: {url: 'http://p', timeout: 5s}\n",
            "line 2: integrations.prometheus.timeout: unknown key; the keys here are: url",
        ),
    ],
)
def test_prometheus_errors(text: str, message: str) -> None:
    assert first_error(text) == message
