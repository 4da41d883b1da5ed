"""The command adapter against real little bash scripts written into a temporary folder."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from integrations.deploy.base import DeployError, DeployState, Target
from integrations.deploy.command import CommandAdapter

TARGET = Target("checkout", "1.1.0", "1.0.0", "web/1.1.0")
FIRST = Target("checkout", "1.0.0", None, "web/1.0.0")
NOW = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
BASH_VARIABLES = {"PWD", "SHLVL", "_", "OLDPWD"}  # bash exports these itself


def script(folder: Path, body: str, *, name: str = "deploy.sh", mode: int = 0o755) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/usr/bin/env bash\nset -eu\n{body}\n")
    path.chmod(mode)
    return path


def read_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie left for a non-reaping init counts as exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


async def test_each_action_gets_the_documented_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATIONMASTER_SLACK_BOT_TOKEN", "xoxb-not-for-scripts")
    run = script(tmp_path, 'env > "$OUT/$ACTION.env"\necho "did $ACTION"')
    adapter = CommandAdapter(
        run=run, timeout=10, env={"OUT": str(tmp_path), "KUBECONFIG": "/k"}, clock=lambda: NOW
    )

    started = await adapter.start(target=TARGET)
    weighted = await adapter.set_weight(target=TARGET, weight=10)
    promoted = await adapter.promote(target=TARGET)
    rolled_back = await adapter.rollback(target=TARGET)
    switched = await adapter.switch(target=FIRST)

    expected = {
        "deploy": ("1.1.0", "1.0.0", "0"),
        "set_weight": ("1.1.0", "1.0.0", "10"),
        "promote": ("1.1.0", "1.0.0", "100"),
        "rollback": ("1.1.0", "1.0.0", "0"),  # VERSION is removed, PREVIOUS_VERSION restored
        "switch": ("1.0.0", "", "100"),  # a first release has no previous version
    }
    for action, (version, previous, weight) in expected.items():
        env = read_env(tmp_path / f"{action}.env")
        assert env["ACTION"] == action
        assert (env["VERSION"], env["PREVIOUS_VERSION"], env["WEIGHT"]) == (
            version,
            previous,
            weight,
        )
        assert env["SERVICE"] == "checkout"
        assert env["RELEASE"] == ("web/1.0.0" if action == "switch" else "web/1.1.0")
        assert env["PATH"] == os.environ["PATH"]
        assert env["KUBECONFIG"] == "/k"
        allowed = {"PATH", "ACTION", "SERVICE", "VERSION", "PREVIOUS_VERSION", "WEIGHT"}
        assert set(env) - BASH_VARIABLES == allowed | {"RELEASE", "OUT", "KUBECONFIG"}

    assert (started.state, started.weight) == (DeployState.HEALTHY, 0)
    assert (started.stable_version, started.canary_version) == ("1.0.0", "1.1.0")
    assert started.message == "did deploy"
    assert started.at == NOW
    assert (weighted.weight, weighted.canary_version) == (10, "1.1.0")
    assert (promoted.weight, promoted.stable_version, promoted.canary_version) == (
        100,
        "1.1.0",
        None,
    )
    assert (rolled_back.weight, rolled_back.stable_version) == (0, "1.0.0")
    assert rolled_back.canary_version is None
    assert (switched.weight, switched.stable_version) == (100, "1.0.0")
    assert await adapter.status(target=TARGET) == switched


async def test_a_failure_carries_the_tail_of_the_output(tmp_path: Path) -> None:
    run = script(
        tmp_path,
        '[ "$ACTION" = deploy ] && exit 0\n'
        'for i in $(seq 1 30); do echo "out $i"; echo "err $i" >&2; done\nexit 3',
    )
    adapter = CommandAdapter(run=run, timeout=10)
    await adapter.start(target=TARGET)

    with pytest.raises(
        DeployError, match=r"deploy\.sh exited 3 on promote of checkout 1\.1\.0$"
    ) as caught:
        await adapter.promote(target=TARGET)

    lines = caught.value.output.splitlines()
    assert lines == [f"{kind} {i}" for i in range(21, 31) for kind in ("out", "err")]
    assert caught.value.status is not None
    assert caught.value.status.state is DeployState.FAILED
    assert caught.value.status.canary_version == "1.1.0"  # where the last good step left it
    status = await adapter.status(target=TARGET)
    assert status.state is DeployState.FAILED
    assert "exited 3" in status.message


async def test_a_flood_of_output_neither_blocks_nor_fills_memory(tmp_path: Path) -> None:
    line = "x" * 199
    run = script(tmp_path, f'for i in $(seq 1 5000); do echo "$i {line}"; done\nexit 1')
    adapter = CommandAdapter(run=run, timeout=20)

    with pytest.raises(DeployError) as caught:
        await adapter.start(target=TARGET)

    assert len(caught.value.output) == 2000
    assert caught.value.output.endswith(f"5000 {line}")


async def test_a_command_past_its_timeout_is_stopped_with_its_children(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    run = script(tmp_path, f'echo starting\nsleep 30 &\necho $! > {pids}\ntrap "" TERM\nwait')
    adapter = CommandAdapter(run=run, timeout=0.5, kill_grace=0.2)
    began = time.monotonic()

    with pytest.raises(DeployError, match=r"took over 0\.5s on set_weight of checkout") as caught:
        await adapter.set_weight(target=TARGET, weight=50)

    assert time.monotonic() - began < 5
    assert caught.value.output == "starting"
    child = int(pids.read_text())
    for _ in range(50):
        if gone(child):
            break
        await asyncio.sleep(0.05)
    assert gone(child)
    status = await adapter.status(target=TARGET)
    assert status.state is DeployState.UNKNOWN


async def test_a_cancelled_step_kills_the_command(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    run = script(tmp_path, f"echo $$ > {pids}\nsleep 30")
    adapter = CommandAdapter(run=run, timeout=60)
    task = asyncio.create_task(adapter.promote(target=TARGET))
    while not pids.exists() or not pids.read_text().strip():
        await asyncio.sleep(0.02)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert gone(int(pids.read_text()))


async def test_a_signal_is_named(tmp_path: Path) -> None:
    adapter = CommandAdapter(run=script(tmp_path, "kill -KILL $$"), timeout=10)
    with pytest.raises(DeployError, match=r"was killed by SIGKILL on deploy .* printed nothing$"):
        await adapter.start(target=TARGET)


async def test_unusable_programs_say_what_to_do(tmp_path: Path) -> None:
    plain = script(tmp_path, "exit 0", mode=0o644)
    with pytest.raises(DeployError, match=rf"{plain} is not executable; run `chmod \+x {plain}`"):
        await CommandAdapter(run=plain, timeout=5).start(target=TARGET)

    missing = tmp_path / "nowhere.sh"
    with pytest.raises(DeployError, match=rf"{missing} does not exist; create it"):
        await CommandAdapter(run=missing, timeout=5).rollback(target=TARGET)

    with pytest.raises(DeployError, match="'no-such-deployer-xyz' is not on PATH"):
        await CommandAdapter(run=["no-such-deployer-xyz"], timeout=5).start(target=TARGET)

    headless = tmp_path / "headless.sh"
    headless.write_text("echo no shebang\n")
    headless.chmod(0o755)
    adapter = CommandAdapter(run=headless, timeout=5)
    with pytest.raises(DeployError, match=r"could not be started on deploy .*#! first line"):
        await adapter.start(target=TARGET)
    assert (await adapter.status(target=TARGET)).state is DeployState.FAILED


async def test_a_list_of_arguments_runs_without_a_shell(tmp_path: Path) -> None:
    out = tmp_path / "args"
    run = script(tmp_path, f'printf "%s\\n" "$@" > {out}')
    await CommandAdapter(run=["bash", str(run), "a b", "$HOME", ";ls"], timeout=5).start(
        target=TARGET
    )
    assert out.read_text().splitlines() == ["a b", "$HOME", ";ls"]

    await CommandAdapter(run=[str(run), "--only"], timeout=5).start(target=TARGET)
    assert out.read_text() == "--only\n"


async def test_a_relative_path_is_relative_to_cwd(tmp_path: Path) -> None:
    script(tmp_path, f"pwd > {tmp_path / 'where'}", name="deploy/checkout.sh")
    adapter = CommandAdapter(run=Path("deploy/checkout.sh"), timeout=5, cwd=tmp_path)
    await adapter.start(target=TARGET)
    assert (tmp_path / "where").read_text().strip() == str(tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    adapter = CommandAdapter(run="deploy/checkout.sh", timeout=5, cwd=elsewhere)
    with pytest.raises(DeployError, match=f"{elsewhere}/deploy/checkout.sh does not exist"):
        await adapter.start(target=TARGET)


async def test_status_before_any_step_is_unknown() -> None:
    adapter = CommandAdapter(run=["true"], timeout=5, clock=lambda: NOW)
    status = await adapter.status(target=TARGET)
    assert (status.state, status.weight, status.stable_version) == (DeployState.UNKNOWN, 0, None)
    assert "cannot be asked" in status.message
    done = await adapter.start(target=TARGET)
    assert done.message == "deploy of checkout 1.1.0 done"  # silent commands get a message
    assert adapter.label == "true"


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="run needs a program"):
        CommandAdapter(run=[], timeout=5)
    with pytest.raises(ValueError, match="timeout must be positive"):
        CommandAdapter(run=["true"], timeout=0)
    with pytest.raises(ValueError, match="env may not set VERSION, WEIGHT"):
        CommandAdapter(run=["true"], timeout=5, env={"WEIGHT": "1", "VERSION": "x"})


async def test_weights_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="weight must be 0-100"):
        await CommandAdapter(run=["true"], timeout=5).set_weight(target=TARGET, weight=101)
