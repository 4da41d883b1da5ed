"""SARIF 2.1.0 security reports, as bandit, semgrep, trivy and CodeQL write them.

Every ``runs[].results[]`` entry becomes a :class:`~bot.domain.reports.Finding`, except results
that are suppressed (a ``suppressions`` entry whose ``status`` is absent or ``accepted``), gone
since the baseline (``baselineState: "absent"``), or not a problem at all (``kind`` ``pass`` or
``notApplicable``). A run without a ``results`` list (SARIF's way to say the tool failed) is
an error, so that a scan that never finished cannot pass a security gate.

The rule of a result is ``rule.toolComponent.index`` (a CodeQL query pack in ``tool.extensions``)
or else ``tool.driver``, at ``ruleIndex``/``rule.index``, or else found by id. Its severity is the
first of:

1. ``properties["security-severity"]``, a CVSS score, on the result, then on its rule (trivy and
   CodeQL put it on rules), banded by :meth:`~bot.domain.reports.Severity.from_cvss`;
2. ``properties.issue_severity`` (bandit's ``HIGH``/``MEDIUM``/``LOW``) on the result, then rule;
3. the SARIF level: ``result.level``, else the rule's ``defaultConfiguration.level``, else
   ``warning`` (``none`` for a ``kind`` other than ``fail``, as the spec says); error → HIGH,
   warning → MEDIUM, note → LOW, none → NONE.

A score or name that cannot be read falls through to the next source; a level outside the four
SARIF names is an error. The file is the first location's ``artifactLocation.uri``
(percent-decoded, ``file://`` stripped, a relative uri left relative to its ``uriBaseId``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, BinaryIO
from urllib.parse import unquote

from bot.domain.reports import Finding, SecurityReport, Severity
from bot.errors import ReportError
from integrations.ci import jsonio

__all__ = ["MAX_MESSAGE", "parse"]

MAX_MESSAGE = 300
_LEVELS = {
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "note": Severity.LOW,
    "none": Severity.NONE,
}
_WHAT = "SARIF 2.1.0 JSON"
_NOT_PROBLEMS = frozenset({"pass", "notApplicable"})
_PLACEHOLDER = re.compile(r"\{(\d+)\}")

Json = Mapping[str, Any]
_EMPTY: Json = {}


def parse(source: BinaryIO, *, name: str) -> SecurityReport:
    """The findings of the SARIF 2.1.0 file ``source``; ``name`` is used in error messages."""
    runs = _runs(jsonio.load(source, name=name, what=_WHAT), name=name)
    findings: list[Finding] = []
    tools: list[str] = []
    for r, run in enumerate(runs):
        where = f"runs[{r}]"
        if not isinstance(run, Mapping):
            raise ReportError(f"{name}: {where} is not an object")
        tool = _obj(_obj(run.get("tool")).get("driver")).get("name")
        if not isinstance(tool, str) or not tool:
            raise ReportError(f"{name}: {where}.tool.driver.name is missing (SARIF requires it)")
        if tool not in tools:
            tools.append(tool)
        results = run.get("results")
        if results is None:  # SARIF: the tool failed to run or could not determine results
            raise ReportError(
                f"{name}: {where} ({tool}) has no results list: the scan did not complete; "
                "rerun it (a clean scan writes an empty list)"
            )
        if not isinstance(results, list):
            raise ReportError(f"{name}: {where}.results is not a list")
        rules = _RuleBook(run)
        for i, result in enumerate(results):
            if not isinstance(result, Mapping):
                raise ReportError(f"{name}: {where}.results[{i}] is not an object")
            if not _skipped(result):
                findings.append(
                    _finding(result, rules, tool=tool, at=f"{name}: {where}.results[{i}]")
                )
    return SecurityReport(findings=tuple(findings), tools=tuple(tools), sources=(name,))


def _runs(doc: object, *, name: str) -> list[Any]:
    if not isinstance(doc, Mapping):
        kind = "a JSON list" if isinstance(doc, list) else "a bare JSON value"
        raise ReportError(
            f'{name}: not SARIF 2.1.0: the file is {kind}, not an object with "version" and "runs"'
        )
    schema = doc.get("$schema")
    if "runs" not in doc and not (isinstance(schema, str) and "sarif" in schema.lower()):
        keys = ", ".join(str(key) for key in list(doc)[:5]) or "none"
        raise ReportError(f'{name}: not SARIF 2.1.0: no "runs" (its top-level keys: {keys})')
    version = doc.get("version")
    if version != "2.1.0":
        raise ReportError(
            f'{name}: SARIF version {version!r} is not supported; expected "2.1.0" '
            "(ask the tool for SARIF 2.1.0)"
        )
    runs = doc.get("runs")
    if not isinstance(runs, list):
        raise ReportError(f'{name}: "runs" must be a list')
    return runs


def _skipped(result: Json) -> bool:
    suppressions = result.get("suppressions")
    if isinstance(suppressions, list) and any(
        isinstance(s, Mapping) and s.get("status") in (None, "accepted") for s in suppressions
    ):
        return True
    return result.get("baselineState") == "absent" or result.get("kind") in _NOT_PROBLEMS


class _RuleBook:
    """A run's rules: the driver's and each extension's, by index and by id."""

    def __init__(self, run: Json) -> None:
        tool = _obj(run.get("tool"))
        self._driver = _list(_obj(tool.get("driver")).get("rules"))
        self._extensions = [_list(_obj(ext).get("rules")) for ext in _list(tool.get("extensions"))]
        self._by_id: dict[int | None, dict[str, Json]] = {}
        self._artifacts = _list(run.get("artifacts"))

    def rule(self, result: Json) -> Json:
        reference = _obj(result.get("rule"))
        component = _int(_obj(reference.get("toolComponent")).get("index"))
        if component is None:
            rules = self._driver
        elif component < len(self._extensions):
            rules = self._extensions[component]
        else:
            return _EMPTY
        index = _int(result.get("ruleIndex"))
        index = _int(reference.get("index")) if index is None else index
        if index is not None and index < len(rules):
            return _obj(rules[index])
        rule_id = result.get("ruleId", reference.get("id"))
        if component not in self._by_id:
            by_id = {r["id"]: r for r in map(_obj, rules) if isinstance(r.get("id"), str)}
            self._by_id[component] = by_id
        return self._by_id[component].get(rule_id, _EMPTY) if isinstance(rule_id, str) else _EMPTY

    def artifact_uri(self, index: Any) -> Any:
        index = _int(index)
        if index is None or index >= len(self._artifacts):
            return None
        return _obj(_obj(self._artifacts[index]).get("location")).get("uri")


def _finding(result: Json, rules: _RuleBook, *, tool: str, at: str) -> Finding:
    rule = rules.rule(result)
    rule_id = result.get("ruleId") or _obj(result.get("rule")).get("id") or rule.get("id")
    file, line = _location(result, rules)
    return Finding(
        rule_id=rule_id if isinstance(rule_id, str) else "(no rule id)",
        severity=_severity(result, rule, at=at),
        tool=tool,
        file=file,
        line=line,
        message=_message(result, rule),
    )


def _severity(result: Json, rule: Json, *, at: str) -> Severity:
    scopes = (_obj(result.get("properties")), _obj(rule.get("properties")))
    for properties in scopes:
        score = _cvss(properties.get("security-severity"))
        if score is not None:
            return Severity.from_cvss(score)
    for properties in scopes:
        named = properties.get("issue_severity")
        if isinstance(named, str):
            try:
                return Severity.named(named)
            except ValueError:
                pass  # bandit's UNDEFINED: let the level decide
    default = "warning" if result.get("kind", "fail") == "fail" else "none"
    level = result.get("level") or _obj(rule.get("defaultConfiguration")).get("level") or default
    if level not in _LEVELS:
        raise ReportError(f"{at}: unknown level {level!r} (SARIF levels: {', '.join(_LEVELS)})")
    return _LEVELS[level]


def _cvss(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        score = float(value)
    except (ValueError, OverflowError):
        return None
    return score if math.isfinite(score) else None


def _location(result: Json, rules: _RuleBook) -> tuple[str | None, int | None]:
    locations = _list(result.get("locations"))
    if not locations:
        return None, None
    physical = _obj(_obj(locations[0]).get("physicalLocation"))
    artifact = _obj(physical.get("artifactLocation"))
    uri = artifact.get("uri")
    if not isinstance(uri, str):
        uri = rules.artifact_uri(artifact.get("index"))
    file = unquote(uri.removeprefix("file://")) if isinstance(uri, str) and uri else None
    line = _int(_obj(physical.get("region")).get("startLine"))
    return file, line if line else None


def _message(result: Json, rule: Json) -> str:
    message = _obj(result.get("message"))
    text = message.get("text")
    if not isinstance(text, str):
        key = message.get("id")
        strings = _obj(rule.get("messageStrings"))
        text = _obj(strings.get(key)).get("text") if isinstance(key, str) else None
        if not isinstance(text, str):
            return ""
    arguments = _list(message.get("arguments"))
    if arguments:
        text = _PLACEHOLDER.sub(
            lambda m: str(arguments[int(m[1])]) if int(m[1]) < len(arguments) else m[0], text
        )
    text = text.strip()
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _obj(value: Any) -> Json:
    return value if isinstance(value, Mapping) else _EMPTY


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    """A non-negative JSON integer, or None (booleans are not integers here)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None
