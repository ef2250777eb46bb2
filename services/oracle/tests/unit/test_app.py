"""The core (app.Oracle) with fakes for the bus and the history (no I/O): what gets published
when, and what the record gets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from ballast.common.messages import (
    ConsensusPrice,
    ConsensusStatus,
    ControlCommand,
    ControlVerb,
    PriceObservation,
    SourceFlag,
    Trade,
)
from ballast.oracle.app import Oracle, SymbolSpec
from ballast.oracle.domain.policy import AnchorConfig, ConsensusConfig, SourcePolicy
from ballast.oracle.metrics import OracleMetrics
from ballast.oracle.settings import OracleSettings

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@dataclass
class FakePublisher:
    got_observed: list[PriceObservation] = field(default_factory=list[PriceObservation])
    got_consensus: list[ConsensusPrice] = field(default_factory=list[ConsensusPrice])
    got_trades: list[Trade] = field(default_factory=list[Trade])
    fail: bool = False

    async def observations(self, batch: Sequence[PriceObservation],
                           encoded: Sequence[bytes]) -> None:
        assert [PriceObservation.model_validate_json(e) for e in encoded] == list(batch)
        self.got_observed.extend(batch)

    async def consensus(self, price: ConsensusPrice) -> None:
        if self.fail:
            raise ConnectionError("nats away")
        self.got_consensus.append(price)

    async def trade(self, trade: Trade) -> None:
        self.got_trades.append(trade)


Row = PriceObservation | ConsensusPrice | Trade


@dataclass
class FakeHistory:
    """The record in memory: the rows added, the rows flushed, the sequences it holds."""

    sequences: dict[str, int] = field(default_factory=dict[str, int])
    rows: list[Row] = field(default_factory=list[Row])
    flushed: list[Row] = field(default_factory=list[Row])

    def add_observations(self, encoded: Sequence[bytes]) -> None:
        self.rows.extend(PriceObservation.model_validate_json(e) for e in encoded)

    def add_consensus(self, c: ConsensusPrice) -> None:
        self.rows.append(c)

    def add_trade(self, t: Trade) -> None:
        self.rows.append(t)

    async def flush(self) -> None:
        self.flushed.extend(self.rows)
        self.rows.clear()

    async def last_sequences(self) -> dict[str, int]:
        return self.sequences


def core(spec: SymbolSpec, publisher: FakePublisher, registry: CollectorRegistry | None = None,
         *, history: FakeHistory | None = None, **options: Any) -> Oracle:
    record = history or FakeHistory()
    return Oracle({"PSTR": spec}, publisher, record, record,
                  OracleMetrics(registry or CollectorRegistry()), **options)


def engine(publisher: FakePublisher, registry: CollectorRegistry | None = None) -> Oracle:
    spec = SymbolSpec(ConsensusConfig(min_sources=2),
                      {"pyth": SourcePolicy(), "switchboard": SourcePolicy()})
    return core(spec, publisher, registry, heartbeat_seconds=0.0, clock=lambda: NOW)


def obs(source: str, price: str, second: int = 0) -> PriceObservation:
    return PriceObservation(source=source, symbol="PSTR", price=Decimal(price),
                            published_at=NOW - timedelta(seconds=10 - second), observed_at=NOW)


async def round_of(eng: Oracle, *readings: PriceObservation) -> None:
    """Observe the readings, then one consensus round, and wait for what it publishes."""
    for reading in readings:
        eng.observe(reading)
    await eng.drain()
    await eng.settle()


async def test_engine__burst_of_readings__one_round_per_drain_and_all_published() -> None:
    pub = FakePublisher()
    eng = engine(pub)
    for i in range(50):
        eng.observe(obs("pyth", f"1.{i:02d}", i))
        eng.observe(obs("switchboard", f"1.{i:02d}", i))
    await round_of(eng)
    assert len(pub.got_observed) == 100
    assert len(pub.got_consensus) == 1 and pub.got_consensus[0].status is ConsensusStatus.OK
    assert pub.got_consensus[0].sequence == 1


async def test_engine__starting__no_consensus_until_every_source_answered() -> None:
    pub = FakePublisher()
    spec = SymbolSpec(ConsensusConfig(min_sources=2),
                      {"pyth": SourcePolicy(), "switchboard": SourcePolicy()})
    eng = core(spec, pub, heartbeat_seconds=0.0, clock=lambda: NOW, startup_grace_seconds=60)
    await eng.tick()  # nothing read yet: not HALTED, nothing at all
    await round_of(eng, obs("pyth", "1"))
    assert pub.got_consensus == []
    eng.source_down("switchboard", "PSTR", "timeout")  # an error is an answer too
    await round_of(eng)
    assert [c.status for c in pub.got_consensus] == [ConsensusStatus.DEGRADED]


async def test_engine__grace_over__halted_published_without_any_answer() -> None:
    pub = FakePublisher()
    spec = SymbolSpec(ConsensusConfig(min_sources=1), {"pyth": SourcePolicy()})
    eng = core(spec, pub, heartbeat_seconds=0.0, clock=lambda: NOW, startup_grace_seconds=0.01)
    await asyncio.sleep(0.02)
    await eng.tick()
    await eng.settle()
    assert [c.status for c in pub.got_consensus] == [ConsensusStatus.HALTED]


async def test_engine__same_reading_again__not_republished() -> None:
    pub = FakePublisher()
    eng = engine(pub)
    await round_of(eng, obs("pyth", "1"), obs("pyth", "1"))
    assert len(pub.got_observed) == 1


async def test_engine__older_reading_after_newer__ignored() -> None:
    pub = FakePublisher()
    eng = engine(pub)
    await round_of(eng, obs("pyth", "1.10", second=5), obs("pyth", "1.00", second=1))
    assert [o.price for o in pub.got_observed] == [Decimal("1.10")]
    assert pub.got_consensus[-1].price == Decimal("1.10")


async def test_engine__source_down__flagged_degraded_then_recovers() -> None:
    pub = FakePublisher()
    eng = engine(pub)
    await round_of(eng, obs("pyth", "1"), obs("switchboard", "1"))
    eng.source_down("switchboard", "PSTR", "timeout")
    await round_of(eng)
    down = pub.got_consensus[-1]
    assert down.status is ConsensusStatus.DEGRADED
    assert next(s for s in down.sources if s.source == "switchboard").flags == [SourceFlag.DOWN]
    await round_of(eng, obs("switchboard", "1"))  # same reading: clears the down flag
    assert pub.got_consensus[-1].status is ConsensusStatus.OK
    assert [c.sequence for c in pub.got_consensus] == [1, 2, 3]


async def test_engine__tick__heartbeat_republishes_unchanged() -> None:
    pub = FakePublisher()
    eng = engine(pub)
    await round_of(eng, obs("pyth", "1"))
    await eng.tick()
    await eng.settle()
    assert len(pub.got_consensus) == 2 and pub.got_consensus[0].price == pub.got_consensus[1].price


async def test_engine__publish_fails__republished_on_the_next_round() -> None:
    pub, registry = FakePublisher(), CollectorRegistry()
    eng = engine(pub, registry)
    pub.fail = True
    await round_of(eng, obs("pyth", "1"))
    pub.fail = False
    await eng.tick()
    await eng.settle()
    assert [c.sequence for c in pub.got_consensus] == [2]
    assert registry.get_sample_value("ballast_oracle_consensus_sources_used",
                                     {"symbol": "PSTR"}) == 1


async def test_engine__unconfigured_source__ignored() -> None:
    pub = FakePublisher()
    eng = engine(pub)
    eng.observe(PriceObservation(source="other", symbol="PSTR", price=Decimal(1),
                                 published_at=NOW, observed_at=NOW))
    await round_of(eng)
    assert pub.got_observed == [] and pub.got_consensus == []


def test_oracle_settings__symbols_json_in_env__parsed_with_policies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BALLAST_ORACLE_DATABASE_URL", "postgresql://db")
    monkeypatch.setenv("BALLAST_ORACLE_SYMBOLS", """{"PSTR": {"min_sources": 3, "sources": [
        {"kind": "pyth_hermes", "feed_id": "0xFEED"},
        {"kind": "chainlink", "rpc_url": "http://rpc", "heartbeat_seconds": 3600,
         "address": "0x0000000000000000000000000000000000000001"}]}}""".replace("FEED", "ab" * 32))
    settings = OracleSettings()  # type: ignore[call-arg]
    spec = settings.symbols["PSTR"]
    assert spec.consensus().min_sources == 3
    assert spec.consensus().max_price_deviation == Decimal("0.05")
    assert spec.consensus().confidence_weight == Decimal("0.3")
    assert [s.label for s in spec.sources] == ["pyth", "chainlink"]
    assert spec.sources[1].policy().max_age == timedelta(seconds=3660)


def test_oracle_settings__duplicate_source_names__rejected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BALLAST_ORACLE_DATABASE_URL", "postgresql://db")
    source = '{"kind": "switchboard_crossbar", "feed_hash": "0x' + "ab" * 32 + '"}'
    monkeypatch.setenv("BALLAST_ORACLE_SYMBOLS", f'{{"PSTR": {{"sources": [{source}, {source}]}}}}')
    with pytest.raises(ValueError, match="unique"):
        OracleSettings()  # type: ignore[call-arg]


def test_oracle_settings__config_file__symbols_loaded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "oracle.json"
    config.write_text(json.dumps({"symbols": {"BTC": {"min_sources": 1, "sources": [
        {"kind": "switchboard_crossbar", "feed_hash": "ab" * 32, "name": "sb"}]}}}))
    monkeypatch.setenv("BALLAST_ORACLE_DATABASE_URL", "postgresql://db")
    monkeypatch.setenv("BALLAST_ORACLE_CONFIG_FILE", str(config))
    settings = OracleSettings()  # type: ignore[call-arg]
    assert [s.label for s in settings.symbols["BTC"].sources] == ["sb"]
    monkeypatch.setenv("BALLAST_ORACLE_CONFIG_FILE", str(tmp_path / "missing.json"))
    with pytest.raises(ValueError, match="missing.json"):
        OracleSettings()  # type: ignore[call-arg]


async def test_engine__confirm_without_price__accepts_the_latest_and_counts_the_check() -> None:
    pub, registry = FakePublisher(), CollectorRegistry()
    spec = SymbolSpec(ConsensusConfig(min_sources=2, anchor=AnchorConfig(source="chainlink")),
                      {"pyth": SourcePolicy(), "switchboard": SourcePolicy(),
                       "chainlink": SourcePolicy()})
    eng = core(spec, pub, registry, heartbeat_seconds=0.0, clock=lambda: NOW)
    for source, price in (("pyth", "2"), ("switchboard", "2"), ("chainlink", "1")):
        eng.observe(obs(source, price))
    await round_of(eng)
    assert pub.got_consensus[-1].status is ConsensusStatus.DEGRADED
    assert registry.get_sample_value("ballast_oracle_consensus_checks_failed_total",
                                     {"symbol": "PSTR", "check": "correlated_move"}) == 1
    assert eng.confirm("PSTR") == Decimal("2") and eng.confirm("BTC") is None
    await round_of(eng)
    assert pub.got_consensus[-1].status is ConsensusStatus.OK


async def test_core__restart__sequences_resume_from_the_record_and_stop_writes_it() -> None:
    pub, history = FakePublisher(), FakeHistory({"PSTR": 41, "BTC": 7})
    spec = SymbolSpec(ConsensusConfig(min_sources=2),
                      {"pyth": SourcePolicy(), "switchboard": SourcePolicy()})
    eng = core(spec, pub, history=history, heartbeat_seconds=0.0, clock=lambda: NOW)
    await eng.start()
    eng.observe(obs("pyth", "1.00"))
    eng.observe(obs("switchboard", "1.00"))
    await eng.stop()  # drains, waits for the publish, flushes the record
    assert [c.sequence for c in pub.got_consensus] == [42]
    assert history.rows == []
    assert [type(r).__name__ for r in history.flushed] == [
        "PriceObservation", "PriceObservation", "ConsensusPrice"]


async def test_core__control__an_operator_confirms_the_latest_price() -> None:
    pub = FakePublisher()
    spec = SymbolSpec(ConsensusConfig(min_sources=1), {"pyth": SourcePolicy()})
    eng = core(spec, pub, heartbeat_seconds=0.0, clock=lambda: NOW, operators=("ops",))
    await round_of(eng, obs("pyth", "2.5"))
    cmd = ControlCommand(command_id="c", command=ControlVerb.APPROVE, issued_by="ops",
                         target="oracle", issued_at=NOW, matchers={"symbol": "PSTR"})
    assert eng.control(cmd) == "confirmed PSTR at 2.5"
