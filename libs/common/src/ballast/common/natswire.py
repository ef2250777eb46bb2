"""The bus's hot path on nats-py's connection, without nats-py's per-message layers.

nats-py's JetStream publish is a request: a new reply token from a pure-Python NUID, header
validation by regular expression, a `Msg` object with parsed headers for the ack, a trip through
a subscription's queue and task, `json.loads` and a `PubAck` dataclass, per message
(docs/perf/bus-profile-3.txt). `StreamPublisher` writes the same `HPUB` frame itself (the same
headers, `Nats-Expected-Stream` included), waits on one shared reply-inbox wildcard whose
messages go straight from nats-py's protocol parser to the waiting future (`route_sid`), and
reads the ack only as far as it must: an `"error"` in it raises nats-py's `APIError` of that
code, a 503 status (no stream listens on the subject) `NoStreamResponseError`, no ack in time
nats-py's `TimeoutError`, as `JetStreamContext.publish` did.

`ack_all` writes the `+ACK`s of a handled batch in one command: one ack per message (explicit
ack), without a `publish` call each.

`route_sid` is the one place that reaches under nats-py's protocol handling (an instance
attribute over `Client._process_msg`, checked against NATS_PY_CHECKED by
tests/unit/test_natswire.py): the subscription stays nats-py's (its sid is re-sent on a
reconnect, unsubscribed as usual), only its messages skip the `Msg`, header parsing and queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from nats.aio.client import Client
from nats.errors import (
    BadSubjectError,
    ConnectionClosedError,
    ConnectionDrainingError,
    MaxPayloadError,
    OutboundBufferLimitError,
)
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import APIError, NoStreamResponseError

NATS_PY_CHECKED = "2.16.0"
PUBLISH_TIMEOUT_SECONDS = 5.0
"""nats-py's JetStream context's default: the longest a publish waits for the stream's ack."""
EXPECTED_STREAM = "Nats-Expected-Stream"

OnFrame = Callable[[bytes, bytes, bytes, "bytes | None"], None]
"""(subject, reply, data, header block or None), called by the protocol parser, in order."""

_BAD_SUBJECT = re.compile(r"\s")
_NEWLINES = str.maketrans({"\r": " ", "\n": " "})
_ROUTES = "_ballast_routes"


def route_sid(nc: Client, sid: int, on_frame: OnFrame | None) -> None:
    """Hand the messages of subscription `sid` to `on_frame` (None: back to nats-py)."""
    routes: dict[int, OnFrame] | None = nc.__dict__.get(_ROUTES)
    if routes is None:
        routes = {}
        plain = nc._process_msg  # pyright: ignore[reportPrivateUsage]
        stats = nc.stats

        async def process_msg(
            sid: int, subject: bytes, reply: bytes, data: bytes, headers: Any
        ) -> None:
            on = routes.get(sid)
            if on is None:
                await plain(sid, subject, reply, data, headers)
                return
            stats["in_msgs"] += 1
            stats["in_bytes"] += len(data)
            on(subject, reply, data, headers)

        setattr(nc, _ROUTES, routes)
        nc._process_msg = process_msg  # type: ignore[method-assign]  # pyright: ignore[reportAttributeAccessIssue]
    if on_frame is None:
        routes.pop(sid, None)
    else:
        routes[sid] = on_frame


def header_block(headers: dict[str, str]) -> bytes:
    """`NATS/1.0` and a `Name: value` line per header (a line break in a value becomes a space,
    as nats-py does)."""
    lines = ["NATS/1.0\r\n"]
    for key, value in headers.items():
        if "\r" in value or "\n" in value:
            value = value.translate(_NEWLINES)  # noqa: PLW2901
        lines.append(f"{key}: {value.strip()}\r\n")
    lines.append("\r\n")
    return "".join(lines).encode()


async def send(nc: Client, command: bytes, messages: int = 1, size: int = 0) -> None:
    """Queue a protocol command on the connection and kick its flusher, as `publish` does
    (with its refusals: closed, draining, reconnecting with the buffer full)."""
    if nc.is_closed:
        raise ConnectionClosedError
    if nc.is_draining_pubs:
        raise ConnectionDrainingError
    if not nc.is_connected:
        limit = nc._max_pending_size  # pyright: ignore[reportPrivateUsage]
        if limit <= 0 or len(command) + nc._pending_data_size > limit:  # pyright: ignore[reportPrivateUsage]
            raise OutboundBufferLimitError
    stats = nc.stats
    stats["out_msgs"] += messages
    stats["out_bytes"] += size
    await nc._send_command(command)  # pyright: ignore[reportPrivateUsage]
    flush_queue = nc._flush_queue  # pyright: ignore[reportPrivateUsage]
    if flush_queue is not None and flush_queue.empty():
        await nc._flush_pending()  # pyright: ignore[reportPrivateUsage]


async def ack_all(nc: Client, replies: Iterable[str]) -> None:
    """One `+ACK` per reply subject (a JetStream message's ack subject), in one command."""
    frames = [f"PUB {reply} 4\r\n+ACK\r\n" for reply in replies]
    if frames:
        await send(nc, "".join(frames).encode(), len(frames), 4 * len(frames))


class StreamPublisher:
    """JetStream publishes awaiting the stream's ack over one reply inbox (module docstring)."""

    def __init__(
        self, timeout: float = PUBLISH_TIMEOUT_SECONDS,
        connection: Callable[[], Client | None] | None = None,
    ) -> None:
        self.nc: Client | None = None
        self.timeout = timeout
        self._connection = connection
        """The connection to bind to on a publish before `start` (a service's start hooks run
        between its connect and the bus's start: the outbox relay publishes there); None when
        there is none yet."""
        self._starting = asyncio.Lock()
        self._waiting: dict[bytes, asyncio.Future[tuple[bytes, bytes | None]]] = {}
        self._tokens = itertools.count(1)
        self._reply = b""
        self._skip = 0
        self._subjects: dict[str, bytes] = {}
        self._sub: Any = None

    async def start(self, nc: Client) -> None:
        """Subscribe the reply inbox on `nc`, once (a publish before this binds to `connection`
        if it gives one, else raises ConnectionClosedError)."""
        async with self._starting:
            if self.nc is nc:
                return
            prefix = nc.new_inbox() + "."
            self._reply, self._skip = prefix.encode(), len(prefix)
            self._sub = await nc.subscribe(prefix + "*")  # pyright: ignore[reportUnknownMemberType]
            route_sid(nc, self._sub._id, self._on_ack)  # pyright: ignore[reportPrivateUsage]
            self.nc = nc

    async def _bind(self) -> Client:
        nc = self._connection() if self._connection is not None else None
        if nc is None or not nc.is_connected:
            raise ConnectionClosedError
        await self.start(nc)
        return nc

    async def stop(self) -> None:
        nc, sub, self.nc, self._sub = self.nc, self._sub, None, None
        if nc is not None and sub is not None:
            route_sid(nc, sub._id, None)  # pyright: ignore[reportPrivateUsage]
            if not nc.is_closed:
                with contextlib.suppress(Exception):  # a connection on its way down
                    await sub.unsubscribe()
        for waiting in self._waiting.values():  # their publishes fail as on a closed connection
            if not waiting.done():
                waiting.set_exception(ConnectionClosedError())

    def _on_ack(self, subject: bytes, reply: bytes, data: bytes, headers: bytes | None) -> None:
        del reply
        waiting = self._waiting.pop(subject[self._skip:], None)
        if waiting is not None and not waiting.done():
            waiting.set_result((data, headers))

    async def publish(
        self, subject: str, data: bytes, headers: dict[str, str], stream: str | None = None
    ) -> None:
        """Publish `data` with `headers` (and `Nats-Expected-Stream: stream`); return when the
        stream has stored it, raise as `JetStreamContext.publish` does when it has not."""
        nc = self.nc or await self._bind()
        if len(data) > nc.max_payload:
            raise MaxPayloadError
        if subject not in self._subjects:
            if not subject or _BAD_SUBJECT.search(subject):  # a space or CRLF breaks the frame
                raise BadSubjectError
            self._subjects[subject] = subject.encode()
        if stream is not None:
            headers[EXPECTED_STREAM] = stream
        token = b"%x" % next(self._tokens)
        head = header_block(headers)
        size = len(head) + len(data)
        command = b"HPUB %s %s%s %d %d\r\n%s%s\r\n" % (
            self._subjects[subject], self._reply, token, len(head), size, head, data)
        loop = asyncio.get_running_loop()
        waiting: asyncio.Future[tuple[bytes, bytes | None]] = loop.create_future()
        self._waiting[token] = waiting
        timer = loop.call_later(self.timeout, _time_out, waiting)
        try:
            await send(nc, command, 1, len(data))
            answer, status = await waiting
        finally:
            timer.cancel()
            self._waiting.pop(token, None)
        check_ack(answer, status)


def _time_out(waiting: asyncio.Future[Any]) -> None:
    if not waiting.done():
        waiting.set_exception(NatsTimeoutError())


def check_ack(answer: bytes, status: bytes | None) -> None:
    """Raise what the stream's answer to a publish says went wrong, if anything."""
    if status is not None and not answer:
        code = status.split(b"\r\n", 1)[0][len(b"NATS/1.0"):].strip()[:3]
        if code == b"503":
            raise NoStreamResponseError
        raise APIError(code=int(code or 0), description=status.decode(errors="replace"))
    if b'"error"' in answer:
        error = json.loads(answer).get("error")
        if error is not None:
            APIError.from_error(error)  # raises the error's kind


__all__ = ["NATS_PY_CHECKED", "StreamPublisher", "ack_all", "check_ack", "header_block",
           "route_sid", "send"]
