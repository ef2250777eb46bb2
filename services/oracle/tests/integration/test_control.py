"""An operator confirms a moved price over the bus (`control.approve`, target `oracle`): the
correlated-move defence lets the consensus through; anyone else is refused (real NATS,
Postgres)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import nats
import pytest
from eth_account import Account

from ballast.common.messages import (
    ConsensusPrice,
    ConsensusStatus,
    ControlCommand,
    ControlVerb,
    PriceObservation,
    utcnow,
)
from ballast.common.operators import sign
from ballast.oracle.main import OracleApp, build_app
from ballast.oracle.settings import OracleSettings

FEED = "0x" + "ab" * 32
KEY = bytes.fromhex("c3" * 32)
OTHER = bytes.fromhex("d4" * 32)
ADDRESS = Account.from_key(KEY).address
SOURCES = [
    {"kind": "pyth_hermes", "endpoint": "http://127.0.0.1:9", "feed_id": FEED},
    {"kind": "switchboard_crossbar", "endpoint": "http://127.0.0.1:9", "feed_hash": FEED},
    {"kind": "chainlink", "rpc_url": "http://127.0.0.1:9", "address": "0x" + "11" * 20,
     "heartbeat_seconds": 60},
]


class Consensus:
    def __init__(self) -> None:
        self.seen: list[ConsensusPrice] = []

    async def on_msg(self, msg: Any) -> None:
        self.seen.append(ConsensusPrice.model_validate_json(msg.data))

    async def wait(self, predicate: Any, within: float = 10.0) -> ConsensusPrice:
        async with asyncio.timeout(within):
            while True:
                for c in self.seen:
                    if predicate(c):
                        return c
                await asyncio.sleep(0.02)


@pytest.fixture
def identities() -> tuple[str, ...]:
    """The oracle's operator_identities (a test parametrizes `identities` for others)."""
    return ("ops@ballast",)


@pytest.fixture
async def oracle(identities: tuple[str, ...], nats_server: Any, bus_namespace: str,
                 database_url: str) -> AsyncIterator[OracleApp]:
    settings = OracleSettings(
        nats_url=nats_server.url, bus_prefix=bus_namespace, database_url=database_url,
        http_port=0, http_host="127.0.0.1", evaluate_seconds=0.05,
        consensus_heartbeat_seconds=0.5, db_flush_seconds=0.05, startup_grace_seconds=0,
        operator_identities=identities,
        symbols={"PSTR": {"min_sources": 2, "sources": SOURCES}},
    )
    app = build_app(settings, run_feeds=False)
    await app.start()
    yield app
    await app.stop()


def observe(app: OracleApp, source: str, price: str) -> None:
    now = utcnow()
    app.core.observe(PriceObservation(source=source, symbol="PSTR", price=Decimal(price),
                                        published_at=now, observed_at=now))


def approve(by: str, command_id: str, **matchers: str) -> ControlCommand:
    return ControlCommand(command_id=command_id, command=ControlVerb.APPROVE, issued_by=by,
                          issued_at=utcnow().replace(microsecond=0), target="oracle",
                          matchers=matchers)


async def outcomes(app: OracleApp, refused: float, applied: float | None = None) -> None:
    """Until the confirmations counter shows `refused` refusals (and `applied`, if given)."""
    registry = app.service.registry

    def count(outcome: str) -> float | None:
        return registry.get_sample_value("ballast_oracle_operator_confirmations_total",
                                         {"symbol": "PSTR", "outcome": outcome})

    async with asyncio.timeout(10):
        while count("refused") != refused or (applied is not None and count("applied") != applied):
            await asyncio.sleep(0.02)


class Pumped:
    """PSTR held DEGRADED by a correlated move (1.30 against the anchor's 1.00), and the way to
    send `control.approve` to the oracle."""

    def __init__(self, got: Consensus, js: Any, subject: str, held: ConsensusPrice) -> None:
        self.got, self.js, self.subject, self.held = got, js, subject, held

    async def send(self, cmd: ControlCommand) -> None:
        await self.js.publish(self.subject, cmd.model_dump_json().encode())


@pytest.fixture
async def pumped(oracle: OracleApp, nats_server: Any, bus_namespace: str
                 ) -> AsyncIterator[Pumped]:
    nc = await nats.connect(nats_server.url)
    got = Consensus()
    await nc.subscribe(f"{bus_namespace}.prices.consensus.PSTR", cb=got.on_msg)
    for source, price in (("pyth", "1.30"), ("switchboard", "1.30"), ("chainlink", "1.00")):
        observe(oracle, source, price)
    held = await got.wait(lambda c: c.status is ConsensusStatus.DEGRADED)
    yield Pumped(got, nc.jetstream(), f"{bus_namespace}.control.approve", held)
    await nc.drain()


async def test_control_approve__operator_confirms_a_pumped_price__ok_at_it_others_refused(
    oracle: OracleApp, pumped: Pumped,
) -> None:
    assert pumped.held.reasons[0].startswith("correlated move: consensus 1.30 is 30.00% from the "
                                             "anchor chainlink 1.00")
    await pumped.send(approve("mallory", "c-1", symbol="PSTR", price="1.30"))
    await outcomes(oracle, refused=1)
    assert oracle.core.latest("PSTR").status is ConsensusStatus.DEGRADED  # type: ignore[union-attr]

    await pumped.send(approve("ops@ballast", "c-2", symbol="PSTR", price="1.30"))
    ok = await pumped.got.wait(lambda c: c.status is ConsensusStatus.OK)
    assert ok.price == Decimal("1.30")
    await outcomes(oracle, refused=1, applied=1)
    failed = oracle.service.registry.get_sample_value(
        "ballast_oracle_consensus_checks_failed_total",
        {"symbol": "PSTR", "check": "correlated_move"})
    assert failed is not None and failed >= 1


@pytest.mark.parametrize("identities", [(ADDRESS,)])
async def test_control_approve__address_identity__only_its_signature_confirms_once(
    oracle: OracleApp, pumped: Pumped,
) -> None:
    refused = [approve("ops@ballast", "u-1", symbol="PSTR", price="1.30"),
               sign(approve("ops@ballast", "o-1", symbol="PSTR", price="1.30"), OTHER),
               sign(approve("ops@ballast", "t-1", symbol="PSTR", price="9"), KEY)
               .model_copy(update={"matchers": {"symbol": "PSTR", "price": "1.30"}})]
    for cmd in refused:
        await pumped.send(cmd)
    await outcomes(oracle, refused=3)
    assert oracle.core.latest("PSTR").status is ConsensusStatus.DEGRADED  # type: ignore[union-attr]

    signed = sign(approve("ops@ballast", "s-1", symbol="PSTR", price="1.30"), KEY)
    await pumped.send(signed)
    ok = await pumped.got.wait(lambda c: c.status is ConsensusStatus.OK)
    assert ok.price == Decimal("1.30")
    assert oracle.core.control(signed) == "ignored: already applied"
    await outcomes(oracle, refused=4, applied=1)
