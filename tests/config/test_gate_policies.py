"""The ``gate_policies`` section: named policies, built-ins, and the trains that name them."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from bot.config import parse_config
from bot.config.gates import GatePolicyConfig, SecurityRuleConfig, TestsRuleConfig, policy_of
from bot.domain.gates import (
    DEFAULT_POLICY,
    HOTFIX_POLICY,
    Allowance,
    CoverageRule,
    Gate,
    GatePolicy,
    PerformanceRule,
    Require,
    SecurityRule,
    TestsRule,
)
from bot.domain.reports import Severity
from tests.config.helpers import errors_of, first_error

FULL = """\
gate_policies:
  default:
    unit: {require: all_pass}
    integration:
    e2e:
      require: critical
      critical: ["checkout*", "login*"]
      min_tests: 3
    coverage: {min_line: 85, min_branch: 70, max_drop: 0.5}
    performance: {max_regression_pct: 10}
    security:
      fail_on: medium
      allow:
        - rule: B101
          reason: asserts in tests
          until: 2027-01-31
        - {rule: B105, reason: "  fixtures hold fake passwords  "}
    timeout: 90m
"""


def policy(body: str) -> str:
    """A ``default`` policy with ``body`` (indented four spaces) as its content."""
    return "gate_policies:\n  default:\n" + body


def test_a_full_policy_becomes_the_domain_policy() -> None:
    config = parse_config(text=FULL)
    assert config.gate_policy("default") == GatePolicy(
        name="default",
        rules={
            Gate.UNIT: TestsRule(require=Require.ALL_PASS, critical=(), min_tests=1),
            Gate.INTEGRATION: TestsRule(),
            Gate.E2E: TestsRule(
                require=Require.CRITICAL, critical=("checkout*", "login*"), min_tests=3
            ),
            Gate.COVERAGE: CoverageRule(min_line=85.0, min_branch=70.0, max_drop=0.5),
            Gate.PERFORMANCE: PerformanceRule(max_regression_pct=10.0),
            Gate.SECURITY: SecurityRule(
                fail_on=Severity.MEDIUM,
                allow=(
                    Allowance(rule="B101", reason="asserts in tests", until=date(2027, 1, 31)),
                    Allowance(rule="B105", reason="fixtures hold fake passwords", until=None),
                ),
            ),
        },
        timeout=timedelta(minutes=90),
    )


def test_a_configured_default_replaces_the_built_in_one() -> None:
    config = parse_config(text=policy("    unit:\n    timeout: 30m\n"))
    default = config.gate_policy("default")
    assert default == GatePolicy(
        name="default", rules={Gate.UNIT: TestsRule()}, timeout=timedelta(minutes=30)
    )
    assert default != DEFAULT_POLICY
    # the other built-in stays
    assert config.gate_policy("hotfix") is HOTFIX_POLICY


@pytest.mark.parametrize("text", ["", "gate_policies:\n", "gate_policies: {}\n"])
def test_the_built_in_policies_exist_without_a_section(text: str) -> None:
    config = parse_config(text=text)
    assert config.gate_policies == {}
    assert config.gate_policy("default") is DEFAULT_POLICY
    assert config.gate_policy("hotfix") is HOTFIX_POLICY


def test_an_unknown_policy_name_is_none() -> None:
    config = parse_config(text=FULL)
    assert config.gate_policy("nightly") is None
    assert config.gate_policy("Default") is None


def test_a_new_policy_sits_beside_the_built_ins() -> None:
    text = "gate_policies:\n  nightly:\n    performance: {max_regression_pct: 2}\n"
    config = parse_config(text=text)
    assert config.gate_policy("nightly") == GatePolicy(
        name="nightly", rules={Gate.PERFORMANCE: PerformanceRule(max_regression_pct=2.0)}
    )
    assert config.gate_policy("default") is DEFAULT_POLICY


@pytest.mark.parametrize(
    ("gate", "rule"),
    [
        ("unit", TestsRule()),
        ("integration", TestsRule()),
        ("e2e", TestsRule()),
        ("coverage", CoverageRule(min_line=90.0, min_branch=None, max_drop=None)),
        ("performance", PerformanceRule(max_regression_pct=5.0)),
        ("security", SecurityRule(fail_on=Severity.HIGH, allow=())),
    ],
)
def test_a_gate_named_with_nothing_after_it_is_required_with_defaults(
    gate: str, rule: TestsRule | CoverageRule | PerformanceRule | SecurityRule
) -> None:
    for body in (f"    {gate}:\n", f"    {gate}: {{}}\n"):
        configured = parse_config(text=policy(body)).gate_policy("default")
        assert configured is not None
        assert dict(configured.rules) == {Gate(gate): rule}


def test_a_gate_left_out_is_not_required() -> None:
    configured = parse_config(text=policy("    unit:\n    security:\n")).gate_policy("default")
    assert configured is not None
    assert configured.gates == (Gate.UNIT, Gate.SECURITY)
    assert Gate.COVERAGE not in configured.rules


def test_gates_come_in_the_canonical_order_whatever_the_file_order() -> None:
    body = "    security:\n    coverage:\n    unit:\n    e2e:\n"
    configured = parse_config(text=policy(body)).gate_policy("default")
    assert configured is not None
    assert configured.gates == (Gate.UNIT, Gate.E2E, Gate.COVERAGE, Gate.SECURITY)


def test_an_empty_policy_is_refused_rather_than_passing_everything() -> None:
    assert first_error(policy("")) == (
        "line 2: gate_policies.default: a gate policy needs at least one gate: unit, "
        "integration, e2e, coverage, performance, security"
    )


@pytest.mark.parametrize(
    ("written", "severity"), [("low", Severity.LOW), ("CRITICAL", Severity.CRITICAL)]
)
def test_fail_on_is_a_severity_in_any_case(written: str, severity: Severity) -> None:
    text = policy(f"    security:\n      fail_on: {written}\n")
    configured = parse_config(text=text).gate_policy("default")
    assert configured is not None
    assert configured.rules[Gate.SECURITY] == SecurityRule(fail_on=severity)


@pytest.mark.parametrize("until", ["2027-01-31", "'2027-01-31'"])
def test_an_allowance_until_is_a_date(until: str) -> None:
    text = policy(
        f"    security:\n      allow:\n        - {{rule: B101, reason: ok, until: {until}}}\n"
    )
    configured = parse_config(text=text).gate_policy("default")
    assert configured is not None
    assert configured.rules[Gate.SECURITY] == SecurityRule(
        allow=(Allowance(rule="B101", reason="ok", until=date(2027, 1, 31)),)
    )


@pytest.mark.parametrize(
    ("body", "rules"),
    [
        ("    security:\n      allow:\n", {Gate.SECURITY: SecurityRule(allow=())}),
        ("    e2e:\n      critical:\n", {Gate.E2E: TestsRule(critical=())}),
    ],
)
def test_an_empty_list_is_no_items(body: str, rules: dict[Gate, object]) -> None:
    configured = parse_config(text=policy(body)).gate_policy("default")
    assert configured is not None
    assert configured.rules == rules


def test_policy_of_prefers_configured_then_built_in() -> None:
    configured = {"hotfix": GatePolicyConfig(unit=TestsRuleConfig())}
    assert policy_of(configured, "hotfix") == GatePolicy(
        name="hotfix", rules={Gate.UNIT: TestsRule()}
    )
    assert policy_of(configured, "default") is DEFAULT_POLICY
    assert policy_of({}, "hotfix") is HOTFIX_POLICY
    assert policy_of(configured, "weekly") is None


def test_a_severity_object_is_taken_as_it_is() -> None:
    config = GatePolicyConfig(security=SecurityRuleConfig(fail_on=Severity.LOW))
    assert config.policy(name="p").rules == {Gate.SECURITY: SecurityRule(fail_on=Severity.LOW)}


# errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(
            "    coverage:\n      min_line: 120\n",
            "line 4: gate_policies.default.coverage.min_line: "
            "Input should be less than or equal to 100",
            id="min_line-over-100",
        ),
        pytest.param(
            "    coverage: {min_branch: -1}\n",
            "line 3: gate_policies.default.coverage.min_branch: "
            "Input should be greater than or equal to 0",
            id="min_branch-negative",
        ),
        pytest.param(
            "    coverage: {max_drop: 101}\n",
            "line 3: gate_policies.default.coverage.max_drop: "
            "Input should be less than or equal to 100",
            id="max_drop-over-100",
        ),
        pytest.param(
            "    security:\n      fail_on: none\n",
            "line 4: gate_policies.default.security.fail_on: "
            "fail_on: none would fail on every finding: use low, medium or high",
            id="fail_on-none",
        ),
        pytest.param(
            "    security:\n      fail_on: extreme\n",
            "line 4: gate_policies.default.security.fail_on: "
            "unknown severity 'extreme' (one of none, low, medium, high, critical)",
            id="fail_on-unknown",
        ),
        pytest.param(
            "    security:\n      fail_on: 3\n",
            "line 4: gate_policies.default.security.fail_on: "
            "expected a severity such as high, got the number 3",
            id="fail_on-number",
        ),
        pytest.param(
            "    security:\n      allow:\n        - rule: B101\n",
            "line 5: gate_policies.default.security.allow[0].reason: required key is missing",
            id="allow-without-reason",
        ),
        pytest.param(
            "    security:\n      allow:\n        - {rule: B101, reason: '   '}\n",
            "line 5: gate_policies.default.security.allow[0].reason: "
            "an allowance needs a reason: say why the finding is accepted",
            id="allow-blank-reason",
        ),
        pytest.param(
            "    security:\n      allow:\n        - {rule: B101, reason: ''}\n",
            "line 5: gate_policies.default.security.allow[0].reason: "
            "String should have at least 1 character",
            id="allow-empty-reason",
        ),
        pytest.param(
            "    security:\n      allow:\n        - {reason: ok}\n",
            "line 5: gate_policies.default.security.allow[0].rule: required key is missing",
            id="allow-without-rule",
        ),
        pytest.param(
            "    security:\n      allow:\n        - {rule: B1, reason: ok, until: soon}\n",
            "line 5: gate_policies.default.security.allow[0].until: "
            "Input should be a valid date or datetime, input is too short",
            id="until-not-a-date",
        ),
        pytest.param(
            "    security:\n      allow:\n        - {rule: B1, reason: ok, untill: 2027-01-01}\n",
            "line 5: gate_policies.default.security.allow[0].untill: "
            "unknown key; did you mean 'until'?",
            id="allow-unknown-key",
        ),
        pytest.param(
            "    e2e:\n      critical: ['checkout*', ' ']\n",
            "line 4: gate_policies.default.e2e.critical: "
            "a critical pattern cannot be empty: use a name such as checkout*",
            id="critical-empty-pattern",
        ),
        pytest.param(
            "    e2e:\n      critical: checkout*\n",
            "line 4: gate_policies.default.e2e.critical: expected a list, got text 'checkout*'",
            id="critical-not-a-list",
        ),
        pytest.param(
            "    unit:\n      require: some\n",
            "line 4: gate_policies.default.unit.require: Input should be 'all_pass' or 'critical'",
            id="require-unknown",
        ),
        pytest.param(
            "    unit:\n      min_tests: -1\n",
            "line 4: gate_policies.default.unit.min_tests: "
            "Input should be greater than or equal to 0",
            id="min_tests-negative",
        ),
        pytest.param(
            "    performance:\n      max_regression_pct: -1\n",
            "line 4: gate_policies.default.performance.max_regression_pct: "
            "Input should be greater than or equal to 0",
            id="max_regression-negative",
        ),
        pytest.param(
            "    coverage:\n      min_lines: 80\n",
            "line 4: gate_policies.default.coverage.min_lines: unknown key; "
            "did you mean 'min_line'?",
            id="unknown-rule-key",
        ),
        pytest.param(
            "    units: {}\n",
            "line 3: gate_policies.default.units: unknown key; did you mean 'unit'?",
            id="unknown-gate",
        ),
        pytest.param(
            "    timeout: soon\n",
            "line 3: gate_policies.default.timeout: 'soon' is not a duration: use a number "
            "with a unit, e.g. 30s, 15m, 1h, 2d or 1h30m",
            id="timeout-not-a-duration",
        ),
        pytest.param(
            "    timeout: 0s\n",
            "line 3: gate_policies.default.timeout: a duration here must be more than 0s, got 0s",
            id="timeout-zero",
        ),
    ],
)
def test_policy_errors_name_the_line_and_key(body: str, error: str) -> None:
    assert errors_of(policy(body)) == [error]


def test_a_policy_must_be_a_mapping() -> None:
    assert first_error("gate_policies:\n  default: [unit]\n") == (
        "line 2: gate_policies.default: expected a mapping of keys, got a list"
    )


def test_a_policy_name_must_be_a_slug() -> None:
    assert first_error("gate_policies:\n  Nightly Run: {}\n") == (
        "line 2: gate_policies.Nightly Run: 'Nightly Run' is not a valid name: "
        "use lowercase letters, digits and '-' (e.g. web-app)"
    )


def test_every_policy_error_is_reported() -> None:
    text = policy("    coverage:\n      min_line: 120\n    security:\n      fail_on: extreme\n")
    assert errors_of(text) == [
        "line 4: gate_policies.default.coverage.min_line: "
        "Input should be less than or equal to 100",
        "line 6: gate_policies.default.security.fail_on: "
        "unknown severity 'extreme' (one of none, low, medium, high, critical)",
    ]


# trains naming policies -------------------------------------------------------------------

NIGHTLY = "gate_policies:\n  nightly:\n    unit:\n"


def train(**keys: str) -> str:
    lines = "".join(f"    {key}: {value}\n" for key, value in keys.items())
    return "trains:\n  web:\n    channel: '#w'\n" + lines


def test_a_train_uses_the_built_in_policies_by_default() -> None:
    web = parse_config(text=train()).trains["web"]
    assert (web.gate_policy, web.hotfix_gate_policy) == ("default", "hotfix")


def test_a_train_may_name_a_configured_policy() -> None:
    config = parse_config(text=NIGHTLY + train(gate_policy="nightly", hotfix_gate_policy="default"))
    web = config.trains["web"]
    assert config.gate_policy(web.gate_policy) == GatePolicy(
        name="nightly", rules={Gate.UNIT: TestsRule()}
    )
    assert config.gate_policy(web.hotfix_gate_policy) is DEFAULT_POLICY


def test_a_train_naming_an_unknown_policy_gets_a_did_you_mean() -> None:
    assert first_error(train(gate_policy="defualt")) == (
        "line 4: trains.web.gate_policy: unknown gate policy 'defualt'; did you mean 'default'? "
        "(define it under gate_policies)"
    )


def test_a_did_you_mean_includes_configured_policies() -> None:
    assert first_error(NIGHTLY + train(hotfix_gate_policy="nightyl")) == (
        "line 7: trains.web.hotfix_gate_policy: unknown gate policy 'nightyl'; "
        "did you mean 'nightly'? (define it under gate_policies)"
    )


def test_an_unknown_policy_with_nothing_close_lists_the_policies() -> None:
    assert errors_of(NIGHTLY + train(gate_policy="weekly", hotfix_gate_policy="urgent")) == [
        "line 7: trains.web.gate_policy: unknown gate policy 'weekly'; "
        "the policies are: default, hotfix, nightly (define it under gate_policies)",
        "line 8: trains.web.hotfix_gate_policy: unknown gate policy 'urgent'; "
        "the policies are: default, hotfix, nightly (define it under gate_policies)",
    ]


def test_a_policy_dumps_to_what_it_was_read_from() -> None:
    config = parse_config(
        text="gate_policies:\n  strict:\n    security: {fail_on: medium}\n    timeout: 90m\n"
    )
    dumped = config.model_dump(mode="json", exclude_defaults=True)
    assert dumped["gate_policies"]["strict"]["security"] == {"fail_on": "medium"}
    assert parse_config(text=json.dumps(dumped)) == config
