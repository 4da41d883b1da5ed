"""Tell a CI report's format from its first bytes, when the upload does not name it.

Callers pass the head of the file (up to the first 8 KiB), which may end mid-token, so nothing
here parses: a UTF-8 BOM and leading whitespace are skipped, then

- XML: the root element's local name, after any ``<?xml?>``, comments and ``<!DOCTYPE>``:
  ``testsuites``/``testsuite`` → JUnit, ``coverage`` → Cobertura, ``report`` → JaCoCo;
- a JSON object: keys seen in the head (``"key":``, which never matches inside a string value):

  - SARIF: a ``$schema`` naming sarif, or a ``runs`` list with a ``version`` key or a
    ``tool.driver`` (bandit writes ``runs`` first and ``version`` last);
  - pytest-benchmark: ``machine_info``, or a ``benchmarks`` list;
  - coverage.py: ``meta`` with ``files`` or ``totals`` (or a mention of coverage.py);

  the first key decides when it is one of these formats' own first keys, as the tools write
  them, so a file name or an ``extra_info`` key further on cannot mislead;
- a JSON list → the generic benchmark JSON;
- text whose first line starts ``TN:`` or ``SF:`` → LCOV.
"""

from __future__ import annotations

import re

from bot.domain.reports import ReportFormat
from bot.errors import ReportError

__all__ = ["HEAD_BYTES", "detect"]

HEAD_BYTES = 8192
"""How much of a file callers should pass."""

_BOM = b"\xef\xbb\xbf"
_PROLOG = re.compile(
    r"""\s*(?:
        <\?.*?\?>                                   # <?xml ...?> and other instructions
      | <!--.*?-->                                  # comments
      | <!DOCTYPE(?:[^>\[]|\[.*?\])*>               # a doctype, with any internal subset
    )""",
    re.DOTALL | re.VERBOSE | re.IGNORECASE,
)
_ROOT = re.compile(r"\s*<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_XML_ROOTS = {
    "testsuites": ReportFormat.JUNIT,
    "testsuite": ReportFormat.JUNIT,
    "coverage": ReportFormat.COBERTURA,
    "report": ReportFormat.JACOCO,
}
_FIRST_KEY = re.compile(r'\{\s*"([^"\\]*)"\s*:')
_FIRST_KEYS = {
    "machine_info": ReportFormat.PYTEST_BENCHMARK,
    "commit_info": ReportFormat.PYTEST_BENCHMARK,
    "meta": ReportFormat.COVERAGE_PY,
}
_SARIF_SCHEMA = re.compile(r'"\$schema"\s*:\s*"[^"]*sarif', re.IGNORECASE)
_LCOV = ("TN:", "SF:")
_FORMATS = ", ".join(f.value for f in ReportFormat)


def detect(head: bytes, *, name: str) -> ReportFormat:
    """The format of the report whose first bytes are ``head``; ReportError if it is unclear."""
    text = head.removeprefix(_BOM).decode("utf-8", errors="replace").lstrip()
    if not text:
        raise ReportError(f"{name} is empty; there is no report to read")
    found: ReportFormat | None
    if text.startswith("<"):
        found = _xml(text)
    elif text.startswith("{"):
        found = _json_object(text)
    elif text.startswith("["):
        found = ReportFormat.BENCHMARK_JSON
    else:
        found = ReportFormat.LCOV if text.startswith(_LCOV) else None
    if found is None:
        raise ReportError(
            f"{name}: cannot tell the report's format; name it with format= (one of {_FORMATS})"
        )
    return found


def _xml(text: str) -> ReportFormat | None:
    at = 0
    while prolog := _PROLOG.match(text, at):
        at = prolog.end()
    root = _ROOT.match(text, at)
    return _XML_ROOTS.get(root[1]) if root else None


def _json_object(text: str) -> ReportFormat | None:
    if _SARIF_SCHEMA.search(text):
        return ReportFormat.SARIF
    first = _FIRST_KEY.match(text)
    if first and first[1] in _FIRST_KEYS and _looks_like(_FIRST_KEYS[first[1]], text):
        return _FIRST_KEYS[first[1]]
    for candidate in (
        ReportFormat.SARIF,
        ReportFormat.PYTEST_BENCHMARK,
        ReportFormat.COVERAGE_PY,
    ):
        if _looks_like(candidate, text):
            return candidate
    return None


def _looks_like(candidate: ReportFormat, text: str) -> bool:
    if candidate is ReportFormat.SARIF:
        return _has(text, "runs", "[") and (_has(text, "version") or _has(text, "driver", "{"))
    if candidate is ReportFormat.PYTEST_BENCHMARK:
        return _has(text, "machine_info") or _has(text, "benchmarks", "[")
    return _has(text, "meta", "{") and (
        _has(text, "files", "{") or _has(text, "totals", "{") or "coverage.py" in text
    )


def _has(text: str, key: str, opens: str = "") -> bool:
    """Whether ``"key":`` (followed by ``opens``, if given) occurs in ``text``."""
    return re.search(rf'"{re.escape(key)}"\s*:\s*{re.escape(opens)}', text) is not None
