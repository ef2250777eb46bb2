"""start_process / ProcessGroup: readiness, early death with the log's tail, group shutdown."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import pytest

from ballast.devstack.processes import (
    LISTEN_PORTS_FROM,
    ProcessDiedError,
    ProcessGroup,
    free_port,
    repo_root,
    start_process,
)


def alive(pid: int) -> bool:
    """Running, i.e. neither gone nor a zombie waiting for a (container) init to reap it."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state in ("Z", "X"):
            return False
        time.sleep(0.02)
    return True


def test_free_port__returned__bindable() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_free_port__linux__below_the_ephemeral_range() -> None:
    """An outbound connection never takes it between the pick and the child's bind."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = {free_port() for _ in range(20)}
    assert all(LISTEN_PORTS_FROM <= p < low for p in ports), ports
    assert len(ports) > 1  # random, not one port for every caller


def test_repo_root__from_this_file__holds_uv_lock() -> None:
    assert (repo_root(Path(__file__)) / "uv.lock").is_file()


def test_wait_until__process_dies__error_shows_exit_code_and_log_tail(tmp_path: Path) -> None:
    proc = start_process(
        ["sh", "-c", "echo 'listening? no: config broken' >&2; exit 3"],
        name="broken",
        log_path=tmp_path / "broken.log",
    )
    with proc, pytest.raises(ProcessDiedError, match=r"(?s)exited with code 3.*config broken"):
        proc.wait_until(lambda: False, what="never", timeout=5)


def test_stop__child_ignores_sigterm__whole_group_killed(tmp_path: Path) -> None:
    script = "trap '' TERM; sleep 60 & echo $! > child.pid; wait"
    proc = start_process(["sh", "-c", script], log_path=tmp_path / "sh.log", cwd=tmp_path)
    pid_file = tmp_path / "child.pid"
    # the shell creates the file before echo writes to it: wait for the whole line
    proc.wait_until(
        lambda: pid_file.exists() and pid_file.read_text().endswith("\n"),
        what="child pid written",
        timeout=5,
    )
    child = int(pid_file.read_text())

    started = time.monotonic()
    code = proc.stop(timeout=0.3)

    assert code == -signal.SIGKILL
    assert time.monotonic() - started < 3
    assert not alive(child)


def test_process_group__one_member_dies__check_alive_names_it(tmp_path: Path) -> None:
    with ProcessGroup(tmp_path) as group:
        group.start("steady", ["sleep", "30"])
        dying = group.start("dying", ["sh", "-c", "echo bye; exit 1"])
        dying.popen.wait(5)
        with pytest.raises(ProcessDiedError, match=r"(?s)dying.*bye"):
            group.check_alive()
    assert all(not p.running for p in group.processes)
