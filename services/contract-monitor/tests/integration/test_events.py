"""ETF events on the devnet: each log stored and published exactly once, across restarts and
a crash between store and publish; a reorg rolled back."""

from __future__ import annotations

from typing import Any

from ballast.contract_monitor.main import ContractMonitorApp
from ballast.testing.pg import connected

E18 = 10**18
Devnet = Any  # ../conftest.py types are not importable under --import-mode=importlib


def ids(logs: list[dict[str, Any]]) -> set[tuple[str, int]]:
    return {(entry["transactionHash"], int(entry["logIndex"], 16)) for entry in logs}


async def test_monitor__deposits_withdrawals_and_restart__each_event_exactly_once(
    devnet: Devnet, monitor_app: Any, seen: Any, database_url: str
) -> None:
    app: ContractMonitorApp = await monitor_app()
    await app.core.poll()
    devnet.deposit(50 * E18)
    devnet.withdraw(10 * E18)
    await app.core.poll()
    await app.stop()
    devnet.deposit(7 * E18)
    devnet.withdraw(3 * E18)
    again: ContractMonitorApp = await monitor_app()
    await again.core.poll()
    await again.core.poll()

    got = await seen()
    chain = ids(devnet.logs())
    published = [(e.tx_hash, e.log_index) for e in got.events]
    assert len(published) == len(set(published))
    assert set(published) == chain
    kinds = [e.kind.value for e in got.events]
    assert kinds.count("deposit") >= 4 and kinds.count("withdraw") == 2
    async with connected(database_url) as conn:
        rows = await conn.fetchval("SELECT count(*) FROM contract_events WHERE source = 'etf'")
    assert rows == len(chain)


async def test_monitor__crash_after_store_before_publish__restart_publishes_the_rest_once(
    devnet: Devnet, monitor_app: Any, seen: Any, database_url: str
) -> None:
    app: ContractMonitorApp = await monitor_app()
    await app.core.poll()
    first_published = app.core.published
    await app.stop()
    # the crash: the cursor says published up to half-way through what is stored
    async with connected(database_url) as conn:
        await conn.execute("UPDATE contract_monitor_cursor SET published_block = $1",
                           first_published // 2)
    devnet.deposit(5 * E18)
    again: ContractMonitorApp = await monitor_app()
    await again.core.poll()

    got = await seen()
    published = [(e.tx_hash, e.log_index) for e in got.events]
    assert len(published) == len(set(published))
    assert set(published) == ids(devnet.logs())


async def test_monitor__reorg_to_other_blocks__undone_events_removed_and_new_ones_indexed(
    devnet: Devnet, monitor_app: Any, seen: Any, database_url: str
) -> None:
    app: ContractMonitorApp = await monitor_app()
    await app.core.poll()
    fork = devnet.anvil.snapshot()
    fork_block = devnet.anvil.block_number()
    undone = devnet.deposit(11 * E18)
    devnet.withdraw(2 * E18)
    await app.core.poll()
    devnet.anvil.revert(fork)
    devnet.anvil.mine(1)
    kept = devnet.deposit(13 * E18)
    devnet.anvil.mine(2)
    await app.core.poll()

    got = await seen()
    removed = [e for e in got.events if e.removed]
    assert removed and {e.tx_hash for e in removed} >= {undone["transactionHash"]}
    assert all(e.block_number > fork_block for e in removed)
    first_removal = next(i for i, e in enumerate(got.events) if e.removed)
    added_after = [e for e in got.events[first_removal:] if not e.removed]
    assert undone["transactionHash"] not in {e.tx_hash for e in added_after}
    assert kept["transactionHash"] in {e.tx_hash for e in added_after}
    # message ids carry the reorg count, so a log a second reorg restores is published again
    removal_ids = [i for i, e in zip(got.event_ids, got.events, strict=True) if e.removed]
    assert removal_ids and all(i.endswith(":removed:1") for i in removal_ids)
    kept_ids = [i for i, e in zip(got.event_ids, got.events, strict=True)
                if e.tx_hash == kept["transactionHash"]]
    assert kept_ids and all(i.endswith(":1") for i in kept_ids)
    async with connected(database_url) as conn:
        stored = {(r["tx_hash"], r["log_index"])
                  for r in await conn.fetch(
                      "SELECT tx_hash, log_index FROM contract_events WHERE source = 'etf'")}
    assert stored == ids(devnet.logs())
    assert app.service.registry.get_sample_value("ballast_contract_monitor_reorgs_total") == 1
