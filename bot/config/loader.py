"""Read ``stationmaster.yml``: YAML, then pydantic, with every problem located by line."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from bot.config.checks import cross_checks
from bot.config.errors import ConfigError, ConfigErrors
from bot.config.models import CONFIG_DIR, AppConfig
from bot.config.validation import translate
from bot.config.yaml_doc import locate, read_yaml
from bot.errors import UsageError

__all__ = ["load_config", "parse_config"]


def parse_config(
    *, text: str, source: str = "<string>", config_dir: Path | None = None
) -> AppConfig:
    """Validate config text. Raises :class:`ConfigErrors` (a ``ConfigError``) listing problems.

    An empty text is a valid config with every default. Relative paths in it (a train's
    ``repo.path``) are read from ``config_dir``; without one they stay relative (to the
    working directory). Checks across fields run once every field is valid.
    """
    document, data = read_yaml(text=text, source=source)
    context = {} if config_dir is None else {CONFIG_DIR: config_dir}
    try:
        config = AppConfig.model_validate(data, context=context)
    except ValidationError as exc:
        errors = translate(error=exc, document=document, model=AppConfig)
        raise ConfigErrors(errors=errors, source=source) from None
    problems = []
    for loc, reason in cross_checks(config=config):
        line, path = locate(document, loc)
        problems.append(ConfigError(reason, line=line or 1, path=path))
    if problems:
        raise ConfigErrors(errors=problems, source=source)
    return config


def load_config(*, path: Path) -> AppConfig:
    """Read and validate the config file at ``path``.

    Relative paths in it are read from the file's directory. A file that cannot be read
    raises :class:`UsageError` (the CLI exits 2); invalid content raises :class:`ConfigErrors`
    (exit 1).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"config file not found: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"config file not found: {path} is a directory") from None
    except OSError as exc:
        raise UsageError(f"config file not readable: {path} ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        error = ConfigError("the file is not UTF-8 text", line=line)
        raise ConfigErrors(errors=[error], source=str(path)) from None
    return parse_config(text=text, source=str(path), config_dir=path.absolute().parent)
