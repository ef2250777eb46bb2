"""When the embedded Postgres cannot start, the run stops with one line and leaves nothing up."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

# the session's Postgres gets a port something already listens on: its start must fail
CONFTEST = """
import socket
import ballast.devstack.postgres as pg
held = socket.socket()
held.bind(("127.0.0.1", 0))
held.listen()
pg.free_port = lambda: held.getsockname()[1]
"""

TESTS = """
import pytest
@pytest.mark.integration
def test_bus(nats_server): pass
@pytest.mark.integration
def test_one(database_url): pass
@pytest.mark.integration
def test_two(database_url): pass
"""


def running(text: str) -> list[str]:
    """Command lines of live, non-zombie processes that contain `text`."""
    found: list[str] = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in argv and state not in ("Z", "X") and int(proc.name) != os.getpid():
            found.append(argv)
    return found


def test_postgres_fixture__port_taken__run_stops_with_one_line_and_no_server_left(
    tmp_path: Path,
) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_default_fixture_loop_scope = session\n")
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_sample.py").write_text(TESTS)
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "DATABASE_URL")}
    env["BALLAST_TESTING_DOCKER"] = "0"
    basetemp = tmp_path / "basetemp"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "ballast.testing.plugin", "-q",
         "-p", "no:cacheprovider", f"--basetemp={basetemp}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    output = run.stdout + run.stderr
    log = re.search(r"\(log (/\S+/postgres\.log)\)", output)
    if log:  # a failed start leaves its log, which the line names
        shutil.rmtree(Path(log.group(1)).parent, ignore_errors=True)
    assert run.returncode == pytest.ExitCode.INTERNAL_ERROR, output
    lines = [ln for ln in output.splitlines() if "embedded Postgres" in ln]
    assert len(lines) == 1, output
    assert re.search(r"port \d+ on 127\.0\.0\.1 is taken: stop what listens there", lines[0])
    assert "DATABASE_URL" in lines[0]
    assert "Traceback" not in output
    assert "1 passed" in output  # test_bus: the session had its nats-server
    assert "test_two" not in output  # stopped, not failed test by test
    deadline = time.monotonic() + 5
    while running(str(basetemp)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running(str(basetemp)) == []  # the session's nats-server was stopped
