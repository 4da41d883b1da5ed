"""Release notes as text: jinja2 templates from ``bot/templates`` (or the config's
``notes.templates_dir``, file by file), one escaping rule per output format.

Every ``{{ … }}`` in a template is escaped for its format by jinja's ``finalize`` hook, so a
commit message can never inject markup: in Slack mrkdwn ``&``, ``<`` and ``>`` become
entities (``<!channel>`` and ``<@U123>`` never ping), in Markdown HTML and emphasis characters
are escaped. The helpers a template calls (``text``, ``pr``, ``issue``, ``who``) return
already-escaped :class:`Safe` strings with links in the format's own syntax.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from bot.domain.notes import IssueRef, Person, PullRef, ReleaseNotes, Text, segments
from bot.errors import ConfigError
from bot.messages import escape

if TYPE_CHECKING:
    from bot.config.notes import NotesConfig

__all__ = ["Format", "NotesRenderer", "Safe", "escape_markdown"]


class Format(StrEnum):
    MARKDOWN = "md"
    SLACK = "slack"
    ANNOUNCEMENT = "announcement"

    @property
    def template(self) -> str:
        return _TEMPLATES[self]


_TEMPLATES = {
    Format.MARKDOWN: "notes.md.j2",
    Format.SLACK: "notes.slack.j2",
    Format.ANNOUNCEMENT: "announcement.slack.j2",
}


class Safe(str):
    """Text already escaped for the output format; ``finalize`` passes it through."""

    __slots__ = ()


_MARKDOWN = re.compile(r"([\\`*_\[\]<>|])")


def escape_markdown(text: str) -> str:
    """CommonMark's inline syntax (emphasis, code, links, HTML, tables) as literal text."""
    return _MARKDOWN.sub(r"\\\1", text.replace("&", "&amp;"))


@dataclass(frozen=True)
class _Syntax:
    escape: Callable[[str], str]
    link: Callable[[str, str], str]
    """(url, already-escaped label) → a link."""


_SYNTAX = {
    Format.MARKDOWN: _Syntax(escape=escape_markdown, link=lambda url, label: f"[{label}]({url})"),
    Format.SLACK: _Syntax(escape=escape, link=lambda url, label: f"<{url}|{label}>"),
}
_SYNTAX[Format.ANNOUNCEMENT] = _SYNTAX[Format.SLACK]


class Links:
    """Where ``#12`` and ``SHOP-3`` point: URL templates with ``{n}`` and ``{key}``."""

    def __init__(self, *, pr: str | None = None, issue: str | None = None) -> None:
        self.pr = pr
        self.issue = issue

    def pr_url(self, number: int) -> str | None:
        return self.pr.replace("{n}", str(number)) if self.pr else None

    def issue_url(self, key: str) -> str | None:
        return self.issue.replace("{key}", key) if self.issue else None


class NotesRenderer:
    """Renders :class:`ReleaseNotes` in each :class:`Format`. A template is loaded when first
    used; :meth:`check` loads them all, so the bot reports a broken custom template at start."""

    def __init__(
        self,
        *,
        pr_link: str | None = None,
        issue_link: str | None = None,
        issue_prefixes: Iterable[str] = (),
        templates_dir: Path | None = None,
    ) -> None:
        self._links = Links(pr=pr_link, issue=issue_link)
        self._prefixes = tuple(issue_prefixes)
        loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("bot", "templates")]
        if templates_dir is not None:
            loaders.insert(0, jinja2.FileSystemLoader(templates_dir))
        self._loader = jinja2.ChoiceLoader(loaders)
        self._templates: dict[Format, jinja2.Template] = {}

    @classmethod
    def from_config(cls, notes: NotesConfig | None) -> NotesRenderer:
        """The renderer the config's ``notes`` section describes (the defaults for None)."""
        if notes is None:
            return cls()
        return cls(
            pr_link=notes.links.pr,
            issue_link=notes.links.issue,
            issue_prefixes=notes.issue_prefixes,
            templates_dir=notes.templates_dir,
        )

    def check(self) -> None:
        """Load every template; ConfigError names the file and line of the first broken one."""
        for fmt in Format:
            self._template(fmt)

    def render(self, notes: ReleaseNotes, *, fmt: Format, title: str, subtitle: str = "") -> str:
        template = self._template(fmt)
        try:
            return template.render(notes=notes, title=title, subtitle=subtitle)
        except jinja2.TemplateError as exc:
            raise ConfigError(f"the template {fmt.template} failed: {exc}") from exc

    def _template(self, fmt: Format) -> jinja2.Template:
        if fmt not in self._templates:
            env = jinja2.Environment(
                loader=self._loader,
                autoescape=False,  # noqa: S701 - not HTML: finalize escapes for the format
                finalize=self._finalizer(fmt),
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
            )
            env.globals.update(self._helpers(fmt))
            self._templates[fmt] = _load(env, fmt.template)
        return self._templates[fmt]

    def _finalizer(self, fmt: Format) -> Callable[[Any], str]:
        escape = _SYNTAX[fmt].escape

        def finalize(value: Any) -> str:
            if isinstance(value, Safe):
                return value
            return escape("" if value is None else str(value))

        return finalize

    def _helpers(self, fmt: Format) -> dict[str, Callable[..., Safe]]:
        syntax = _SYNTAX[fmt]

        def pr(number: int) -> Safe:
            url = self._links.pr_url(number)
            label = f"#{number}"
            return Safe(syntax.link(url, label) if url else syntax.escape(label))

        def issue(key: str) -> Safe:
            url = self._links.issue_url(key)
            return Safe(syntax.link(url, syntax.escape(key)) if url else syntax.escape(key))

        def text(value: str) -> Safe:
            if "#" not in value and "-" not in value:  # no reference can be in it
                return Safe(syntax.escape(value))
            parts: list[str] = []
            for part in segments(value, issue_prefixes=self._prefixes):
                if isinstance(part, PullRef):
                    parts.append(pr(part.number))
                elif isinstance(part, IssueRef):
                    parts.append(issue(part.key))
                else:
                    assert isinstance(part, Text)
                    parts.append(syntax.escape(part.text))
            return Safe("".join(parts))

        names: dict[Person, Safe] = {}

        def who(person: Person) -> Safe:
            shown = names.get(person)
            if shown is None:
                name = syntax.escape(person.name or person.email)
                login = f" (@{syntax.escape(person.login)})" if person.login else ""
                shown = names[person] = Safe(name + login)
            return shown

        return {"text": text, "pr": pr, "issue": issue, "who": who}


def _load(env: jinja2.Environment, name: str) -> jinja2.Template:
    try:
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or name
        raise ConfigError(f"{where}: line {exc.lineno}: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(f"the template {name} is missing from bot/templates") from exc
