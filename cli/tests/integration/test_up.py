"""`ballast up` as a user runs it: infrastructure up fast, Ctrl-C leaves no process behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ballast.devstack.nats import server_info
from ballast.devstack.postgres import EmbeddedPostgres
from ballast.devstack.processes import free_port


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie is not a process left behind: its parent has not reaped it yet
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def without_servers(**extra: str) -> dict[str, str]:
    """The environment minus NATS_URL and DATABASE_URL: `ballast up` starts its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "DATABASE_URL")}
    return env | extra


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains `text`."""
    found: list[int] = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        pid = int(cmdline.parent.name)
        if text in argv and pid != os.getpid() and alive(pid):
            found.append(pid)
    return found


def run_up(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ballast.cli.main", "up", "--no-services", "--scenario", "none"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def stack_dir() -> Iterator[Path]:
    """Not pytest's tmp_path: that is 0700 root, and as root the embedded Postgres would keep
    its data outside it (in /var/tmp), where nothing deletes it after the test."""
    path = Path(tempfile.mkdtemp(prefix="ballast-up-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def authenticated_bus(state: dict[str, Any]) -> str:
    """The stack's nats-server wants a user (production's, ballast.cli.busauth); `ballast
    status` logs in as the observer from a 0600 file. Its password."""
    info = server_info(state["nats_url"])
    assert info is not None and info.get("auth_required") is True
    assert state["nats_user"] == "observer"
    path = Path(state["nats_password_file"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return path.read_text().strip()


def test_up__ctrl_c__stops_nats_postgres_anvil_offchain_and_leaves_no_process(
    stack_dir: Path,
) -> None:
    tmp_path = stack_dir
    env = without_servers(BALLAST_DATA_DIR=str(tmp_path / "stack"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ballast.cli.main", "up", "--no-services", "--scenario", "none"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    started = time.monotonic()
    state_file = tmp_path / "stack" / "stack.json"
    try:
        while not state_file.exists():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() - started < 30, "stack not up within 30 s"
            time.sleep(0.05)
        state = json.loads(state_file.read_text())
        pids = list(state["infra_pids"])
        assert len(pids) == 4 and all(alive(p) for p in pids)  # + Hermes/Crossbar
        password = authenticated_bus(state)
    finally:
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=60)[1]
    assert proc.returncode == 0, out
    assert password not in out
    for log in (tmp_path / "stack").rglob("*.log"):
        assert password not in log.read_text(errors="replace"), log
    assert "no process left behind" in out
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p for p in pids if alive(p)] == []
    assert not state_file.exists()


def test_up__embedded_postgres_cannot_start__one_line_and_nats_stopped(tmp_path: Path) -> None:
    """A data directory of another Postgres version (here under pytest's 0700 tmp, so as root
    the server's home is outside it): one line saying what to do, exit 1, nothing left."""
    data_dir = tmp_path / "stack"
    stale = EmbeddedPostgres(data_dir / "postgres")
    stale.start()
    stale.stop()
    (stale.pgdata / "PG_VERSION").write_text("9\n")
    try:
        run = run_up(without_servers(BALLAST_DATA_DIR=str(data_dir)))
    finally:
        shutil.rmtree(stale.home, ignore_errors=True)
    assert run.returncode == 1, run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("ballast up: embedded Postgres: postgres failed: ")
    assert f"if {stale.pgdata} is stale" in last
    assert "DATABASE_URL" in last
    assert "Traceback" not in run.stderr
    assert processes_mentioning(str(data_dir)) == []  # nats-server, started first, is gone
    assert not (data_dir / "stack.json").exists()


def test_up__nats_url_answers_nothing__one_line_and_exit_1(stack_dir: Path) -> None:
    port = free_port()
    env = without_servers(BALLAST_DATA_DIR=str(stack_dir), NATS_URL=f"nats://127.0.0.1:{port}")
    run = run_up(env)
    assert run.returncode == 1, run.stderr
    assert run.stderr.strip().splitlines()[-1] == (
        f"ballast up: no NATS server answers at nats://127.0.0.1:{port} (from NATS_URL)"
    )
    assert processes_mentioning(str(stack_dir)) == []
