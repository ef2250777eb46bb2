"""A pull fetch that runs out of time raises nats-py's TimeoutError, the kind FastStream's pull
loop suppresses (ballast.common.transport.fetch_times_out_as_nats), against a real JetStream."""

from __future__ import annotations

import uuid
from typing import Any

import nats
from nats.errors import TimeoutError as NatsTimeoutError

from ballast.common import transport

# a batch above 1 and timeouts around one round trip: the server's "no messages" reply to the
# first (no-wait) request arrives just as the time runs out, where nats-py 2.16 raises the plain
# kind (without the correction, about 1 in 10 of these did)
BATCH = 2
TIMEOUTS = [0.0001 + step * 0.00005 for step in range(40)] * 10


async def timeout_kinds(url: str) -> list[type[BaseException]]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    name = f"FETCH_{uuid.uuid4().hex[:8]}"
    try:
        await js.add_stream(name=name, subjects=[f"{name.lower()}.>"])  # pyright: ignore[reportUnknownMemberType]
        sub = await js.pull_subscribe(f"{name.lower()}.x", durable=None, stream=name)
        kinds: list[type[BaseException]] = []
        for timeout in TIMEOUTS:
            try:
                await sub.fetch(BATCH, timeout=timeout)
            except TimeoutError as err:
                kinds.append(type(err))
        return kinds
    finally:
        await js.delete_stream(name)
        await nc.close()  # drain would wait out the expired pull requests


async def test_fetch__empty_stream_short_timeouts__every_timeout_is_nats_kind(
    nats_server: Any,
) -> None:
    transport.fetch_times_out_as_nats()  # idempotent: already applied at import

    kinds = await timeout_kinds(nats_server.url)

    assert len(kinds) > len(TIMEOUTS) // 2  # an empty stream: most fetches timed out
    assert set(kinds) == {NatsTimeoutError}
