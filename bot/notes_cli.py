"""``stationmaster notes``: release notes for a range of a local git repository, printed as
Markdown, Slack mrkdwn or JSON. No bot, database or Slack credentials: only ``git``.

Links, shown types and templates come from the config file when one is given (``--config``)
or found (``stationmaster.yml`` here); ``--service`` limits the notes to that service's
``paths``. Exit codes: 0 printed; 2 unusable input (a path that is not a repository, an
unknown ref or service, a broken template).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import IntegrationError, NotFound, UsageError

if TYPE_CHECKING:
    from bot.config import AppConfig
    from bot.services.changes import NotesRange

__all__ = ["add_arguments", "run"]

EXIT_OK = 0
FORMATS = ("md", "slack", "json")
DEFAULT_CONFIG = Path("stationmaster.yml")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo", type=Path, default=Path("."), help="the git repository (default: here)"
    )
    parser.add_argument(
        "--from",
        dest="base",
        metavar="REF",
        help="the previous release's tag or commit (default: the whole history)",
    )
    parser.add_argument(
        "--to", dest="head", metavar="REF", default="HEAD", help="the release's ref (default HEAD)"
    )
    parser.add_argument("--format", choices=FORMATS, default="md", help="output (default md)")
    parser.add_argument("--service", help="only the commits touching this service's paths")
    parser.add_argument("--title", help="the heading (default: the range)")
    parser.add_argument(
        "--config", type=Path, help="config file for links, types and templates (optional)"
    )


def run(args: argparse.Namespace) -> int:
    from bot.notes_render import Format, NotesRenderer
    from bot.services.changes import collect
    from integrations.source.git import GitRepository

    config = _config(args.config)
    paths = _paths(config, args.service)
    notes = config.notes if config is not None else None
    repo = GitRepository(path=args.repo)
    try:
        found = asyncio.run(
            collect(
                repo,
                base=args.base,
                head=args.head,
                paths=paths,
                show_types=notes.show_types if notes else (),
                issue_prefixes=notes.issue_prefixes if notes else (),
            )
        )
    except (NotFound, IntegrationError) as exc:
        raise UsageError(exc.message) from None
    title = args.title or _title(args, found)
    subtitle = _subtitle(found)
    if args.format == "json":
        print(json.dumps(_json(found, title=title), ensure_ascii=False, indent=2))
        return EXIT_OK
    renderer = NotesRenderer.from_config(notes)
    fmt = Format.MARKDOWN if args.format == "md" else Format.SLACK
    sys.stdout.write(renderer.render(found.notes, fmt=fmt, title=title, subtitle=subtitle))
    return EXIT_OK


def _config(path: Path | None) -> AppConfig | None:
    if path is None and not DEFAULT_CONFIG.is_file():
        return None
    from bot.config import load_config

    return load_config(path=path or DEFAULT_CONFIG)


def _paths(config: AppConfig | None, service: str | None) -> tuple[str, ...]:
    if service is None:
        return ()
    services = config.services if config is not None else {}
    if service not in services:
        known = ", ".join(sorted(services)) or "none: pass --config with a services section"
        raise UsageError(f"there is no service {service!r} in the config; services: {known}")
    return tuple(services[service].paths)  # no paths: the service is the whole repository


def _title(args: argparse.Namespace, found: NotesRange) -> str:
    service = f" ({args.service})" if args.service else ""
    if args.base:
        return f"Changes from {args.base} to {args.head}{service}"
    return f"Changes up to {args.head}{service}"


def _subtitle(found: NotesRange) -> str:
    notes = found.notes
    hidden = f", {notes.hidden} hidden" if notes.hidden else ""
    reverted = f", {notes.reverted} reverted" if notes.reverted else ""
    plural = "" if notes.commits == 1 else "s"
    return f"{notes.commits} commit{plural} ({found.span}){hidden}{reverted}"


def _json(found: NotesRange, *, title: str) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    notes = found.notes
    return {
        "title": title,
        "from": found.base,
        "to": found.head,
        "commits": notes.commits,
        "hidden": notes.hidden,
        "reverted": notes.reverted,
        "scope": list(notes.scope),
        "sections": [
            {
                "kind": section.kind.value,
                "title": section.title,
                "entries": [plain(asdict(entry)) for entry in section.entries],
            }
            for section in notes.sections
        ],
        "contributors": [plain(asdict(c)) for c in notes.contributors],
    }
