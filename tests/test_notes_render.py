"""The notes templates: each format escapes commit text its own way, links references, and a
team's templates directory overrides the built-in files one by one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.notes import Person, ReleaseNotes, SourceCommit, build_notes
from bot.errors import ConfigError
from bot.notes_render import Format, NotesRenderer, escape_markdown

ANA = Person("Ana Lima", "ana@example.com", "ana")
BO = Person("Bo <script>", "bo@example.com")


def commit(n: int, message: str, author: Person = ANA) -> SourceCommit:
    return SourceCommit(sha=f"{n:040x}", message=message, author=author, parents=(f"{n - 1:040x}",))


def notes() -> ReleaseNotes:
    return build_notes(
        [
            commit(1, "feat(cart): add coupons (#12) SHOP-7"),
            commit(2, "fix: stop pinging <!channel> and <@U123> & friends", BO),
            commit(3, "feat!: drop the v1 API\n\nBREAKING CHANGE: clients must use /v2"),
            commit(4, "docs: explain *markdown* and [links](http://x)"),
            commit(5, "chore: bump deps"),
        ],
        known=frozenset({"ana@example.com"}),
    )


LINKS = NotesRenderer(
    pr_link="https://github.com/acme/shop/pull/{n}",
    issue_link="https://acme.atlassian.net/browse/{key}",
    issue_prefixes=("SHOP",),
)


def test_slack_escapes_mentions_and_links_references() -> None:
    text = LINKS.render(notes(), fmt=Format.SLACK, title="web 2026.11.2 <!here>")
    assert "<!channel>" not in text
    assert "<@U123>" not in text
    assert "<!here>" not in text
    assert "&lt;!channel&gt; and &lt;@U123&gt; &amp; friends" in text
    assert "*web 2026.11.2 &lt;!here&gt;*" in text
    assert "(<https://github.com/acme/shop/pull/12|#12>)" in text
    assert "<https://acme.atlassian.net/browse/SHOP-7|SHOP-7>" in text
    assert "Bo &lt;script&gt;" in text
    assert "Ana Lima (@ana)" in text


def test_slack_sections_come_in_order_with_breaking_first() -> None:
    text = LINKS.render(notes(), fmt=Format.SLACK, title="t")
    order = [text.index(f"*{title}*") for title in ("Breaking changes", "Features", "Fixes")]
    assert order == sorted(order)
    assert "_clients must use /v2_" in text
    assert "bump deps" not in text
    assert ":tada: First contribution: Bo &lt;script&gt;. Welcome!" in text


def test_markdown_escapes_html_and_emphasis() -> None:
    text = LINKS.render(notes(), fmt=Format.MARKDOWN, title="web", subtitle="5 commits")
    assert text.startswith("# web\n\n5 commits\n")
    assert "\\*markdown\\* and \\[links\\](http://x)" in text
    assert "\\<!channel\\> and \\<@U123\\> &amp; friends" in text
    assert "([#12](https://github.com/acme/shop/pull/12))" in text
    assert "- **cart:** add coupons" in text
    assert "  > clients must use /v2" in text
    assert "- Bo \\<script\\>: 1 commit (first contribution, welcome!)" in text


def test_without_links_references_stay_text() -> None:
    text = NotesRenderer().render(notes(), fmt=Format.SLACK, title="t")
    assert "(#12)" in text
    assert "SHOP-7" in text
    assert "<http" not in text


def test_the_announcement_leaves_out_internals() -> None:
    text = LINKS.render(notes(), fmt=Format.ANNOUNCEMENT, title="What's new")
    assert text.startswith(":rocket: *What's new*")
    assert "*Heads-up: changes that need action*\n• clients must use /v2" in text
    assert "*New*\n• add coupons" in text
    assert "explain" not in text  # documentation is internal
    assert "Ana" not in text
    assert "0000001" not in text


def test_an_empty_range_says_so() -> None:
    empty = build_notes([])
    assert "No changes to note." in NotesRenderer().render(empty, fmt=Format.MARKDOWN, title="t")
    hidden = build_notes([commit(1, "ci: cache")])
    assert "(1 hidden" in NotesRenderer().render(hidden, fmt=Format.SLACK, title="t")
    assert (
        NotesRenderer()
        .render(empty, fmt=Format.ANNOUNCEMENT, title="t")
        .endswith("Maintenance and reliability improvements.\n")
    )


def test_a_templates_directory_overrides_file_by_file(tmp_path: Path) -> None:
    (tmp_path / "notes.slack.j2").write_text(
        "{{ title }}: "
        "{% for s in notes.sections %}{{ s.title }}={{ s.entries|length }} {% endfor %}"
    )
    renderer = NotesRenderer(templates_dir=tmp_path)
    renderer.check()
    assert renderer.render(notes(), fmt=Format.SLACK, title="a<b") == (
        "a&lt;b: Breaking changes=1 Features=1 Fixes=1 Documentation=1 "
    )
    assert renderer.render(notes(), fmt=Format.MARKDOWN, title="t").startswith("# t")


def test_a_broken_template_is_a_config_error_naming_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "notes.md.j2").write_text("# {{ title }}\n{% for x in %}\n")
    with pytest.raises(ConfigError, match=r"notes\.md\.j2: line 2: "):
        NotesRenderer(templates_dir=tmp_path).check()


def test_an_unknown_variable_fails_the_render_clearly(tmp_path: Path) -> None:
    (tmp_path / "announcement.slack.j2").write_text("{{ release.version }}")
    renderer = NotesRenderer(templates_dir=tmp_path)
    with pytest.raises(
        ConfigError, match=r"announcement\.slack\.j2 failed: 'release' is undefined"
    ):
        renderer.render(notes(), fmt=Format.ANNOUNCEMENT, title="t")


def test_from_config_reads_the_notes_section() -> None:
    from bot.config import parse_config

    config = parse_config(
        text='notes:\n  links: {pr: "https://git.example/pr/{n}"}\n  issue_prefixes: [SHOP]\n'
    )
    text = NotesRenderer.from_config(config.notes).render(notes(), fmt=Format.SLACK, title="t")
    assert "<https://git.example/pr/12|#12>" in text
    assert NotesRenderer.from_config(None).render(notes(), fmt=Format.SLACK, title="t")


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a*b_c`d", "a\\*b\\_c\\`d"),
        ("<x> & [y]|", "\\<x\\> &amp; \\[y\\]\\|"),
        ("é 日本", "é 日本"),
    ],
)
def test_escape_markdown(raw: str, escaped: str) -> None:
    assert escape_markdown(raw) == escaped
