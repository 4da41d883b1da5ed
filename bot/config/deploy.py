"""How a service deploys (``deploy``), how it rolls out (``strategy``), and where Prometheus is.

::

    services:
      checkout:
        deploy: {adapter: argo_rollouts, namespace: shop, rollout: checkout,
                 image: "registry.acme.io/checkout:{version}"}
        strategy:
          canary:
            steps: [{weight: 10, pause: 5m}, {weight: 50, pause: 10m}, {weight: 100}]
            analysis:
              - {name: error-rate, query: "...", success: "< 0.01", failure: "> 0.05"}
          # or blue_green: {preview_analysis: [...], auto_promote: false, scale_down_delay: 30s}
    integrations:
      prometheus: {url: "http://127.0.0.1:9090"}

``deploy`` picks its adapter by name (:data:`ADAPTERS`). Without it a service deploys to the
built-in ``sim`` target; without ``strategy`` it rolls out as a canary of
:data:`bot.domain.canary.DEFAULT_STEPS` (10% for 30s, 50% for 30s, then 100%) with no
analysis. Steps, conditions and queries are checked by :mod:`bot.domain.canary` itself, so
the file and the rules cannot disagree; ``.plan()`` and ``.spec()`` give the domain types.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.config.base import CONFIG_DIR, Section
from bot.config.fields import (
    Duration,
    GitBranch,
    GitHubRepo,
    HttpUrl,
    Slug,
    describe,
    none_as_empty,
    text_value,
)
from bot.domain.analysis import AnalysisSpec, Condition, check_query
from bot.domain.canary import DEFAULT_STEPS, BlueGreenPlan, CanaryPlan, Step
from bot.domain.names import closest

__all__ = [
    "ADAPTERS", "AnalysisConfig", "ArgoRolloutsDeploy", "BlueGreenConfig", "CanaryConfig",
    "CommandDeploy", "DeployConfig", "GitHubActionsDeploy", "PrometheusConfig", "SimDeploy",
    "StepConfig", "StrategyConfig", "WebhookDeploy",
]  # fmt: skip

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_NAMESPACE = re.compile(_LABEL, re.ASCII)
_RESOURCE = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*", re.ASCII)
_WORKFLOW = re.compile(r"[A-Za-z0-9_.-]+\.ya?ml|[0-9]+", re.ASCII)


def _kubernetes_name(pattern: re.Pattern[str], what: str) -> PlainValidator:
    def check(value: object) -> str:
        text = text_value(value, what=f"a Kubernetes {what} name such as checkout")
        if pattern.fullmatch(text):
            return text
        raise ValueError(
            f"{text!r} is not a Kubernetes {what} name: lowercase letters, digits and '-'"
        )

    return PlainValidator(check)


def _workflow(value: object) -> str:
    text = text_value(value, what="a workflow file such as deploy.yml")
    if _WORKFLOW.fullmatch(text):
        return text
    raise ValueError(
        f"{text!r} is not a workflow: name its file in .github/workflows, such as deploy.yml"
    )


def _one_program(value: Any) -> Any:
    if isinstance(value, str):
        if any(char.isspace() for char in value.strip()):
            raise ValueError(
                f"{value!r} is run without a shell, as one program: to pass arguments, write "
                "a list such as [deploy/checkout.sh, --fast]"
            )
        return [value.strip()]
    return none_as_empty(value)


def _argument(value: object) -> str:
    if isinstance(value, str):
        return value
    raise ValueError(f"expected an argument as text, got {describe(value)}: put it in quotes")


def _image(value: object) -> str:
    text = text_value(value, what='an image such as "registry.acme.io/checkout:{version}"')
    if text.count("{version}") != 1 or any(char.isspace() for char in text):
        raise ValueError(
            f"{text!r} is not an image with {{version}} exactly once: write where the release's "
            'version goes, such as "registry.acme.io/checkout:{version}" (quoted in a {...} '
            "mapping)"
        )
    return text


class ArgoRolloutsDeploy(Section):
    """An Argo Rollouts ``Rollout``, driven through the Kubernetes API. ``image`` is the
    container's image with ``{version}`` where the release's version goes; ``container`` names
    the container to deploy when the pod has several."""

    adapter: Literal["argo_rollouts"] = "argo_rollouts"
    namespace: Annotated[str, _kubernetes_name(_NAMESPACE, "namespace")]
    rollout: Annotated[str, _kubernetes_name(_RESOURCE, "resource")]
    image: Annotated[str, PlainValidator(_image)]
    container: Annotated[str, _kubernetes_name(_NAMESPACE, "container")] | None = None


class WebhookDeploy(Section):
    """The team's own deploy service: signed JSON POSTed to ``url``, its status polled."""

    adapter: Literal["webhook"] = "webhook"
    url: HttpUrl
    poll: Duration = timedelta(seconds=10)


class CommandDeploy(Section):
    """A program run without a shell, once per action, with ACTION, SERVICE, VERSION, ... in
    its environment. A program with a ``/`` is a path, relative to the config file's directory
    (``./deploy.sh`` for one beside it); a bare name (``helm``) is looked up on ``PATH``."""

    adapter: Literal["command"] = "command"
    run: Annotated[
        tuple[Annotated[str, PlainValidator(_argument)], ...], BeforeValidator(_one_program)
    ]
    timeout: Duration = timedelta(minutes=5)

    @field_validator("run")
    @classmethod
    def _program(cls, run: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if not run or not run[0].strip():
            raise ValueError("run needs the program to run, such as deploy/checkout.sh")
        program, base = Path(run[0]), (info.context or {}).get(CONFIG_DIR)
        if "/" not in run[0] or program.is_absolute() or base is None:
            return run
        return (str(Path(base) / program), *run[1:])


class GitHubActionsDeploy(Section):
    """A GitHub Actions workflow, started with ``workflow_dispatch`` on ``ref``."""

    adapter: Literal["github_actions"] = "github_actions"
    repo: GitHubRepo
    workflow: Annotated[str, PlainValidator(_workflow)]
    ref: GitBranch = "main"


class SimDeploy(Section):
    """The built-in sim fleet on loopback: local mode, tests and benchmarks."""

    adapter: Literal["sim"] = "sim"


_MODELS: dict[str, type[Section]] = {
    "argo_rollouts": ArgoRolloutsDeploy,
    "webhook": WebhookDeploy,
    "command": CommandDeploy,
    "github_actions": GitHubActionsDeploy,
    "sim": SimDeploy,
}
ADAPTERS = tuple(_MODELS)
"""The deploy adapters by name, as ``adapter:`` takes them."""


def _adapter_named(value: Any) -> Any:
    """Check the adapter and its keys here, so each problem has a did-you-mean."""
    if value is None:
        return {"adapter": "sim"}
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping such as {{adapter: sim}}, got {describe(value)}")
    adapter = value.get("adapter")
    if adapter is None:
        raise ValueError(f"a deploy needs its adapter: one of {', '.join(ADAPTERS)}")
    if adapter not in ADAPTERS:
        close = closest(str(adapter), ADAPTERS)
        hint = f"did you mean '{close}'? " if close else ""
        raise ValueError(
            f"unknown adapter {adapter!r}; {hint}the adapters are: {', '.join(ADAPTERS)}"
        )
    keys = list(_MODELS[adapter].model_fields)
    for key in value:
        if key not in keys:
            close = closest(str(key), keys)
            hint = f"did you mean '{close}'?" if close else f"its keys are: {', '.join(keys)}"
            raise ValueError(f"unknown key '{key}' for the {adapter} adapter; {hint}")
    return value


DeployConfig = Annotated[
    ArgoRolloutsDeploy | WebhookDeploy | CommandDeploy | GitHubActionsDeploy | SimDeploy,
    Field(discriminator="adapter"),
    BeforeValidator(_adapter_named),
]
"""A service's deploy target, one model per adapter; ``.adapter`` names it."""


def _weight(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a weight from 0 to 100, got {describe(value)}")
    return Step(weight=value).weight


def _whole(minimum: int) -> PlainValidator:
    def check(value: object) -> int:
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
            return value
        raise ValueError(f"expected a whole number of at least {minimum}, got {describe(value)}")

    return PlainValidator(check)


def _condition(value: object) -> Condition:
    if isinstance(value, Condition):
        return value
    return Condition.parse(text_value(value, what='a condition such as "< 0.01"'))


def _query(value: object) -> str:
    text = text_value(value, what="a PromQL query")
    check_query(text)
    return text


ConditionField = Annotated[Condition, PlainValidator(_condition), PlainSerializer(str)]


class StepConfig(Section):
    """Send ``weight`` percent of the traffic to the new version, then wait ``pause``."""

    weight: Annotated[int, PlainValidator(_weight)]
    pause: Duration | None = None

    def step(self) -> Step:
        return Step(weight=self.weight, pause=self.pause)


class AnalysisConfig(Section):
    """A query measured ``count`` times, ``interval`` apart, during each analysed step."""

    name: Slug
    query: Annotated[str, PlainValidator(_query)]
    success: ConditionField
    failure: ConditionField | None = None
    interval: Duration = timedelta(seconds=30)
    count: Annotated[int, _whole(1)] = 5
    failure_limit: Annotated[int, _whole(0)] = 0
    inconclusive_limit: Annotated[int, _whole(0)] = 0

    @model_validator(mode="after")
    def _reachable(self) -> AnalysisConfig:
        self.spec()
        return self

    def spec(self) -> AnalysisSpec:
        return AnalysisSpec(
            name=self.name,
            query=self.query,
            success=self.success,
            failure=self.failure,
            interval=self.interval,
            count=self.count,
            failure_limit=self.failure_limit,
            inconclusive_limit=self.inconclusive_limit,
        )


Analyses = Annotated[tuple[AnalysisConfig, ...], BeforeValidator(none_as_empty)]


def _specs(analyses: tuple[AnalysisConfig, ...]) -> tuple[AnalysisSpec, ...]:
    return tuple(analysis.spec() for analysis in analyses)


class CanaryConfig(Section):
    """Steps of increasing weight that end at 100, each analysed after its weight is set."""

    steps: Annotated[tuple[StepConfig, ...], BeforeValidator(none_as_empty)] = tuple(
        StepConfig.model_construct(weight=step.weight, pause=step.pause) for step in DEFAULT_STEPS
    )
    analysis: Analyses = ()

    @field_validator("steps")
    @classmethod
    def _a_plan(cls, steps: tuple[StepConfig, ...]) -> tuple[StepConfig, ...]:
        CanaryPlan(steps=tuple(step.step() for step in steps))
        return steps

    @field_validator("analysis")
    @classmethod
    def _distinct(cls, analysis: tuple[AnalysisConfig, ...]) -> tuple[AnalysisConfig, ...]:
        CanaryPlan(analysis=_specs(analysis))
        return analysis

    def plan(self) -> CanaryPlan:
        return CanaryPlan(
            steps=tuple(step.step() for step in self.steps), analysis=_specs(self.analysis)
        )


class BlueGreenConfig(Section):
    """The new version beside the old with no traffic, analysed, then switched to at once."""

    preview_analysis: Analyses = ()
    auto_promote: bool = False
    scale_down_delay: Duration = timedelta(seconds=30)

    @field_validator("preview_analysis")
    @classmethod
    def _distinct(cls, analysis: tuple[AnalysisConfig, ...]) -> tuple[AnalysisConfig, ...]:
        BlueGreenPlan(preview_analysis=_specs(analysis))
        return analysis

    def plan(self) -> BlueGreenPlan:
        return BlueGreenPlan(
            preview_analysis=_specs(self.preview_analysis),
            auto_promote=self.auto_promote,
            scale_down_delay=self.scale_down_delay,
        )


class StrategyConfig(Section):
    """A canary or a blue-green rollout; neither (or an empty strategy) is the default canary."""

    canary: CanaryConfig | None = None
    blue_green: BlueGreenConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _named_is_chosen(cls, data: Any) -> Any:
        # `blue_green:` alone, with nothing after it, chooses blue-green with its defaults
        if isinstance(data, dict) and len(data) == 1:
            return {k: ({} if v is None and k in cls.model_fields else v) for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _one(self) -> StrategyConfig:
        if self.canary is not None and self.blue_green is not None:
            raise ValueError("a strategy is either canary or blue_green, not both")
        return self

    def plan(self) -> CanaryPlan | BlueGreenPlan:
        if self.blue_green is not None:
            return self.blue_green.plan()
        return (self.canary or CanaryConfig()).plan()


class PrometheusConfig(Section):
    """Prometheus's HTTP API, which canary analyses query. Without it (local mode) the
    analyses are skipped."""

    url: HttpUrl
