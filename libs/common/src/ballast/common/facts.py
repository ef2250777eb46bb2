"""Core NATS publishes of many small messages at once: facts without headers (the oracle's
`prices.observed.*`) and JetStream-bound messages with their `Nats-Msg-Id` (a backfill's ETF
events, Bus.publish_many). The one other place, beside transport.py, that reaches into nats-py.

Why: nats-py's `Client.publish` costs several µs of Python per message (subject check, state
checks, one frame, a stats update, a pending-buffer append and a flush-queue test), the largest
item of the oracle's per-reading profile (docs/perf/oracle-profile-*.txt) and of the contract
monitor's backfill (docs/perf/contract-monitor.md). Here a batch's PUB (or HPUB) frames are built
in one pass and handed to the client's pending buffer as one write, with the checks `publish`
makes done once per batch. While the client is not connected (a reconnect:
nats-py buffers or refuses), or a payload is over the server's limit, each message goes through
`publish` as before, so errors and buffering are nats-py's own.

Checked against NATS_PY_CHECKED (the private `_send_command`, `_flush_queue`, `_flush_pending`
and `stats`); tests/unit/test_transport.py fails when another nats-py is installed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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
    _check_subjects({s for s, _ in batch})
    frames = b"".join([b"PUB %s %d\r\n%s\r\n" % (s.encode(), len(d), d) for s, d in batch])
    await _write(nc, frames, len(batch), sum(len(d) for _, d in batch))


_HEADERS = b"NATS/1.0\r\nNats-Msg-Id: %s\r\ncontent-type: application/json\r\n\r\n"
_HPUB = b"HPUB %s %d %d\r\n" + _HEADERS + b"%s\r\n"
_HEADERS_SIZE = len(_HEADERS % b"")


async def publish_with_ids(nc: Client, items: Sequence[tuple[str, bytes, str]]) -> None:
    """(subject, JSON data, msg id) in order, as core publishes with the headers
    `Nats-Msg-Id: <msg id>` and `content-type: application/json` (HPUB frames, the bytes
    `Client.publish` writes for those headers), no acks: the JetStream stream on the subjects
    stores them and drops a repeated id. Falls back to `publish` per message as `publish_facts`
    does, and for an id nats-py would rewrite (empty, surrounding blanks, a line break)."""
    if not items:
        return
    limit = nc.max_payload - _HEADERS_SIZE
    ids = [m.encode() for _, _, m in items]
    every = b"\n".join(ids)
    if (not nc.is_connected or nc.is_draining_pubs or b"\r" in every
            or every.count(b"\n") != len(ids) - 1
            or any(not m or m != m.strip() for _, _, m in items)
            or any(len(d) + len(m) > limit for (_, d, _), m in zip(items, ids, strict=True))):
        for subject, data, msg_id in items:
            await nc.publish(subject, data, headers={
                "Nats-Msg-Id": msg_id, "content-type": "application/json"})
        return
    _check_subjects({s for s, _, _ in items})
    size = _HEADERS_SIZE
    frames = b"".join([
        _HPUB % (s.encode(), size + len(m), size + len(m) + len(d), m, d)
        for (s, d, _), m in zip(items, ids, strict=True)])
    await _write(nc, frames, len(items), sum(len(d) for _, d, _ in items))


def _check_subjects(subjects: Iterable[str]) -> None:
    for subject in subjects:
        if not subject or not _UNSAFE.isdisjoint(subject):
            raise BadSubjectError


async def _write(nc: Client, frames: bytes, messages: int, payload_bytes: int) -> None:
    """What `Client._send_publish` does after its frame, once for the batch."""
    nc.stats["out_msgs"] += messages
    nc.stats["out_bytes"] += payload_bytes
    await nc._send_command(frames)  # pyright: ignore[reportPrivateUsage]
    queue = nc._flush_queue  # pyright: ignore[reportPrivateUsage]
    if queue is not None and queue.empty():
        await nc._flush_pending()  # pyright: ignore[reportPrivateUsage]
