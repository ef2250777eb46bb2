"""The one module that touches FastStream's internals and nats-py directly (the Bus hides them).

What FastStream does not offer publicly and Ballast needs:
- the broker's nats-py connection and JetStream context (`connection`, `jetstream`: the latter
  is `broker.config.connection_state.stream`, an internal path);
- publishes FastStream's publisher does not do: many messages to one stream waiting only for
  the last ack (`publish_pipelined`), a core publish without headers (`facts.publish_facts`), a
  JetStream publish that returns the stream's ack (`publish_acked`);
- reads it has no API for: a core subscription tap and last-per-subject reads (`NatsTap`);
- the connection's identity and TLS (`security`) and what a refusal looks like on nats-py's error
  callback (`permission_denied`, `refuse_tls`: a callback that raises ends nats-py's first
  connect, which FastStream's own callback does for an authorization violation);
- one correction between the two: `fetch_times_out_as_nats` (see there).

These were checked against FASTSTREAM_CHECKED; tests/unit/test_transport.py fails when another
FastStream is installed, so whoever upgrades it reads this module again.
"""

from __future__ import annotations

import functools
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from faststream.nats import NatsBroker, NatsCredentials, NatsUserPassword
from faststream.security import BaseSecurity
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError

from ballast.common import facts
from ballast.common.subjects import STREAMS, Namespace, StreamSpec, subject_intersection
from ballast.common.tlsfailure import TlsRefusedError, server_of, tls_failure

log = logging.getLogger("ballast.bus")

FASTSTREAM_CHECKED = "0.7.8"
FETCH_BATCH = 256

OnMessage = Callable[[str, bytes], None]
Unsubscribe = Callable[[], Awaitable[None]]


def security(
    user: str | None, password: str | None, credentials_file: str | None, tls_ca_file: str | None
) -> BaseSecurity | None:
    """The broker's `security`: a user and password, else a .creds file, else none; with TLS
    verified against `tls_ca_file` when given (a `tls://` URL alone uses the system's CAs)."""
    context = ssl.create_default_context(cafile=tls_ca_file) if tls_ca_file else None
    if user:
        return NatsUserPassword(user, password or "", ssl_context=context)
    if credentials_file:
        return NatsCredentials(credentials_file, ssl_context=context)
    return BaseSecurity(ssl_context=context) if context is not None else None


def permission_denied(error: Exception) -> str | None:
    """`publish` or `subscription` when `error` is the server refusing one (nats-py hands the
    `-ERR 'Permissions Violation for Publish to "x"'` line to the error callback), else None."""
    text = str(error).lower()
    if "permissions violation" not in text:
        return None
    return "subscription" if "for subscription" in text else "publish"


def refuse_tls(error: Exception, broker: NatsBroker, url: str) -> None:
    """On nats-py's error callback: a failed TLS handshake is logged as one line; before the
    broker's first connection it is raised as TlsRefusedError, which ends the connect (nats-py
    would retry a certificate it cannot verify for minutes, saying nothing); later, nats-py's
    reconnects go on (a server whose certificate is being replaced)."""
    line = tls_failure(error, server_of(url), "NATS_TLS_CA_FILE (with a tls:// NATS_URL)")
    if line is None:
        return
    log.error("bus TLS refused", extra={"error": line})
    if getattr(broker, "_connection", None) is None:
        raise TlsRefusedError(line)


def fetch_times_out_as_nats() -> None:
    """nats-py (2.16) lets a pull fetch that runs out of time raise a plain `TimeoutError`;
    FastStream's pull loop suppresses only nats-py's `nats.errors.TimeoutError` (a subclass), so
    the consumer task restarted with an ERROR. Make every fetch timeout nats-py's kind.
    Idempotent; applied when this module is imported."""
    pull = JetStreamContext.PullSubscription
    if getattr(pull.fetch, "_ballast_timeout_kind", False):
        return
    plain_fetch = pull.fetch

    @functools.wraps(plain_fetch)
    async def fetch(self: Any, *args: Any, **kwargs: Any) -> list[Msg]:
        try:
            return await plain_fetch(self, *args, **kwargs)
        except NatsTimeoutError:
            raise
        except TimeoutError as err:
            raise NatsTimeoutError from err

    fetch._ballast_timeout_kind = True  # type: ignore[attr-defined]  # pyright: ignore[reportFunctionMemberAccess]
    pull.fetch = fetch  # type: ignore[method-assign]


fetch_times_out_as_nats()


def connection(broker: NatsBroker) -> Client:
    return broker.connection


def connection_or_none(broker: NatsBroker) -> Client | None:
    """The broker's connection once it has made one; None before (FastStream raises then)."""
    try:
        return broker.connection
    except Exception:  # noqa: BLE001 - not connected yet
        return None


def jetstream(broker: NatsBroker) -> JetStreamContext:
    return broker.config.connection_state.stream


@dataclass(frozen=True)
class StreamAck:
    """The stream's answer to a JetStream publish."""

    stream: str
    seq: int


# ---------------------------------------------------------------------- publishes
async def publish_pipelined(
    nc: Client, js: JetStreamContext, stream: str, items: Sequence[tuple[str, bytes, str]],
) -> None:
    """(subject, JSON data, msg id) in order, to subjects of `stream`: every one but the last as
    a core publish with its `Nats-Msg-Id` (facts.publish_with_ids: the stream stores it all the
    same), the last as a JetStream publish whose ack says the stream has them all (one
    connection keeps the order)."""
    if not items:
        return
    await facts.publish_with_ids(nc, items[:-1])
    subject, data, msg_id = items[-1]
    await js.publish(subject, data, stream=stream, headers={
        "Nats-Msg-Id": msg_id, "content-type": "application/json"})


async def publish_acked(
    js: JetStreamContext, subject: str, data: bytes, headers: Mapping[str, str],
    wait_seconds: float,
) -> StreamAck:
    ack = await js.publish(subject, data, headers=dict(headers), timeout=wait_seconds)
    return StreamAck(stream=ack.stream, seq=int(ack.seq))


# ---------------------------------------------------------------------- reads
class NatsTap:
    """Live messages from a core subscription (a JetStream publish reaches core subscribers too:
    no consumer per reader, no ack traffic), and the latest message per subject from an
    ephemeral `LAST_PER_SUBJECT` consumer on each stream whose subjects overlap the pattern, read
    to the end and deleted. Subjects in and out are un-prefixed."""

    def __init__(self, nc: Client, js: JetStreamContext, ns: Namespace) -> None:
        self.nc, self.js, self.ns = nc, js, ns

    async def subscribe(self, pattern: str, on_message: OnMessage) -> Unsubscribe:
        unprefix = self.ns.unprefix

        async def deliver(msg: Msg) -> None:
            on_message(unprefix(msg.subject), msg.data)

        sub = await self.nc.subscribe(self.ns.subject(pattern), cb=deliver, pending_msgs_limit=0)  # pyright: ignore[reportUnknownMemberType]
        return sub.unsubscribe

    async def last_values(self, pattern: str) -> list[tuple[str, bytes]]:
        found: list[tuple[str, bytes]] = []
        for spec in STREAMS:
            for stream_subject in spec.subjects:
                both = subject_intersection(pattern, stream_subject)
                if both is not None:
                    found += await self._last_in(self.ns.stream(spec.name), both)
        return found

    async def _last_in(self, stream: str, pattern: str) -> list[tuple[str, bytes]]:
        sub = await self.js.pull_subscribe(
            self.ns.subject(pattern),
            stream=stream,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.LAST_PER_SUBJECT,
                ack_policy=AckPolicy.NONE,
                inactive_threshold=30.0,
                mem_storage=True,
            ),
        )
        try:
            info = await sub.consumer_info()
            left = int(info.num_pending or 0)
            out: list[tuple[str, bytes]] = []
            while left > 0:
                msgs = await sub.fetch(min(left, FETCH_BATCH), timeout=2.0)
                for msg in msgs:
                    out.append((self.ns.unprefix(msg.subject), msg.data))
                left -= len(msgs)
            return out
        finally:
            await sub.unsubscribe()


# ---------------------------------------------------------------------- streams
def stream_config(spec: StreamSpec, ns: Namespace) -> StreamConfig:
    return StreamConfig(
        name=ns.stream(spec.name),
        description=spec.description or None,
        subjects=[ns.subject(s) for s in spec.subjects],
        storage=StorageType.FILE,
        max_age=spec.max_age.total_seconds(),
        max_bytes=spec.max_bytes,
        duplicate_window=spec.duplicate_window.total_seconds(),
        discard=DiscardPolicy.OLD,
    )


async def ensure_streams(
    js: JetStreamContext, ns: Namespace, specs: Sequence[StreamSpec] = STREAMS
) -> None:
    """Create every stream, or update it to the current definition. Safe to run concurrently."""
    for spec in specs:
        config = stream_config(spec, ns)
        try:
            await js.add_stream(config)  # pyright: ignore[reportUnknownMemberType]
        except BadRequestError:
            # exists with another configuration: bring it to the current definition
            await js.update_stream(config)  # pyright: ignore[reportUnknownMemberType]
