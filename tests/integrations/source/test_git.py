from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.errors import IntegrationError
from integrations.source.git import GitRepository


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "a@example.com")
    git(path, "config", "user.name", "A")
    (path / "f").write_text("1")
    git(path, "add", "f")
    git(path, "commit", "-qm", "feat: first")
    return path


async def test_head_of_a_branch(repo: Path) -> None:
    head = await GitRepository(path=repo).head(branch="main")
    assert head.sha == git(repo, "rev-parse", "main")
    assert head.ref == "main"


async def test_head_follows_new_commits_and_other_branches(repo: Path) -> None:
    git(repo, "checkout", "-qb", "release/1")
    (repo / "f").write_text("2")
    git(repo, "commit", "-qam", "fix: second")
    assert (await GitRepository(path=repo).head(branch="release/1")).sha == git(
        repo, "rev-parse", "HEAD"
    )
    assert (await GitRepository(path=repo).head(branch="main")).sha != git(
        repo, "rev-parse", "HEAD"
    )


@pytest.mark.parametrize(
    ("branch", "message"),
    [
        ("nope", "git rev-parse failed"),
        ("--upload-pack=evil", "is not a branch name"),
        ("a..b", "is not a branch name"),
        ("main; rm -rf /", "is not a branch name"),
    ],
)
async def test_bad_branches_are_clear_errors(repo: Path, branch: str, message: str) -> None:
    with pytest.raises(IntegrationError, match=message):
        await GitRepository(path=repo).head(branch=branch)


async def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(IntegrationError, match="git rev-parse failed"):
        await GitRepository(path=tmp_path).head(branch="main")
    with pytest.raises(IntegrationError, match="does not exist"):
        await GitRepository(path=tmp_path / "missing").head(branch="main")
