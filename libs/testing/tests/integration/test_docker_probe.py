"""The Docker probe asks the engine itself: a socket that answers /_ping is an engine."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from ballast.testing.containers import engine_answers


def serve_once(path: Path, reply: bytes) -> threading.Thread:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(1)

    def answer() -> None:
        with server, server.accept()[0] as conn:
            conn.recv(1024)
            conn.sendall(reply)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    return thread


def test_engine_answers__socket_answering_ping__true(tmp_path: Path) -> None:
    sock = tmp_path / "docker.sock"
    serve_once(sock, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")
    assert engine_answers(f"unix://{sock}")


def test_engine_answers__socket_answering_error__false(tmp_path: Path) -> None:
    sock = tmp_path / "docker.sock"
    serve_once(sock, b"HTTP/1.1 500 Internal Server Error\r\n\r\n")
    assert not engine_answers(f"unix://{sock}")


def test_engine_answers__stale_socket_file__false(tmp_path: Path) -> None:
    sock = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX) as bound:
        bound.bind(str(sock))  # a socket file nobody listens on
        assert not engine_answers(f"unix://{sock}")
