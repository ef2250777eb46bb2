"""A running gateway over real NATS and Postgres, tokens for a viewer and an operator, and a
publisher of bus messages into the test's namespace."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext

from ballast.common import messages as m
from ballast.common.subjects import Namespace
from ballast.gateway.domain.access import Role, TokenEntry, TokenTable, hash_token
from ballast.gateway.main import Gateway, build_app
from ballast.gateway.settings import GatewaySettings
from ballast.testing.waiting import eventually

VIEWER_TOKEN = "viewer-token-for-tests"
OPERATOR_TOKEN = "operator-token-for-tests"
T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def tokens() -> TokenTable:
    return TokenTable([
        TokenEntry("vera", Role.VIEWER, hash_token(VIEWER_TOKEN).removeprefix("sha256:")),
        TokenEntry("olga", Role.OPERATOR, hash_token(OPERATOR_TOKEN).removeprefix("sha256:")),
    ])


def consensus(symbol: str, sequence: int, price: str = "1.0") -> m.ConsensusPrice:
    return m.ConsensusPrice(
        symbol=symbol, price=Decimal(price), status=m.ConsensusStatus.OK,
        sources=[m.SourceReading(source="pyth", used=True, price=Decimal(price))],
        sources_used=1, computed_at=T0, sequence=sequence,
    )


class Harness:
    viewer = {"Authorization": f"Bearer {VIEWER_TOKEN}"}
    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    consensus = staticmethod(consensus)

    def __init__(self, gateway: Gateway, nc: nats.NATS, ns: Namespace) -> None:
        self.gateway, self.nc, self.ns = gateway, nc, ns
        self.js: JetStreamContext = nc.jetstream()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.gateway.api_port}"

    @property
    def ops(self) -> str:
        return f"http://127.0.0.1:{self.gateway.service.ops.bound_port}"

    def ws_url(self, subjects: str) -> str:
        return f"ws://127.0.0.1:{self.gateway.api_port}/api/v1/stream?subjects={subjects}"

    async def publish(self, subject: str, payload: m.Message | bytes) -> None:
        data = payload if isinstance(payload, bytes) else payload.model_dump_json().encode()
        await self.js.publish(self.ns.subject(subject), data)

    eventually = staticmethod(eventually)


def settings_for(database_url: str, nats_url: str, namespace: str, **extra: Any) -> GatewaySettings:
    values: dict[str, Any] = dict(
        database_url=database_url, nats_url=nats_url, bus_prefix=namespace,
        http_host="127.0.0.1", http_port=0, api_host="127.0.0.1", api_port=0,
        heartbeat_interval_seconds=1.0,
    )
    return GatewaySettings(**(values | extra))


@pytest.fixture
def gateway_factory(
    database_url: str, nats_server: Any, bus_namespace: str
) -> Callable[..., Any]:
    async def start(**extra: Any) -> Harness:
        settings = settings_for(database_url, nats_server.url, bus_namespace, **extra)
        gateway = build_app(settings, tokens=tokens())
        await gateway.start()
        nc = await nats.connect(nats_server.url)
        return Harness(gateway, nc, Namespace(bus_namespace))

    return start


@pytest.fixture
async def harness(gateway_factory: Callable[..., Any]) -> AsyncIterator[Harness]:
    h: Harness = await gateway_factory()
    yield h
    await h.nc.drain()
    await h.gateway.stop()



@pytest.fixture
def api_in_thread(database_url: str, nats_server: Any, bus_namespace: str) -> Iterator[str]:
    """A gateway on its own event loop in a thread (for synchronous tests, e.g. hypothesis's):
    the base URL of its API; tokens as `Harness.viewer` / `Harness.operator`."""
    from ballast.testing.threaded import running_in_thread  # noqa: PLC0415

    settings = settings_for(database_url, nats_server.url, bus_namespace,
                            heartbeat_interval_seconds=30.0)
    with running_in_thread(lambda: build_app(settings, tokens=tokens())) as gateway:
        yield f"http://127.0.0.1:{gateway.api_port}"
