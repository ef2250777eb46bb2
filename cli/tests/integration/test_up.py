"""`ballast up` as a user runs it: infrastructure up fast, Ctrl-C leaves no process behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie is not a process left behind: its parent has not reaped it yet
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.fixture
def stack_dir() -> Iterator[Path]:
    """Not pytest's tmp_path: that is 0700 root, and Postgres runs as the `postgres` user."""
    path = Path(tempfile.mkdtemp(prefix="ballast-up-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_up__ctrl_c__stops_nats_postgres_anvil_offchain_and_leaves_no_process(
    stack_dir: Path,
) -> None:
    tmp_path = stack_dir
    env = dict(os.environ, BALLAST_DATA_DIR=str(tmp_path / "stack"))
    env.pop("DATABASE_URL", None)
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
    finally:
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=60)[1]
    assert proc.returncode == 0, out
    assert "no process left behind" in out
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p for p in pids if alive(p)] == []
    assert not state_file.exists()
