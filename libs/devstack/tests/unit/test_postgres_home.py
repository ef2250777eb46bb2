"""Where the embedded Postgres may run, and the one line it says when it cannot start."""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

import pytest

from ballast.devstack.postgres_home import blocked_at, failure_line


def me() -> pwd.struct_passwd:
    return pwd.getpwuid(os.geteuid())


def test_blocked_at__directory_without_search_bit__names_that_directory(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    (closed / "inner").mkdir(parents=True)
    closed.chmod(0o600)
    try:
        assert blocked_at(closed / "inner", me()) == closed
    finally:
        closed.chmod(0o700)


def test_blocked_at__owner_may_enter_every_level__none(tmp_path: Path) -> None:
    private = tmp_path / "private"
    (private / "inner").mkdir(parents=True)
    private.chmod(0o700)
    assert blocked_at(private / "inner" / "not-made-yet", me()) is None


def line(tmp_path: Path, log: str, *, data: Path | None = None,
         error: BaseException | None = None, blocked: Path | None = None) -> str:
    (tmp_path / "postgres.log").write_text(log)
    return failure_line(tmp_path / "postgres.log", "postgres", port=5544, home=tmp_path,
                        user="postgres", data=data, error=error, blocked=blocked)


@pytest.mark.parametrize(
    ("log", "data", "error", "expected"),
    [
        (
            '2026-12-05 02:00:00.001 UTC [7] LOG:  could not bind IPv4 address "127.0.0.1": '
            "Address already in use\n2026-12-05 02:00:00.002 UTC [7] FATAL:  could not create "
            "any TCP/IP sockets\n",
            None,
            None,
            ["FATAL:  could not create any TCP/IP sockets", "port 5544 on 127.0.0.1 is taken"],
        ),
        (
            "initdb: error: could not write file: No space left on device\n",
            None,
            None,
            ["No space left on device", "no space left for"],
        ),
        (
            "FATAL:  database files are incompatible with server\n",
            Path("/x/data"),
            None,
            ["incompatible", "if /x/data is stale", "remove it to start afresh"],
        ),
        (
            "",
            None,
            PermissionError(13, "Permission denied", "/x/bin/initdb"),
            ["Permission denied: /x/bin/initdb", "'postgres' was refused access"],
        ),
        ("", None, subprocess.TimeoutExpired("initdb", 30), ["not ready in time", "see the log"]),
    ],
    ids=["port-taken", "no-space", "stale-data", "no-permission", "timeout"],
)
def test_failure_line__each_cause__one_line_with_cause_fix_and_database_url(
    tmp_path: Path, log: str, data: Path | None, error: BaseException | None, expected: list[str]
) -> None:
    message = line(tmp_path, log, data=data, error=error)
    assert "\n" not in message
    assert message.startswith("embedded Postgres: postgres failed: ")
    for part in expected:
        assert part in message
    assert message.endswith("or set DATABASE_URL to an existing server's admin URL")


def test_failure_line__directory_it_cannot_enter__names_it_and_the_permission(
    tmp_path: Path,
) -> None:
    denied = PermissionError(13, "Permission denied", "/root/ballast/.venv/bin/initdb")
    message = line(tmp_path, "", error=denied, blocked=Path("/root"))
    assert "\n" not in message
    assert "give 'postgres' search permission on /root (chmod o+x /root)" in message
