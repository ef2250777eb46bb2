"""Core NATS publishes of many small facts at once (the oracle's `prices.observed.*`): the one
other place, beside transport.py, that reaches into nats-py.

Why: nats-py's `Client.publish` costs several µs of Python per message (subject check, state
checks, one frame, a stats update, a pending-buffer append and a flush-queue test), the largest
item of the oracle's per-reading profile (docs/perf/oracle-profile-*.txt). Here a batch's PUB
frames are built in one pass and handed to the client's pending buffer as one write, with the
checks `publish` makes done once per batch. While the client is not connected (a reconnect:
nats-py buffers or refuses), or a payload is over the server's limit, each message goes through
`publish` as before, so errors and buffering are nats-py's own.

Checked against NATS_PY_CHECKED (the private `_send_command`, `_flush_queue`, `_flush_pending`
and `stats`); tests/unit/test_transport.py fails when another nats-py is installed.
"""

from __future__ import annotations

from collections.abc import Iterable

from nats.aio.client import Client
from nats.errors import BadSubjectError

NATS_PY_CHECKED = "2.16.0"
_UNSAFE = frozenset(" \t\r\n")


async def publish_facts(nc: Client, items: Iterable[tuple[str, bytes]]) -> None:
    """(subject, data) pairs in order, as core publishes without headers or acks."""
    batch = list(items)
    if not batch:
        return
    limit = nc.max_payload
    if not nc.is_connected or nc.is_draining_pubs or any(len(d) > limit for _, d in batch):
        for subject, data in batch:
            await nc.publish(subject, data)
        return
    for subject in {s for s, _ in batch}:
        if not subject or not _UNSAFE.isdisjoint(subject):
            raise BadSubjectError
    frames = b"".join([b"PUB %s %d\r\n%s\r\n" % (s.encode(), len(d), d) for s, d in batch])
    nc.stats["out_msgs"] += len(batch)
    nc.stats["out_bytes"] += sum(len(d) for _, d in batch)
    await nc._send_command(frames)  # pyright: ignore[reportPrivateUsage]
    queue = nc._flush_queue  # pyright: ignore[reportPrivateUsage]
    if queue is not None and queue.empty():
        await nc._flush_pending()  # pyright: ignore[reportPrivateUsage]
