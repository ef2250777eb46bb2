"""A TCP proxy on loopback that can be cut and restored: an outage of whatever is behind it.

The chaos suite puts one in front of anvil and gives its URL to the services as their chain RPC
(ballast.cli.system.System, `rpc_proxy`). `cut()` closes the listener and every open connection
(the services see connection refused, as when a node is unreachable); `restore()` listens again
on the same port. Threads, not asyncio: the System that owns it is driven from blocking code.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field

from ballast.devstack.processes import free_port

CHUNK = 65536


@dataclass
class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target` (host, port) while not cut."""

    target: tuple[str, int]
    port: int = field(default_factory=free_port)
    _listener: socket.socket | None = None
    _open: set[socket.socket] = field(default_factory=lambda: set())
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cut_off(self) -> bool:
        return self._listener is None

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(
            target=self._accept, args=(listener,), daemon=True, name=f"proxy:{self.port}"
        ).start()
        return self

    def restore(self) -> None:
        """Listen again (after `cut`)."""
        if self._listener is None:
            self.start()

    def cut(self) -> None:
        """Stop listening and close every connection through it."""
        listener, self._listener = self._listener, None
        if listener is not None:
            _close(listener)
        with self._lock:
            doomed, self._open = self._open, set()
        for sock in doomed:
            _close(sock)

    close = cut  # contextlib.closing

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    _close(client)
                    _close(upstream)
                    return
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(CHUNK):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                _close(sock)
            with self._lock:
                self._open -= {source, sink}


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
