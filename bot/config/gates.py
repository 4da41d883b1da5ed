"""The ``gate_policies`` section: named policies, each a rule per gate it requires.

::

    gate_policies:
      default:
        unit: {require: all_pass}
        e2e: {require: all_pass, critical: ["checkout*", "login*"]}
        coverage: {min_line: 90, max_drop: 0.5}
        performance: {max_regression_pct: 5}
        security: {fail_on: high, allow: [{rule: B101, until: 2027-01-31, reason: "..."}]}
        timeout: 2h

A gate left out of a policy is not required by it. The built-in ``default`` and ``hotfix``
policies (:mod:`bot.domain.gates`) exist even when this section is absent; an entry with the
same name replaces the built-in one.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    PlainValidator,
    field_validator,
    model_validator,
)

from bot.config.base import Section
from bot.config.fields import Duration, describe, none_as_empty
from bot.domain.gates import (
    BUILTIN_POLICIES,
    Allowance,
    CoverageRule,
    Gate,
    GatePolicy,
    PerformanceRule,
    Require,
    Rule,
    SecurityRule,
    TestsRule,
)
from bot.domain.reports import Severity

__all__ = ["GatePolicyConfig", "policy_of"]


def _severity(value: object) -> Severity:
    if isinstance(value, Severity):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a severity such as high, got {describe(value)}")
    try:
        severity = Severity.named(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    if severity is Severity.NONE:
        raise ValueError("fail_on: none would fail on every finding: use low, medium or high")
    return severity


_GATES = frozenset(gate.value for gate in Gate)
SeverityField = Annotated[
    Severity, PlainValidator(_severity), PlainSerializer(lambda severity: severity.label)
]
"""A severity written by name (``high``), and dumped the same way."""
Percent = Annotated[float, Field(ge=0, le=100)]


class TestsRuleConfig(Section):
    __test__ = False

    require: Require = Require.ALL_PASS
    critical: Annotated[tuple[str, ...], BeforeValidator(none_as_empty)] = ()
    min_tests: int = Field(default=1, ge=0)

    @field_validator("critical")
    @classmethod
    def _patterns(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        if any(not p.strip() for p in patterns):
            raise ValueError("a critical pattern cannot be empty: use a name such as checkout*")
        return patterns

    def rule(self) -> TestsRule:
        return TestsRule(require=self.require, critical=self.critical, min_tests=self.min_tests)


class CoverageRuleConfig(Section):
    min_line: Percent = 90.0
    min_branch: Percent | None = None
    max_drop: Annotated[float, Field(ge=0, le=100)] | None = None

    def rule(self) -> CoverageRule:
        return CoverageRule(
            min_line=self.min_line, min_branch=self.min_branch, max_drop=self.max_drop
        )


class PerformanceRuleConfig(Section):
    max_regression_pct: Annotated[float, Field(ge=0)] = 5.0

    def rule(self) -> PerformanceRule:
        return PerformanceRule(max_regression_pct=self.max_regression_pct)


class AllowanceConfig(Section):
    rule: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1)
    until: date | None = None

    @field_validator("rule")
    @classmethod
    def _rule_id(cls, rule: str) -> str:
        if not rule.strip():
            raise ValueError("an allowance needs the rule id it accepts, such as B101")
        return rule.strip()

    @field_validator("reason")
    @classmethod
    def _said(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("an allowance needs a reason: say why the finding is accepted")
        return reason.strip()


class SecurityRuleConfig(Section):
    fail_on: SeverityField = Severity.HIGH
    allow: Annotated[tuple[AllowanceConfig, ...], BeforeValidator(none_as_empty)] = ()

    def rule(self) -> SecurityRule:
        return SecurityRule(
            fail_on=self.fail_on,
            allow=tuple(Allowance(rule=a.rule, reason=a.reason, until=a.until) for a in self.allow),
        )


class GatePolicyConfig(Section):
    """One named policy. Each gate it names is required; ``{}`` takes that gate's defaults."""

    unit: TestsRuleConfig | None = None
    integration: TestsRuleConfig | None = None
    e2e: TestsRuleConfig | None = None
    coverage: CoverageRuleConfig | None = None
    performance: PerformanceRuleConfig | None = None
    security: SecurityRuleConfig | None = None
    timeout: Duration = timedelta(hours=2)

    @model_validator(mode="before")
    @classmethod
    def _named_gate_is_required(cls, data: Any) -> Any:
        # `unit:` with nothing after it names the gate: required, with the defaults
        if isinstance(data, dict):
            return {k: ({} if v is None and k in _GATES else v) for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _some_gate(self) -> GatePolicyConfig:
        if all(getattr(self, gate.value) is None for gate in Gate):
            gates = ", ".join(gate.value for gate in Gate)
            raise ValueError(f"a gate policy needs at least one gate: {gates}")
        return self

    def policy(self, *, name: str) -> GatePolicy:
        rules: dict[Gate, Rule] = {}
        for gate in Gate:
            section = getattr(self, gate.value)
            if section is not None:
                rules[gate] = section.rule()
        return GatePolicy(name=name, rules=MappingProxyType(rules), timeout=self.timeout)


def policy_of(configured: dict[str, GatePolicyConfig], name: str) -> GatePolicy | None:
    """The policy called ``name``: configured, else built in, else None."""
    if name in configured:
        return configured[name].policy(name=name)
    return BUILTIN_POLICIES.get(name)
