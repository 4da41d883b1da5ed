"""NotesService on SQLite and PostgreSQL, over real git repositories: the range starts at the
train's previous released commit (a hotfix's at its base), a service keeps to its paths, the
cut posts the notes, and publishing announces once, audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import parse_config
from bot.domain.notes import SectionKind
from bot.domain.release import ReleaseState
from bot.errors import NotAllowed, NotFound, UsageError
from bot.services.models import ReleaseInfo
from tests.integrations.source.repos import BO, CHEN, commit, init
from tests.services.fakes import FakeClock, RecordingNotifier
from tests.services.world import TO_RELEASED, Sessions, World, build, walk

RM = "U0RM"
CONFIG = """
services:
  checkout: {{paths: [services/checkout/]}}
  search: {{}}
trains:
  web:
    channel: "#releases"
    announce_channel: "#announcements"
    services: [checkout, search]
    repo: {{path: "{repo}", branch: main}}
  bare:
    channel: "#releases"
  quiet:
    channel: "#releases"
    repo: {{path: "{repo}", branch: main}}
notes:
  links: {{pr: "https://github.com/acme/shop/pull/{{n}}"}}
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    repo = init(tmp_path / "shop")
    commit(repo, "feat: the shop opens", files={"README": "shop\n"})
    return repo


@pytest.fixture
def world(
    db_sessions: Sessions, clock: FakeClock, notifier: RecordingNotifier, shop: Path
) -> World:
    config = parse_config(text=CONFIG.format(repo=shop))
    return build(sessions=db_sessions, config=config, clock=clock, notifier=notifier)


async def released(world: World, train: str = "web") -> ReleaseInfo:
    release = await world.releases.cut(train=train, actor=RM)
    return await walk(world.releases, release, TO_RELEASED, actor=RM)


async def test_the_first_release_covers_the_whole_history(world: World) -> None:
    release = await world.releases.cut(train="web", actor=RM)
    doc = await world.notes.notes(release)
    assert doc.base_version is None
    assert doc.found.base is None
    assert [e.description for e in doc.found.notes.sections[0].entries] == ["the shop opens"]
    assert "the whole history: the first release" in doc.subtitle
    assert doc.title == f"Release notes: web {release.version}"
    assert doc.filename == f"notes-web-{release.version}.md"


async def test_notes_start_at_the_previous_released_commit(world: World, shop: Path) -> None:
    first = await released(world)
    commit(
        shop, "fix(cart): keep coupons (#12)", files={"services/checkout/a.py": "1\n"}, author=BO
    )
    commit(shop, "feat: search suggestions", files={"services/search/s.py": "1\n"}, author=CHEN)
    commit(shop, "chore: bump deps")
    second = await world.releases.cut(train="web", actor=RM)
    doc = await world.notes.notes(second)
    notes = doc.found.notes
    assert doc.base_version == first.version
    assert doc.found.base == first.commit_sha
    assert [s.kind for s in notes.sections] == [SectionKind.FEATURES, SectionKind.FIXES]
    assert (notes.commits, notes.hidden) == (3, 1)
    assert f"since {first.version}" in doc.subtitle
    assert "1 hidden" in doc.subtitle
    assert "<https://github.com/acme/shop/pull/12|#12>" in doc.slack
    assert "[#12](https://github.com/acme/shop/pull/12)" in doc.markdown
    assert {c.person.name for c in notes.contributors if c.first_time} == {"Bo Berg", "Chen Wei"}

    checkout = await world.notes.notes(second, service="checkout")
    assert [e.description for s in checkout.found.notes.sections for e in s.entries] == [
        "keep coupons"
    ]
    assert checkout.title.endswith("(checkout)")
    assert checkout.filename.endswith("-checkout.md")
    search = await world.notes.notes(second, service="search")  # no paths: the whole repo
    assert search.found.notes.commits == 3


async def test_a_hotfix_starts_at_its_base_release(world: World, shop: Path) -> None:
    base = await released(world)
    commit(shop, "fix: hot one")
    hotfix = await world.releases.hotfix(train="web", actor=RM, reason="outage")
    doc = await world.notes.notes(hotfix)
    assert doc.base_version == base.version
    assert doc.title.startswith("Hotfix notes: web")
    assert [e.description for s in doc.found.notes.sections for e in s.entries] == ["hot one"]


async def test_unknown_services_and_missing_sources_are_explained(world: World) -> None:
    release = await world.releases.cut(train="web", actor=RM)
    with pytest.raises(UsageError, match=r"Train web ships no service `chekout`\. Did you mean"):
        await world.notes.notes(release, service="chekout")
    bare = await world.releases.cut(train="bare", actor=RM)
    with pytest.raises(NotFound, match="Train bare has no repository"):
        await world.notes.notes(bare)


async def test_the_cut_posts_the_notes_once_or_says_why_not(
    world: World, notifier: RecordingNotifier, shop: Path
) -> None:
    release = await world.releases.cut(train="web", actor=RM)
    await world.notes.post_at_cut(release)
    [(doc, publishable)] = notifier.notes
    assert publishable
    assert doc.release.id == release.id
    quiet = await world.releases.cut(train="quiet", actor=RM)
    await world.notes.post_at_cut(quiet)
    assert notifier.notes[-1][1] is False  # no announce_channel: no Publish button

    (shop / ".git" / "objects").rename(shop / "objects-gone")
    await world.notes.post_at_cut(release)
    assert notifier.thread[-1].text.startswith(":warning: The release notes could not be made:")
    assert len(notifier.notes) == 2


async def test_publishing_announces_once_and_is_audited(
    world: World, notifier: RecordingNotifier
) -> None:
    release = await world.releases.cut(train="web", actor=RM)
    first = await world.notes.publish(release=release, actor=RM)
    again = await world.notes.publish(release=release, actor="U0OTHER")
    assert first.posted
    assert not again.posted
    note = notifier.announcements[release.label]
    assert note.channel == "#announcements"
    assert note.text.startswith(f":rocket: *What's new in web {release.version}*")
    assert notifier.thread[-1].text == f":mega: <@{RM}> published these notes to #announcements."
    history = await world.releases.history(release)
    assert [(e.action, e.actor) for e in history if e.action == "publish_notes"] == [
        ("publish_notes", RM)
    ]


async def test_what_will_not_ship_is_not_published(world: World) -> None:
    quiet = await world.releases.cut(train="quiet", actor=RM)
    with pytest.raises(NotAllowed, match="Train quiet has no `announce_channel`"):
        await world.notes.publish(release=quiet, actor=RM)
    release = await world.releases.cut(train="web", actor=RM)
    cancelled = await world.releases.cancel(release=release, actor=RM, reason="scrapped")
    assert cancelled.state is ReleaseState.CANCELLED
    with pytest.raises(NotAllowed, match="is cancelled: it will not ship"):
        await world.notes.publish(release=cancelled, actor=RM)
