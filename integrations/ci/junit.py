"""JUnit XML test reports, as pytest, Surefire/Failsafe, Gradle, jest-junit and go-junit-report
write them.

The file is streamed through :func:`integrations.ci.xml.events`; each ``testcase`` becomes a
:class:`~bot.domain.reports.TestCase` when it closes, and is then dropped, so memory holds the
open elements and the parsed cases, never the file (``system-out`` text is let go at once).
Only the ``testcase`` elements count: suites' ``tests=``/``failures=`` totals are ignored, as
real tools often get them wrong.

How a case's children decide its outcome:

- ``failure`` (or, if no failure, ``error``) → FAILED (ERROR), whatever else is there;
  ``rerunFailure``/``rerunError`` alone (Surefire failed on every rerun) → FAILED (ERROR).
- ``flakyFailure``/``flakyError`` alone (failed, then passed on a Surefire rerun) → PASSED with
  ``flaky=True``.
- ``skipped`` (pytest writes xfail as a skip too) → SKIPPED; nothing of these → PASSED.
"""

from __future__ import annotations

import math
import sys
from typing import BinaryIO
from xml.etree.ElementTree import Element

from bot.domain.reports import Outcome, TestCase, TestReport
from bot.errors import ReportError
from integrations.ci.xml import events, local_name

# junitparser is not used: it builds the whole tree with plain etree.

__all__ = ["parse"]

MAX_MESSAGE = 500
_ROOTS = ("testsuites", "testsuite")
_OUTPUT = ("system-out", "system-err")
# The child that decides the outcome, by rank: the first tag found (in this order) wins.
_RANKED = (
    ("failure", Outcome.FAILED, False),
    ("error", Outcome.ERROR, False),
    ("rerunFailure", Outcome.FAILED, False),
    ("rerunError", Outcome.ERROR, False),
    ("flakyFailure", Outcome.PASSED, True),
    ("flakyError", Outcome.PASSED, True),
    ("skipped", Outcome.SKIPPED, False),
)


def parse(source: BinaryIO, *, name: str) -> TestReport:
    """The test cases of the JUnit XML file ``source``; ``name`` is used in error messages."""
    cases: list[TestCase] = []
    open_elements: list[Element] = []
    suites: list[str] = []
    in_case = 0  # how many open testcase elements enclose the current one
    for event, element in events(source, name=name):
        tag = local_name(element.tag)
        if event == "start":
            if not open_elements and tag not in _ROOTS:
                raise ReportError(
                    f"{name}: not a JUnit report: the root element is <{tag}>, "
                    "expected <testsuites> or <testsuite>"
                )
            open_elements.append(element)
            if tag == "testsuite":
                suites.append(sys.intern(element.get("name", "")))
            elif tag == "testcase":
                in_case += 1
            continue
        open_elements.pop()
        if tag == "testcase":
            in_case -= 1
            cases.append(_case(element, suite=suites[-1] if suites else ""))
        elif tag == "testsuite":
            suites.pop()
        if tag == "testcase" or tag in _OUTPUT or not in_case:
            element.clear()
            if open_elements and not in_case:
                # Everything under the parent has closed: drop it, or the root keeps it all.
                del open_elements[-1][:]
    return TestReport(cases=tuple(cases), sources=(name,))


def _case(element: Element, *, suite: str) -> TestCase:
    outcome, flaky, decisive = _outcome(element)
    file = element.get("file")
    return TestCase(
        name=element.get("name", ""),
        classname=sys.intern(element.get("classname", "")),
        suite=suite,
        file=sys.intern(file) if file else None,
        outcome=outcome,
        flaky=flaky,
        message="" if decisive is None else _message(decisive),
        seconds=_seconds(element.get("time")),
    )


def _outcome(case: Element) -> tuple[Outcome, bool, Element | None]:
    """The outcome, whether it was flaky, and the child it was read from (None if passed)."""
    if not len(case):  # most test cases: no children, passed
        return Outcome.PASSED, False, None
    found: dict[str, Element] = {}
    for child in case:
        found.setdefault(local_name(child.tag), child)
    for tag, outcome, flaky in _RANKED:
        if tag in found:
            return outcome, flaky, found[tag]
    return Outcome.PASSED, False, None


def _message(element: Element) -> str:
    """The ``message`` attribute, else the first line of the text (or of Surefire's
    ``stackTrace`` child), cut to :data:`MAX_MESSAGE` characters."""
    message = (element.get("message") or "").strip()
    if not message:
        text = element.text or ""
        if not text.strip():
            trace = next((c for c in element if local_name(c.tag) == "stackTrace"), None)
            text = "" if trace is None else trace.text or ""
        message = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return message


def _seconds(value: str | None) -> float:
    """A ``time`` attribute in seconds; 0.0 when it is missing, garbage, negative or infinite.

    Grouping commas are dropped (``"1,234.5"`` → 1234.5); a lone comma is a decimal comma
    (``"0,25"`` → 0.25), as Surefire writes times under some locales.
    """
    if value and "," not in value:  # the common case, "0.123"
        try:
            number = float(value)
        except ValueError:
            number = 0.0
        else:
            return number if math.isfinite(number) and number >= 0.0 else 0.0
    text = (value or "").strip().replace("\u00a0", "").replace(" ", "")
    if "," in text and "." in text:
        # Whichever comes last is the decimal point: "1,234.5" and "1.234,5".
        grouping, point = (",", ".") if text.rfind(".") > text.rfind(",") else (".", ",")
        text = text.replace(grouping, "").replace(point, ".")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return 0.0
    return number if math.isfinite(number) and number >= 0.0 else 0.0
