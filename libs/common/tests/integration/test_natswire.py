"""The bus's lean JetStream publish and batch ack against a real NATS: what nats-py's own
publish and ack did, with the same errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import nats
import pytest
from nats.errors import BadSubjectError, ConnectionClosedError, MaxPayloadError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import BadRequestError, NoStreamResponseError

from ballast.common.natswire import StreamPublisher, ack_all
from ballast.common.subjects import Namespace
from ballast.common.transport import ensure_streams


@pytest.fixture
async def wire(nats_server: Any, bus_namespace: str) -> AsyncIterator[tuple[Any, Namespace]]:
    nc = await nats.connect(nats_server.url)
    ns = Namespace(bus_namespace)
    await ensure_streams(nc.jetstream(), ns)
    yield nc, ns
    await nc.drain()


async def started(nc: Any, ack_seconds: float = 5.0) -> StreamPublisher:
    publisher = StreamPublisher(ack_seconds)
    await publisher.start(nc)
    return publisher


async def test_publish__acked__the_stream_holds_the_bytes_and_every_header(
    wire: tuple[Any, Namespace]
) -> None:
    nc, ns = wire
    publisher = await started(nc)
    subject = ns.subject("prices.consensus.PSTR")
    await publisher.publish(subject, b'{"a": 1}', {"Nats-Msg-Id": "m-1", "x-line": "a\r\nb"},
                            ns.stream("PRICES"))
    await publisher.stop()

    stored = await nc.jetstream().get_last_msg(ns.stream("PRICES"), subject)
    assert stored.data == b'{"a": 1}'
    assert stored.headers == {"Nats-Msg-Id": "m-1", "x-line": "a  b",
                              "Nats-Expected-Stream": ns.stream("PRICES")}


async def test_publish__same_msg_id_twice__acked_both_times_stored_once(
    wire: tuple[Any, Namespace]
) -> None:
    nc, ns = wire
    publisher = await started(nc)
    for _ in range(2):
        await publisher.publish(ns.subject("prices.consensus.PSTR"), b"{}", {"Nats-Msg-Id": "d"})
    await publisher.stop()
    assert (await nc.jetstream().stream_info(ns.stream("PRICES"))).state.messages == 1


@pytest.mark.parametrize(("subject", "size", "stream", "ack_seconds", "kind"), [
    ("nobody.listens", 2, None, 5.0, NoStreamResponseError),  # no stream on the subject
    ("prices.consensus.PSTR", 2, "NOT_IT", 5.0, BadRequestError),  # "expected stream" mismatch
    ("prices.consensus.PSTR", 2, None, 0.0, NatsTimeoutError),  # no ack in time
    ("prices.consensus.P STR", 2, None, 5.0, BadSubjectError),  # refused before the wire
    ("prices.consensus.PSTR", 2**21, None, 5.0, MaxPayloadError),  # over the server's 1 MiB
])
async def test_publish__not_stored__the_error_nats_py_raised_the_connection_kept(
    wire: tuple[Any, Namespace], subject: str, size: int, stream: str | None,
    ack_seconds: float, kind: type[Exception],
) -> None:
    nc, ns = wire
    publisher = await started(nc, ack_seconds)
    with pytest.raises(kind):
        await publisher.publish(ns.subject(subject), b"x" * size, {}, stream)
    await publisher.stop()
    assert nc.is_connected


async def test_stop__a_publish_waiting_for_its_ack__fails_as_closed(
    wire: tuple[Any, Namespace]
) -> None:
    nc, ns = wire
    publisher = await started(nc)
    waiting = asyncio.create_task(publisher.publish(ns.subject("prices.consensus.PSTR"), b"{}", {}))
    await asyncio.sleep(0)  # sent, its ack not read yet
    await publisher.stop()
    with pytest.raises(nats.errors.ConnectionClosedError):
        await waiting


async def test_publish__not_started__connection_closed() -> None:
    with pytest.raises(nats.errors.ConnectionClosedError):
        await StreamPublisher().publish("a.b", b"{}", {})


async def test_ack_all__a_fetched_batch__every_message_acked(wire: tuple[Any, Namespace]) -> None:
    nc, ns = wire
    js = nc.jetstream()
    subject = ns.subject("prices.consensus.PSTR")
    for n in range(3):
        await js.publish(subject, b"%d" % n)
    sub = await js.pull_subscribe(subject, durable="acked", stream=ns.stream("PRICES"))
    msgs = await sub.fetch(3, timeout=2)

    await ack_all(nc, [m.reply for m in msgs])
    await nc.flush()

    info = await sub.consumer_info()
    for _ in range(50):  # acks expect no answer: the server may count them a moment after flush
        if info.num_ack_pending == 0:
            break
        await asyncio.sleep(0.02)
        info = await sub.consumer_info()
    assert (len(msgs), info.num_ack_pending, info.num_pending) == (3, 0, 0)


async def test_publish__before_start__binds_to_the_connection_once_or_refuses_without_one(
    wire: tuple[Any, Namespace]
) -> None:
    nc, ns = wire
    subject = ns.subject("prices.consensus.PSTR")
    with pytest.raises(ConnectionClosedError):
        await StreamPublisher(connection=lambda: None).publish(subject, b"{}", {})
    subscriptions = len(nc._subs)  # pyright: ignore[reportPrivateUsage]
    publisher = StreamPublisher(connection=lambda: nc)  # a start hook's publish, before start
    await asyncio.gather(*(publisher.publish(subject, b"{}", {"Nats-Msg-Id": f"b-{i}"})
                           for i in range(3)))
    inbox = publisher._sub  # pyright: ignore[reportPrivateUsage]
    await publisher.start(nc)  # the bus's start afterwards: already bound, nothing new
    await publisher.publish(subject, b"{}", {"Nats-Msg-Id": "b-3"})
    same = publisher._sub is inbox  # pyright: ignore[reportPrivateUsage]
    added = len(nc._subs) - subscriptions  # pyright: ignore[reportPrivateUsage]
    await publisher.stop()
    assert (same, added) == (True, 1)  # one reply inbox for the concurrent first publishes
    assert (await nc.jetstream().stream_info(ns.stream("PRICES"))).state.messages == 4
