"""nats_server gives a working JetStream; bus_namespace isolates tests and cleans up after them."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator

import nats
import pytest_asyncio
from nats.js.api import StreamConfig

from ballast.testing.natsserver import NatsServer, delete_namespace, owned_by, stream_names


@pytest_asyncio.fixture(loop_scope="session")
async def nc(nats_server: NatsServer) -> AsyncGenerator[nats.NATS]:
    client = await nats.connect(nats_server.url)
    yield client
    await client.close()


@pytest_asyncio.fixture(loop_scope="session")
async def left_behind(nats_server: NatsServer) -> AsyncGenerator[list[str]]:
    """Requested before `bus_namespace`, so this teardown runs after that one's: it checks that
    nothing of the prefixes the test put here is left on the server."""
    prefixes: list[str] = []
    yield prefixes
    client = await nats.connect(nats_server.url)
    try:
        names = await stream_names(client)
    finally:
        await client.close()
    leftovers = [n for n in names for p in prefixes if owned_by(p, n)]
    assert prefixes and not leftovers, f"bus_namespace left {leftovers}"


async def test_nats_server__jetstream_publish__stored_and_reported(
    nats_server: NatsServer, bus_namespace: str, nc: nats.NATS
) -> None:
    js = nc.jetstream()
    stream = f"{bus_namespace.upper()}_PROBE"
    await js.add_stream(StreamConfig(name=stream, subjects=[f"{bus_namespace}.probe.>"]))
    ack = await js.publish(f"{bus_namespace}.probe.one", b"hello", headers={"Nats-Msg-Id": "1"})
    info = await js.stream_info(stream)
    assert (ack.stream, ack.seq) == (stream, 1)
    assert info.state.messages == 1
    assert nats_server.backend in ("env", "docker", "embedded")


async def test_bus_namespace__two_namespaces__disjoint_and_cleanup_removes_only_its_own(
    left_behind: list[str],
    nats_server: NatsServer,
    bus_session_namespace: str,
    bus_namespace: str,
    nc: nats.NATS,
) -> None:
    other = f"{bus_session_namespace}fffff"  # a sibling namespace the fixture does not own
    left_behind += [bus_namespace, other]
    js = nc.jetstream()
    for ns in (bus_namespace, other):
        await js.add_stream(StreamConfig(name=f"{ns.upper()}_PRICES", subjects=[f"{ns}.prices.>"]))
    await js.create_key_value(bucket=f"{bus_namespace}_leases")
    await js.publish(f"{bus_namespace}.prices.x", b"mine")

    mine = await js.stream_info(f"{bus_namespace.upper()}_PRICES")
    theirs = await js.stream_info(f"{other.upper()}_PRICES")
    assert (mine.state.messages, theirs.state.messages) == (1, 0)

    deleted = await delete_namespace(nats_server.url, bus_namespace)

    assert sorted(deleted) == sorted(
        [f"{bus_namespace.upper()}_PRICES", f"KV_{bus_namespace}_leases"]
    )
    assert (await js.stream_info(f"{other.upper()}_PRICES")).state.messages == 0
    await delete_namespace(nats_server.url, other)


async def test_bus_namespace__streams_left_by_test__deleted_at_teardown(
    left_behind: list[str], bus_namespace: str, nc: nats.NATS
) -> None:
    left_behind.append(bus_namespace)
    js = nc.jetstream()
    await js.add_stream(
        StreamConfig(name=f"{bus_namespace.upper()}_STATE", subjects=[f"{bus_namespace}.state"])
    )
    kv = await js.create_key_value(bucket=f"{bus_namespace}_cfg")
    await kv.put("k", json.dumps({"v": 1}).encode())
    # no clean-up here: `left_behind` asserts the fixture did it


async def test_bus_namespace__per_test__unique(
    bus_namespace: str, bus_session_namespace: str
) -> None:
    assert bus_namespace.startswith(bus_session_namespace)
    assert len(bus_namespace) == len(bus_session_namespace) + 5
