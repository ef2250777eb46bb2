"""A pull consumer's fetch without nats-py's per-message layers.

nats-py's `PullSubscription.fetch` takes each fetched message from the subscription's queue with
`next_msg`: a uuid4 task name, two tasks and an `asyncio.wait_for` per message, after
`_process_msg` parsed its headers (a generator over every character of every name) into a `Msg`
(docs/perf/bus-profile-3.txt). `PullFeed.fetch` sends the same pull requests as nats-py 2.16's
(`{"batch", "no_wait", "expires"}` first, a lingering `{"batch", "expires"}` when nothing came)
and reads the answers as the protocol parser hands them over (`natswire.route_sid`): a `Msg`
per message, made at once with its headers (nats-py's `Msg`, so `Delivery.raw_message`, its
`ack`/`nak`/`metadata` work as before), the statuses read from the first header line, and one
wake-up of the fetching task per socket read, not per message.

Statuses: 404 (no messages), 408 (request expired) and 409 (a conflict: too many waiting
requests, a leader change) end a fetch, as they end nats-py's; a heartbeat (100) is skipped;
any other is raised as nats-py's `APIError`. No message by the deadline raises nats-py's
`TimeoutError`. Messages that arrive after a fetch returned (a lingering request's) are the
next fetch's first; statuses left with them belonged to an earlier request and are dropped.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import APIError

from ballast.common.natswire import route_sid

_ENDS = frozenset({b"404", b"408", b"409"})
_HEARTBEAT = b"100"
_EXPIRES_MARGIN_NS = 100_000
"""A request expires this long before the fetch's deadline (nats-py's margin)."""


@dataclass(frozen=True, slots=True)
class _Status:
    code: bytes
    description: str

    def raise_if_error(self) -> None:
        if self.code not in _ENDS:
            raise APIError(code=int(self.code) if self.code.isdigit() else 0,
                           description=self.description)


def parse_headers(block: bytes) -> dict[str, str]:
    """A NATS header block as nats-py's dict: `Name: value` lines, and for a status line
    (`NATS/1.0 404 No Messages`) `Status` and `Description`."""
    lines = block.decode("utf-8", "replace").split("\r\n")
    out: dict[str, str] = {}
    status = lines[0][len("NATS/1.0"):].strip()
    if status:
        code, _, description = status.partition(" ")
        if code.isdigit():
            out["Status"] = code
        if description:
            out["Description"] = description
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        name = name.strip()  # noqa: PLW2901
        if sep and name and " " not in name and "\t" not in name:
            out[name] = value.strip()
    return out


class PullFeed:
    """The fetches of one nats-py pull subscription (see the module docstring)."""

    def __init__(self, pull: Any) -> None:
        self._nc = pull._nc
        self._sid: int = pull._sub._id
        self._next = pull._nms
        self._inbox = pull._deliver
        self._buffer: deque[Msg | _Status] = deque()
        self._wake: asyncio.Future[None] | None = None
        route_sid(self._nc, self._sid, self._on_frame)

    def close(self) -> None:
        """Give the subscription's messages back to nats-py (before unsubscribing it)."""
        route_sid(self._nc, self._sid, None)

    def _on_frame(self, subject: bytes, reply: bytes, data: bytes, headers: bytes | None) -> None:
        if headers is not None and not data and headers[8:9] == b" ":
            line = headers.split(b"\r\n", 1)[0][9:]
            code = line[:3]
            if code == _HEARTBEAT:
                return
            self._buffer.append(_Status(code, line[4:].decode("utf-8", "replace")))
        else:
            self._buffer.append(Msg(
                _client=self._nc, subject=subject.decode(), reply=reply.decode(), data=data,
                headers=parse_headers(headers) if headers else None, _sid=self._sid))
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    async def fetch(self, batch: int, seconds: float) -> list[Msg]:
        """Up to `batch` messages, as soon as some are there; TimeoutError if none came in
        `seconds`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        msgs: list[Msg] = []
        buffer = self._buffer
        while buffer and len(msgs) < batch:
            left = buffer.popleft()
            if isinstance(left, Msg):
                msgs.append(left)
        if len(msgs) >= batch:
            return msgs
        request: dict[str, int | bool] = {"batch": batch - len(msgs), "no_wait": True}
        if not msgs:
            request["expires"] = int(seconds * 1e9) - _EXPIRES_MARGIN_NS
        await self._request(request)
        await self._collect(msgs, batch, deadline, status_ends=True)
        if msgs:
            return msgs
        remaining_ns = int((deadline - loop.time()) * 1e9) - _EXPIRES_MARGIN_NS
        if remaining_ns <= 0:
            raise NatsTimeoutError
        await self._request({"batch": batch, "expires": remaining_ns})
        await self._collect(msgs, batch, deadline, status_ends=False)
        if not msgs:
            raise NatsTimeoutError
        return msgs

    async def _request(self, request: dict[str, int | bool]) -> None:
        await self._nc.publish(self._next, json.dumps(request).encode(), self._inbox)

    async def _collect(
        self, msgs: list[Msg], batch: int, deadline: float, *, status_ends: bool
    ) -> None:
        """Append what arrives until `batch`, the deadline, or a status ending the request
        (the first answer, with `status_ends`; else only once a message came)."""
        loop = asyncio.get_running_loop()
        buffer = self._buffer
        while True:
            while buffer:
                item = buffer.popleft()
                if isinstance(item, _Status):
                    if not msgs:  # an error after messages: they are handled first
                        item.raise_if_error()
                    if status_ends or msgs:
                        return
                    continue
                msgs.append(item)
                if len(msgs) >= batch:
                    return
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            wake = self._wake = loop.create_future()
            timer = loop.call_later(remaining, _wake_up, wake)
            try:
                await wake
            finally:
                timer.cancel()
                self._wake = None


def _wake_up(wake: asyncio.Future[None]) -> None:
    if not wake.done():
        wake.set_result(None)


__all__ = ["PullFeed", "parse_headers"]
