"""The embedded Postgres from a checkout under a private (0700) directory, as root too.

As root Postgres runs as the `postgres` user, who cannot enter such a directory: the server must
still come up (from a home of its own outside it) and keep its data across runs.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from ballast.devstack.postgres import EmbeddedPostgres, EmbeddedPostgresError, postgres_bin_dir


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def private_checkout(tmp_path: Path) -> Path:
    """A 0700 directory holding a venv's copy of the wheel (`site/`), like root's home does."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    wheel = postgres_bin_dir().parent.parent
    for name in (wheel.name, f"{wheel.name}.libs"):
        shutil.copytree(wheel.parent / name, private / "site" / name, copy_function=_link_or_copy)
    return private


@pytest.fixture
def servers() -> Iterator[list[EmbeddedPostgres]]:
    """Servers a test starts: stopped after it, and their homes outside tmp_path removed."""
    started: list[EmbeddedPostgres] = []
    yield started
    for server in started:
        server.stop()
        shutil.rmtree(server.home, ignore_errors=True)


async def test_embedded_postgres__checkout_under_0700_dir__answers_queries_and_keeps_data(
    private_checkout: Path, servers: list[EmbeddedPostgres]
) -> None:
    bin_dir = private_checkout / "site" / "embedded_postgres" / "pginstall" / "bin"
    root = private_checkout / ".ballast" / "postgres"
    server = EmbeddedPostgres(root, bin_dir=bin_dir)
    servers.append(server)

    dsn = server.start().dsn
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
        assert await conn.fetchval("SELECT n FROM kept") == 42
    finally:
        await conn.close()
    if os.geteuid() == 0:  # run as `postgres`, from outside the private directory
        assert not server.home.is_relative_to(private_checkout)
        assert (server.home / "binaries").is_dir()
    assert mode(private_checkout) == 0o700  # nothing chmodded above
    server.stop()
    assert not (server.home / "binaries").exists()

    again = EmbeddedPostgres(root, bin_dir=bin_dir)
    servers.append(again)
    conn = await asyncpg.connect(again.start().dsn)
    try:
        assert again.home == server.home
        assert await conn.fetchval("SELECT n FROM kept") == 42
    finally:
        await conn.close()


def test_embedded_postgres__port_taken__one_line_error_naming_the_port(
    tmp_path: Path, servers: list[EmbeddedPostgres]
) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        server = EmbeddedPostgres(tmp_path / "pg", port=port)
        servers.append(server)
        with pytest.raises(EmbeddedPostgresError) as raised:
            server.start()
    message = str(raised.value)
    assert "\n" not in message
    assert f"port {port} on 127.0.0.1 is taken" in message
    assert "DATABASE_URL" in message
    assert server.process is None
