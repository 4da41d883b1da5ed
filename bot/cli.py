"""The ``stationmaster`` command line.

Exit codes: 0 fine; 1 a verdict (invalid config, refusing to start); 2 unusable input (a
missing file, bad flags). Errors are one line on stderr, never a traceback.

Each subcommand imports what it needs when it runs, so ``stationmaster notes`` and ``--help``
start fast: building the parser loads no config, database or Slack modules.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from bot import gates_args, notes_cli
from bot.errors import ConfigError, StationmasterError, UsageError

if TYPE_CHECKING:
    from bot.config import AppConfig
    from bot.settings import Settings

EXIT_OK, EXIT_VERDICT, EXIT_USAGE = 0, 1, 2
DEFAULT_CONFIG = Path("stationmaster.yml")


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad flags in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="stationmaster",
        description="Stationmaster: a Slack bot that runs your releases.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="serve the bot over HTTP (and Socket Mode when configured)")
    run.add_argument(
        "--port", type=int, help="port to listen on (default $STATIONMASTER_PORT or 3000)"
    )
    run.add_argument("--host", help="address to bind (default 0.0.0.0)")
    run.add_argument("--config", type=Path, help="config file (default $STATIONMASTER_CONFIG)")

    console = sub.add_parser(
        "console", help="try the bot locally: simulator, SQLite and a terminal console"
    )
    console.add_argument("--config", type=Path, help="config file (default $STATIONMASTER_CONFIG)")
    console.add_argument("--user", default=None, help="who you are at first (a name or user ID)")

    check = sub.add_parser("check-config", help="validate a config file; exit 1 when invalid")
    check.add_argument("file", type=Path)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    upgrade = db_sub.add_parser("upgrade", help="apply pending migrations")
    upgrade.add_argument("--revision", default="head", help="target revision (default head)")

    gates = sub.add_parser("gates", help="quality gates from CI: evaluate reports, or submit them")
    gates_args.add_arguments(gates)

    notes = sub.add_parser(
        "notes", help="release notes of a range of a git repository (md, slack or json)"
    )
    notes_cli.add_arguments(notes)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "run": _run,
        "console": _console,
        "check-config": _check_config,
        "db": _db,
        "gates": _gates,
        "notes": notes_cli.run,
    }
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        return EXIT_OK
    except UsageError as exc:
        return _fail(EXIT_USAGE, exc.message)
    except StationmasterError as exc:
        return _fail(EXIT_VERDICT, exc.message)
    except Exception as exc:
        bad_setting = _bad_setting(exc)
        if bad_setting is None:
            raise
        return _fail(EXIT_USAGE, bad_setting)


def _bad_setting(exc: Exception) -> str | None:
    """A pydantic-settings error as one line (pydantic is loaded only by commands using it)."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(exc, pydantic.ValidationError):
        return None
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"bad setting {where}: {first['msg']}"


def _gates(args: argparse.Namespace) -> int:
    from bot import gates_cli

    return gates_cli.run(args)


def _fail(code: int, message: str) -> int:
    print(f"stationmaster: {message}", file=sys.stderr)
    return code


def _settings(args: argparse.Namespace) -> Settings:
    from bot.settings import load_settings

    overrides: dict[str, Any] = {}
    if getattr(args, "port", None) is not None:
        overrides["port"] = args.port
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "config", None) is not None:
        overrides["config_path"] = args.config
    return load_settings(**overrides)


def _load_config(path: Path | None) -> AppConfig:
    from bot.config import AppConfig, load_config

    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    return load_config(path=path) if path is not None else AppConfig()


def _check_config(args: argparse.Namespace) -> int:
    """Validate the file, then say per service which deploy adapter it uses and whether this
    environment lets it work (a missing secret is not an invalid config: exit 0)."""
    import httpx

    from bot.config import load_config
    from bot.deploy_adapters import AdapterUnavailable, DeployAdapters
    from bot.settings import load_settings

    try:
        config = load_config(path=args.file)
    except ConfigError as exc:
        for error in getattr(exc, "errors", None) or [exc]:
            print(f"{args.file}: {error}", file=sys.stderr)
        return EXIT_VERDICT
    settings = load_settings()
    adapters = DeployAdapters(
        config, settings, httpx.AsyncClient(), config_dir=args.file.absolute().parent
    )
    for name, service in config.services.items():
        adapter = service.deploy.adapter
        try:
            if adapter != "sim":  # the bot runs the sim fleet itself
                adapters.check(name)
        except AdapterUnavailable as exc:
            print(f"{name}: {adapter} — unavailable: {exc.reason}")
        else:
            print(f"{name}: {adapter}")
    print(_alerts_line(config, settings))
    print(f"{args.file}: ok")
    return EXIT_OK


def _alerts_line(config: AppConfig, settings: Settings) -> str:
    """Where alert threads go, and whether the webhooks and paging can work here."""
    alerts = config.alerts
    hooks = "on" if settings.alerts_token else "off until STATIONMASTER_ALERTS_TOKEN is set"
    if alerts.pagerduty is None:
        paging = "no paging"
    elif settings.pagerduty_routing_key is None:
        paging = "PagerDuty — unavailable: needs STATIONMASTER_PAGERDUTY_ROUTING_KEY"
    else:
        paging = "PagerDuty"
    return f"alerts: {alerts.channel}, webhooks {hooks}, {paging}"


def _db(args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    settings = _settings(args)
    asyncio.run(upgrade(url=settings.database_url, revision=args.revision))
    print(f"database at revision {args.revision}")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from bot.observability.logs import configure_logging
    from bot.server import serve

    settings = _settings(args)
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    config = _load_config(settings.config_path)
    asyncio.run(serve(settings=settings, config=config))
    return EXIT_OK


def _console(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if not settings.local_mode:
        raise UsageError("console is local mode: unset SLACK_BOT_TOKEN to use the simulator")
    from bot.console import run_console

    config = _load_config(settings.config_path)
    code: int = asyncio.run(run_console(settings=settings, config=config, user=args.user))
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
