"""``stationmaster gates evaluate`` and ``stationmaster gates submit``: quality gates from CI.

``evaluate`` judges report files on the spot, with no bot, database or Slack: each gate given
files is read (:func:`integrations.ci.read_gate`) and judged by the policy's rule
(:func:`bot.domain.gate_checks.judge`). ``submit`` sends the files to a running bot's
``/hooks/ci`` as one signed multipart body, and reports the verdict the bot answers.

Exit codes: 0 the evaluated required gates pass, 1 one fails, 2 unusable input (a missing or
unreadable report, an unknown policy, a refused or undeliverable submission).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from bot.ci_signing import DELIVERY_HEADER, SIGNATURE_HEADER, sign
from bot.config import load_config
from bot.domain.gate_checks import judge
from bot.domain.gates import (
    BUILTIN_POLICIES,
    DEFAULT_POLICY,
    Baseline,
    Gate,
    GatePolicy,
    GateResult,
    Verdict,
)
from bot.domain.reports import PerformanceReport, Report
from bot.errors import ConfigError, UsageError
from integrations.ci import ReportFile, read_gate

if TYPE_CHECKING:
    import httpx

__all__ = ["build_body", "evaluate", "hook_url", "post", "run", "submit"]

EXIT_OK, EXIT_VERDICT = 0, 1
LISTED = 20
"""Failing and flaky tests shown per gate in the text output."""
TIMEOUT, RETRIES, BACKOFF, MAX_WAIT = 60.0, 3, 0.5, 30.0
_DELIVERY = re.compile(r"[A-Za-z0-9._:-]{1,200}", re.ASCII)
_INPUTS: Mapping[str, Gate] = {
    "junit": Gate.UNIT,
    "integration": Gate.INTEGRATION,
    "e2e": Gate.E2E,
    "coverage": Gate.COVERAGE,
    "sarif": Gate.SECURITY,
    "benchmark": Gate.PERFORMANCE,
}
NOTHING = "nothing to evaluate: give at least one report (--junit, --coverage, --sarif, ...)"
LONE_BASELINE = "--baseline needs --benchmark: it is what the benchmarks are compared with"
UNKNOWN_POLICY = "unknown gate policy {name!r}: the policies are {known}"
NOT_REQUIRED = "(not required by the policy)"
NO_SECRET = "set STATIONMASTER_CI_SECRET: submissions are signed with it"  # noqa: S105


def run(args: argparse.Namespace) -> int:
    return submit(args) if args.gates_command == "submit" else evaluate(args)


# -- evaluate --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One gate as ``evaluate`` shows it; ``result`` is None when it was given no report."""

    gate: Gate
    required: bool
    result: GateResult | None = None

    @property
    def verdict(self) -> str:
        return "not_evaluated" if self.result is None else self.result.verdict.value


def evaluate(args: argparse.Namespace) -> int:
    inputs = {gate: getattr(args, flag) for flag, gate in _INPUTS.items() if getattr(args, flag)}
    if args.baseline is not None and Gate.PERFORMANCE not in inputs:
        raise UsageError(LONE_BASELINE)
    if not inputs:
        raise UsageError(NOTHING)
    policy = _policy(args.policy, config=args.config)
    baseline = None
    if args.baseline is not None:
        report = _read(Gate.PERFORMANCE, [args.baseline])
        assert isinstance(report, PerformanceReport)
        baseline = Baseline(version="baseline", benchmarks={b.name: b for b in report.benchmarks})
    today = datetime.now(UTC).date()
    rows = []
    for gate in Gate:
        required = gate in policy.rules
        if gate not in inputs:
            if required:
                rows.append(Row(gate, required))
            continue
        rule = policy.rules[gate] if required else DEFAULT_POLICY.rules[gate]
        result = judge(gate, _read(gate, inputs[gate]), rule, baseline=baseline, today=today)
        rows.append(Row(gate, required, result))
    judged = [row for row in rows if row.required and row.result is not None]
    passed = all(row.verdict == Verdict.PASS for row in judged)
    if args.output == "json":
        print(json.dumps(_as_json(policy, rows, passed=passed), indent=2, ensure_ascii=False))
    else:
        print("\n".join(_text(policy, rows, judged=judged, passed=passed)))
    return EXIT_OK if passed else EXIT_VERDICT


def _policy(name: str, *, config: Path | None) -> GatePolicy:
    path = config or (Path(env) if (env := os.environ.get("STATIONMASTER_CONFIG")) else None)
    known = set(BUILTIN_POLICIES)
    if path is None:
        policy = BUILTIN_POLICIES.get(name)
    else:
        try:
            loaded = load_config(path=path)
        except ConfigError as exc:
            raise UsageError(f"{path}: {exc}") from None
        policy = loaded.gate_policy(name)
        known |= set(loaded.gate_policies)
    if policy is None:
        raise UsageError(UNKNOWN_POLICY.format(name=name, known=", ".join(sorted(known))))
    return policy


def _read(gate: Gate, paths: Sequence[Path]) -> Report:
    for path in paths:
        if not path.is_file():
            why = "is a directory" if path.is_dir() else "no such file"
            raise UsageError(f"{path}: {why}")
    try:
        return read_gate(gate, [ReportFile(path=p, name=str(p)) for p in paths])[1]
    except OSError as exc:
        raise UsageError(f"{exc.filename or paths[0]}: cannot read it ({exc.strerror})") from None


def _first_line(text: str, *, limit: int = 200) -> str:
    line = text.strip().split("\n", 1)[0].strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _listed(title: str, items: Sequence[str]) -> list[str]:
    if not items:
        return []
    more = [f"    and {len(items) - LISTED} more"] if len(items) > LISTED else []
    return [f"  {title}:", *(f"    {item}" for item in items[:LISTED]), *more]


def _text(
    policy: GatePolicy, rows: Sequence[Row], *, judged: Sequence[Row], passed: bool
) -> list[str]:
    """A block per evaluated gate, a line per gate given no report, then the overall line."""
    lines = []
    for row in rows:
        if row.result is None:
            continue
        result = row.result
        note = "" if row.required else f"  {NOT_REQUIRED}"
        lines.append(f"{row.gate}: {result.verdict.value.upper()}  {result.summary}{note}")
        lines.extend(f"  {reason}" for reason in result.reasons)
        failed = []
        for failure in result.failures:
            tags = " [critical]" * failure.critical + " [allowed]" * failure.allowed
            message = _first_line(failure.message)
            failed.append(f"{failure.name}{tags}" + (f": {message}" if message else ""))
        lines += _listed("failing tests", failed) + _listed("flaky tests", result.flaky)
    missing = [row.gate.value for row in rows if row.result is None]
    lines.extend(f"{gate}: not evaluated (no report given)" for gate in missing)
    skipped = f"; {len(missing)} not evaluated" if missing else ""
    if not judged:
        lines.append(f"overall: PASS  no gate the {policy.name} policy requires was evaluated")
    elif passed:
        names = ", ".join(row.gate.value for row in judged)
        lines.append(f"overall: PASS  {names} passed (policy {policy.name}{skipped})")
    else:
        names = ", ".join(row.gate.value for row in judged if row.verdict != Verdict.PASS)
        lines.append(f"overall: FAIL  {names} failed (policy {policy.name}{skipped})")
    return lines


def _as_json(policy: GatePolicy, rows: Sequence[Row], *, passed: bool) -> dict[str, Any]:
    gates = {}
    for row in rows:
        result = row.result
        gates[row.gate.value] = {
            "verdict": row.verdict,
            "required": row.required,
            "summary": result.summary if result else "",
            "reasons": list(result.reasons) if result else [],
            "failures": [
                {"name": f.name, "message": f.message, "critical": f.critical, "allowed": f.allowed}
                for f in (result.failures if result else ())
            ],
            "flaky": list(result.flaky) if result else [],
        }
    return {"policy": policy.name, "passed": passed, "gates": gates}


# -- submit ----------------------------------------------------------------------------------


def submit(
    args: argparse.Namespace,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Send ``args.files`` to the bot; ``transport`` and ``sleep`` are for tests."""
    from bot.settings import load_settings

    secret = load_settings().ci_secret
    if secret is None or not secret.get_secret_value():
        raise UsageError(NO_SECRET)
    url = hook_url(args.url)
    delivery = args.delivery or f"submit-{uuid.uuid4()}"
    if not _DELIVERY.fullmatch(delivery):
        raise UsageError("--delivery must be 1-200 letters, digits or ._:-")
    fields = {"release": args.release, "gate": args.gate}
    optional = {"format": args.report_format, "build_url": args.build_url, "commit": args.commit}
    fields |= {name: value for name, value in optional.items() if value}
    boundary = uuid.uuid4().hex
    body = build_body(fields, [(path.name, _bytes(path)) for path in args.files], boundary=boundary)
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        SIGNATURE_HEADER: sign(body, secret.get_secret_value()),
        DELIVERY_HEADER: delivery,
    }
    response = post(url, body=body, headers=headers, transport=transport, sleep=sleep)
    return _answer(response, url=url)


def hook_url(url: str) -> str:
    """``--url`` as the webhook's URL: a bare base URL gets ``/hooks/ci``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--url {url!r} is not an http(s) URL such as https://bot.example.com")
    if parts.path in ("", "/"):
        parts = parts._replace(path="/hooks/ci")
    return urlunsplit(parts)


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror})") from None


def _quoted(name: str) -> str:
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def build_body(
    fields: Mapping[str, str], files: Sequence[tuple[str, bytes]], *, boundary: str
) -> bytes:
    """A ``multipart/form-data`` body: the text fields, then one ``file`` part per report."""
    body = bytearray()
    for name, value in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        body += value.encode() + b"\r\n"
    for filename, content in files:
        body += (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{_quoted(filename)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        body += content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body)


def post(
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    """POST with bounded retries on connection errors, 5xx and 429; UsageError when all fail."""
    import httpx

    failure = ""
    with httpx.Client(timeout=TIMEOUT, transport=transport) as client:
        for attempt in range(RETRIES + 1):
            wait = BACKOFF * 2**attempt
            try:
                response = client.post(url, content=body, headers=headers)
            except httpx.TransportError as exc:
                failure = f"cannot reach {url}: {str(exc) or type(exc).__name__}"
            else:
                if response.status_code < 500 and response.status_code != 429:
                    return response
                failure = f"{url} answered {response.status_code}{_reason(response)}"
                after = response.headers.get("Retry-After", "")
                wait = min(float(after), MAX_WAIT) if after.isdigit() else wait
            if attempt < RETRIES:
                sleep(wait)
    raise UsageError(f"{failure} (gave up after {RETRIES + 1} attempts)")


def _reason(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    return f": {error}" if error else ""


def _answer(response: httpx.Response, *, url: str) -> int:
    status = response.status_code
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise UsageError(f"{url} answered {status} without the webhook's JSON: is it the bot?")
    if not (200 <= status < 300 and data.get("ok") is True):
        reason = data.get("error") or "no reason given"
        raise UsageError(f"the bot refused the report ({status}): {reason}")
    flags = " (a repeated delivery)" * bool(data.get("duplicate"))
    flags += f" {NOT_REQUIRED}" * (data.get("required") is False)
    state = str(data.get("state", "")).replace("_", " ")
    print(
        f"{data.get('release')} {data.get('gate')}: {data.get('verdict')}{flags}; "
        f"gates {data.get('gates')}; release is {state}"
    )
    return EXIT_OK if data.get("verdict") == Verdict.PASS.value else EXIT_VERDICT
