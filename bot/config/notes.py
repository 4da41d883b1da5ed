"""The ``notes`` section: how release notes link references, which hidden types they show, and
where a team's own templates live.

::

    notes:
      links:
        pr: "https://github.com/acme/shop/pull/{n}"
        issue: "https://acme.atlassian.net/browse/{key}"
      issue_prefixes: [SHOP, JIRA]      # only these projects' keys are issue links (any when empty)
      show_types: [chore]               # hidden types to show after all (under "Other changes")
      templates_dir: notes-templates    # overrides bot/templates/*.j2 file by file

``templates_dir`` is read relative to the config file's directory, like a train's repo path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, PlainValidator, ValidationInfo, field_validator

from bot.config.base import CONFIG_DIR, Section
from bot.config.fields import RepoPath, none_as_empty, text_value
from bot.domain.names import closest
from bot.domain.notes import DEFAULT_HIDDEN_TYPES

__all__ = ["LinksConfig", "NotesConfig"]

_PREFIX = re.compile(r"[A-Z][A-Z0-9_]*")


def _link(placeholder: str, example: str) -> object:
    def check(value: object) -> str:
        text = text_value(value, what=f"a URL template such as {example!r}")
        parts = urlsplit(text.replace(placeholder, "1"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{text!r} is not an http(s) URL template such as {example!r}")
        if text.count(placeholder) != 1 or text.replace(placeholder, "").count("{"):
            raise ValueError(f"{text!r} must hold {placeholder} once, and no other {{…}}")
        return text

    return PlainValidator(check)


def _show_type(value: object) -> str:
    text = text_value(value, what="a commit type such as chore").lower()
    if text in DEFAULT_HIDDEN_TYPES:
        return text
    hidden = sorted(DEFAULT_HIDDEN_TYPES)
    close = closest(text, hidden, cutoff=0.5)
    hint = f" Did you mean {close}?" if close else ""
    raise ValueError(
        f"{text!r} is not hidden, so it needs no showing: the hidden types are "
        f"{', '.join(hidden)}.{hint}"
    )


def _prefix(value: object) -> str:
    text = text_value(value, what="an issue project key such as SHOP")
    if _PREFIX.fullmatch(text):
        return text
    raise ValueError(f"{text!r} is not an issue project key: upper-case letters and digits")


PrLink = Annotated[str, _link("{n}", "https://github.com/acme/shop/pull/{n}")]
IssueLink = Annotated[str, _link("{key}", "https://acme.atlassian.net/browse/{key}")]


class LinksConfig(Section):
    """URL templates: ``{n}`` is a pull request number, ``{key}`` an issue key."""

    pr: PrLink | None = None
    issue: IssueLink | None = None


class NotesConfig(Section):
    """Release notes: links, shown types, and the templates directory."""

    links: LinksConfig = Field(default_factory=LinksConfig)
    issue_prefixes: Annotated[
        tuple[Annotated[str, PlainValidator(_prefix)], ...], BeforeValidator(none_as_empty)
    ] = ()
    show_types: Annotated[
        tuple[Annotated[str, PlainValidator(_show_type)], ...], BeforeValidator(none_as_empty)
    ] = ()
    templates_dir: RepoPath | None = None

    @field_validator("templates_dir")
    @classmethod
    def _a_directory(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        if path is None:
            return None
        base = (info.context or {}).get(CONFIG_DIR)
        full = path if base is None or path.is_absolute() else Path(base) / path
        if not full.is_dir():
            raise ValueError(f"the templates directory {full} does not exist")
        return full
