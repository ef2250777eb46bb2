"""The TcpProxy the chaos suite puts in front of anvil: forwards, cuts, comes back."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from ballast.devstack.proxy import TcpProxy


@pytest.fixture
def echo() -> Iterator[int]:
    """A loopback server that echoes every line back; its port."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=lambda c=conn: _echo(c), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def _echo(conn: socket.socket) -> None:
    with conn:
        while data := conn.recv(1024):
            conn.sendall(data)


def ask(port: int, text: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(text)
        return sock.recv(1024)


def test_proxy__cut_then_restored__refused_while_cut_open_connections_closed_then_forwards(
    echo: int,
) -> None:
    proxy = TcpProxy(("127.0.0.1", echo)).start()
    try:
        assert ask(proxy.port, b"one") == b"one"
        held = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        held.sendall(b"x")
        assert held.recv(16) == b"x"
        proxy.cut()
        assert held.recv(16) == b""  # the open connection is closed by the cut
        held.close()
        with pytest.raises(ConnectionRefusedError):
            ask(proxy.port, b"two")
        proxy.restore()
        assert ask(proxy.port, b"three") == b"three"
    finally:
        proxy.cut()
