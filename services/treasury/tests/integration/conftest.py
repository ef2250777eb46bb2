"""The bus side of the treasury's integration tests: a raw NATS connection, what the service
publishes, and publishing its inputs (test modules cannot import each other: fixtures)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import nats
import pytest
from nats.aio.msg import Msg

from ballast.common.messages import AutomationRequest, HealthScore, Message, TreasuryState
from ballast.common.subjects import Namespace
from ballast.testing.waiting import eventually


class Outputs:
    """treasury.state, health.score and automation.requested.accumulate, as published."""

    def __init__(self) -> None:
        self.states: list[TreasuryState] = []
        self.health: list[HealthScore] = []
        self.requests: list[AutomationRequest] = []

    async def on_msg(self, msg: Msg) -> None:
        if msg.subject.endswith(".treasury.state"):
            self.states.append(TreasuryState.model_validate_json(msg.data))
        elif msg.subject.endswith(".health.score"):
            self.health.append(HealthScore.model_validate_json(msg.data))
        else:
            self.requests.append(AutomationRequest.model_validate_json(msg.data))

    wait = staticmethod(eventually)


@pytest.fixture
async def nc(nats_server: Any) -> AsyncIterator[nats.NATS]:
    conn = await nats.connect(nats_server.url)
    yield conn
    await conn.drain()


@pytest.fixture
def listen(nc: nats.NATS, bus_namespace: str) -> Callable[[], Awaitable[Outputs]]:
    """`await listen()`: what the service publishes from then on."""
    ns = Namespace(bus_namespace)

    async def start() -> Outputs:
        out = Outputs()
        for subject in ("treasury.state", "health.score", "automation.requested.accumulate"):
            await nc.subscribe(ns.subject(subject), cb=out.on_msg)
        return out

    return start


@pytest.fixture
def publish(nc: nats.NATS, bus_namespace: str) -> Callable[[str, Message], Awaitable[None]]:
    """`await publish(subject, message)` on JetStream, in this test's namespace."""
    ns = Namespace(bus_namespace)

    async def send(subject: str, payload: Message) -> None:
        await nc.jetstream().publish(ns.subject(subject), payload.model_dump_json().encode())

    return send


@pytest.fixture
async def requested(nc: nats.NATS, bus_namespace: str) -> list[AutomationRequest]:
    """Every automation request the service publishes from the test's start, in order."""
    requests: list[AutomationRequest] = []

    async def asked(msg: Msg) -> None:
        requests.append(AutomationRequest.model_validate_json(msg.data))

    await nc.subscribe(Namespace(bus_namespace).subject("automation.requested.*"), cb=asked)
    return requests
