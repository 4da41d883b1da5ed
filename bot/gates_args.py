"""The flags of ``stationmaster gates``, apart from its work (:mod:`bot.gates_cli`), so building
the command line imports no config, parsers or HTTP client."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.domain.gates import Gate
from bot.domain.reports import ReportFormat

__all__ = ["add_arguments"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``evaluate`` and ``submit`` subcommands under ``parser`` (``stationmaster gates``)."""
    sub = parser.add_subparsers(
        dest="gates_command", metavar="{evaluate,submit}", required=True, parser_class=type(parser)
    )
    evaluate = sub.add_parser(
        "evaluate", help="judge CI reports against a gate policy here, without a bot"
    )
    evaluate.add_argument("--policy", default="default", help="gate policy (default: default)")
    evaluate.add_argument("--config", type=Path, help="config file with gate_policies")
    for flag, what in (
        ("junit", "JUnit XML for the unit gate"),
        ("integration", "JUnit XML for the integration gate"),
        ("e2e", "JUnit XML for the e2e gate"),
        ("coverage", "Cobertura, coverage.py JSON, LCOV or JaCoCo"),
        ("sarif", "SARIF for the security gate"),
        ("benchmark", "pytest-benchmark or benchmark JSON for the performance gate"),
    ):
        evaluate.add_argument(f"--{flag}", type=Path, action="append", metavar="F", help=what)
    evaluate.add_argument("--baseline", type=Path, metavar="F", help="benchmarks to compare with")
    evaluate.add_argument(
        "--format", choices=("text", "json"), default="text", dest="output", help="output format"
    )

    submit = sub.add_parser("submit", help="send CI reports to the bot's /hooks/ci, signed")
    submit.add_argument("--url", required=True, help="the bot's base URL or its /hooks/ci URL")
    submit.add_argument("--release", required=True, help="VERSION, TRAIN/VERSION or commit sha")
    submit.add_argument("--gate", required=True, choices=[g.value for g in Gate])
    submit.add_argument(
        "--format",
        choices=[f.value for f in ReportFormat],
        dest="report_format",
        help="the reports' format (default: detected from each file)",
    )
    submit.add_argument("--build-url", help="link to the CI run")
    submit.add_argument("--commit", help="the commit the reports are for")
    submit.add_argument("--delivery", help="delivery id (default: one per invocation)")
    submit.add_argument("files", nargs="+", type=Path, metavar="FILE")
