"""The core (app.ContractMonitor) with in-memory fakes for the chain, the record and the bus:
what is stored, published and rolled back, in which order (no anvil, no Postgres, no NATS)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak
from prometheus_client import CollectorRegistry

from ballast.common.messages import EtfMetrics, GovernanceProposal
from ballast.contract_monitor.adapters.suite import ReadError
from ballast.contract_monitor.app import ContractMonitor
from ballast.contract_monitor.domain.model import EtfReading, MonitorConfig, StoredLog
from ballast.contract_monitor.metrics import MonitorMetrics

BASKET = "0x" + "ab" * 20
USER = "0x" + "12" * 20


def deposited(block: int, index: int = 0) -> dict[str, Any]:
    """A StakeBasket Deposited log in `block`, as eth_getLogs returns it."""
    data = encode(["uint8", "uint256", "uint256", "uint256", "uint256"], [1, 5, 7, 9, 11])
    topic = keccak(text="Deposited(address,uint8,uint256,uint256,uint256,uint256)")
    return {"address": BASKET, "topics": ["0x" + topic.hex(), "0x" + "00" * 12 + USER[2:]],
            "data": "0x" + data.hex(), "blockNumber": hex(block),
            "blockHash": f"0x{block:064x}", "transactionHash": f"0x{block * 100 + index:064x}",
            "logIndex": hex(index)}


class FakeChain:
    """Blocks 0..head with a hash each; a reorg changes hashes and logs from a block on."""

    def __init__(self, head: int) -> None:
        self.head = head
        self.hashes = {n: f"0x{n:064x}" for n in range(head + 1)}
        self.raw: list[dict[str, Any]] = []

    async def chain_id(self) -> int:
        return 31337

    async def block_number(self) -> int:
        return self.head

    async def block(self, number: int | str) -> dict[str, Any] | None:
        return {"hash": self.hashes.get(int(number))}

    async def block_hashes(self, numbers: Sequence[int]) -> dict[int, str | None]:
        return {n: self.hashes.get(n) for n in numbers}

    async def fetch(self, low: int, high: int) -> tuple[list[Any], dict[str, Any] | None]:
        logs = [r for r in self.raw if low <= int(r["blockNumber"], 16) <= high]
        return logs, {"hash": self.hashes[high]}

    async def read(self, block: int) -> EtfReading:
        raise ReadError("no suite in this test")


class FakeStore:
    """The record in memory, as the repository keeps it."""

    def __init__(self) -> None:
        self.row: tuple[int, int, int] | None = None
        self.logs: dict[tuple[str, int], StoredLog] = {}
        self.blocks: dict[int, str] = {}

    async def cursor(self, chain_id: int) -> tuple[int, int, int] | None:
        return self.row

    async def init_cursor(self, chain_id: int, block: int) -> None:
        self.row = (block, block, 0)

    async def mark_published(self, chain_id: int, block: int) -> None:
        stored, published, reorgs = self.row or (block, block, 0)
        self.row = (stored, max(published, block), reorgs)

    async def store(self, chain_id: int, logs: Sequence[StoredLog],
                    checkpoints: Sequence[tuple[int, str]], to_block: int) -> None:
        for s in logs:
            self.logs.setdefault((s.log.tx_hash, s.log.log_index), s)
        self.blocks.update(checkpoints)
        _, published, reorgs = self.row or (to_block, to_block, 0)
        self.row = (to_block, published, reorgs)

    async def events_between(self, low: int, high: int) -> list[StoredLog]:
        return sorted((s for s in self.logs.values() if low < s.log.block_number <= high),
                      key=lambda s: (s.log.block_number, s.log.log_index))

    async def checkpoints(self, at_or_below: int, limit: int) -> list[tuple[int, str]]:
        return sorted(((n, h) for n, h in self.blocks.items() if n <= at_or_below),
                      reverse=True)[:limit]

    async def rollback(self, chain_id: int, fork: int) -> list[StoredLog]:
        gone = await self.events_between(fork, 10**9)
        self.logs = {k: s for k, s in self.logs.items() if s.log.block_number <= fork}
        self.blocks = {n: h for n, h in self.blocks.items() if n <= fork}
        stored, published, reorgs = self.row or (fork, fork, 0)
        self.row = (min(stored, fork), min(published, fork), reorgs + 1)
        return gone

    async def prune_blocks(self, below: int) -> None:
        self.blocks = {n: h for n, h in self.blocks.items() if n >= below}

    async def event_names_between(self, names: Sequence[str], low: int,
                                  high: int) -> list[str]:
        return []

    async def save_snapshot(self, reading: EtfReading, metrics: EtfMetrics) -> None:
        raise AssertionError("no reading in these tests")

    async def first_nav_since(self, since: datetime) -> tuple[datetime, Decimal] | None:
        return None

    async def unique_depositors(self) -> int:
        return 0

    async def last_reading(self) -> EtfReading | None:
        return None


class FakePublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bool, int]] = []  # (tx_hash, removed, epoch)
        self.offered: list[tuple[int, bool, int]] = []  # to `parameters`: (logs, removed, epoch)

    async def etf_events(self, logs: Sequence[StoredLog], observed_at: datetime, *,
                         removed: bool = False, epoch: int = 0) -> int:
        self.sent.extend((s.log.tx_hash, removed, epoch) for s in logs)
        return len(logs)

    async def metrics(self, m: EtfMetrics, block_hash: str) -> None:
        raise AssertionError("no reading in these tests")

    async def proposal(self, p: GovernanceProposal, msg_id: str) -> None:
        raise AssertionError("no governance in these tests")

    async def parameters(self, logs: Sequence[StoredLog], observed_at: datetime, *,
                         removed: bool = False, epoch: int = 0) -> int:
        self.offered.append((len(logs), removed, epoch))
        return 0  # no StrategyParameters in these tests: every log is the basket's


def monitor(chain: FakeChain, store: FakeStore, publisher: FakePublisher,
            registry: CollectorRegistry | None = None) -> ContractMonitor:
    config = MonitorConfig(etf_addresses=(BASKET,), confirmations=2, block_range=4)
    return ContractMonitor(chain, chain, chain, None, store, publisher,
                           MonitorMetrics(registry or CollectorRegistry()), config)


async def test_poll__logs_up_to_the_confirmed_block__stored_then_published_in_order() -> None:
    chain, store, pub = FakeChain(head=12), FakeStore(), FakePublisher()
    chain.raw = [deposited(3), deposited(7, 0), deposited(7, 1), deposited(11)]
    core = monitor(chain, store, pub)
    await core.start()
    await core.poll()
    assert core.stored == core.published == 10 and store.row == (10, 10, 0)
    assert [tx for tx, _, _ in pub.sent] == [f"0x{n:064x}" for n in (300, 700, 701)]
    await core.poll()  # nothing new below the confirmed block: nothing again
    assert len(pub.sent) == 3


async def test_poll__stored_but_not_published_before_a_crash__published_again_first() -> None:
    chain, store, pub = FakeChain(head=12), FakeStore(), FakePublisher()
    chain.raw = [deposited(3)]
    first = monitor(chain, store, FakePublisher())
    await first.start()
    await first.index_to(5)
    store.row = (5, -1, 0)  # the process died after the commit, before the publish
    again = monitor(chain, store, pub)
    await again.start()
    await again.poll()
    assert pub.sent[0] == (f"0x{300:064x}", False, 0) and again.published == 10


async def test_poll__block_hash_changed__removed_published_rolled_back_and_indexed_again(
) -> None:
    chain, store, pub, registry = FakeChain(head=12), FakeStore(), FakePublisher(), \
        CollectorRegistry()
    chain.raw = [deposited(3), deposited(9)]
    core = monitor(chain, store, pub, registry)
    await core.start()
    await core.poll()
    for n in range(8, 13):
        chain.hashes[n] = f"0x{n + 1000:064x}"  # blocks 8.. replaced
    await core.poll()
    removed = [(tx, epoch) for tx, gone, epoch in pub.sent if gone]
    assert removed == [(f"0x{900:064x}", 1)]
    assert core.reorgs == 1 and store.row is not None and store.row[2] == 1
    assert pub.sent[-1] == (f"0x{900:064x}", False, 1)  # the log again, in the new epoch
    assert (1, True, 1) in pub.offered  # a parameter change undone would go out removed too
    assert registry.get_sample_value("ballast_contract_monitor_reorgs_total") == 1


async def test_poll__suite_read_fails__counted_and_the_poll_goes_on() -> None:
    chain, store, pub, registry = FakeChain(head=5), FakeStore(), FakePublisher(), \
        CollectorRegistry()
    core = monitor(chain, store, pub, registry)
    await core.start()
    await core.poll()
    assert registry.get_sample_value("ballast_contract_monitor_read_failures_total") == 1
    assert registry.get_sample_value("ballast_contract_monitor_polls_total",
                                     {"outcome": "ok"}) == 1
