"""Each market scenario moves exactly the on-chain values it names, read back from the chain at
the block of each step (never from the driver's log)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from decimal import Decimal
from pathlib import Path

import pytest
from web3 import Web3

from ballast.cli.scenarios import Baton, run, run_forever
from ballast.cli.scenarios.driver import Market
from ballast.cli.scenarios.generators import tier
from ballast.cli.scenarios.model import Step
from ballast.devnet import Deployment
from ballast.devnet.chain import connect
from ballast.testing.chain import Anvil
from ballast.testing.devnet import deployed_devnet

OTHERS = ("PUMP", "CORE", "BTC")
SWAP_TOPIC = "0x" + Web3.keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)").hex()


@pytest.fixture(scope="module")
def deployment(anvil: Anvil, tmp_path_factory: pytest.TempPathFactory) -> Generator[Deployment]:
    with deployed_devnet(anvil, tmp_path_factory.mktemp("devnet")) as (deployment, _):
        yield deployment


@pytest.fixture
def market(anvil_snapshot: Anvil, deployment: Deployment) -> Market:
    return Market(connect(anvil_snapshot.rpc_url), deployment)


def drive(market: Market, anvil: Anvil, name: str, steps: int) -> list[tuple[Step, int]]:
    lines: list[str] = []
    done = run(anvil.rpc_url, market.d, name, speed=0, steps=steps, out=lines.append)
    assert len(done) == steps and len(lines) == steps + 1
    return done


def pstr_everywhere(market: Market, block: int) -> dict[str, Decimal]:
    """PSTR in USD on the aggregator, on MockPyth, on PSTR/USDC, and on PSTR/PUMP x PUMP/USD."""
    pump_usd = market.aggregator("PUMP", block)[0]
    return {
        "aggregator": market.aggregator("PSTR", block)[0],
        "pyth": market.pyth_price("PSTR", block)[0],
        "PSTR-USDC": market.price_of("PSTR", "USD", block),
        "PSTR-PUMP": market.price_of("PSTR", "PUMP", block) * pump_usd,
    }


def others(market: Market, block: int) -> dict[str, object]:
    """Everything a PSTR-only scenario must leave alone (answers, not timestamps)."""
    out: dict[str, object] = {}
    for symbol in OTHERS:
        out[f"aggregator {symbol}"] = market.aggregator(symbol, block)[0]
        out[f"pyth {symbol}"] = market.pyth_price(symbol, block)[0]
    for name in ("PUMP-WCORE", "WCORE-USDC"):
        pool = next(p for p in market.pools if p.name == name)
        out[name] = pool.pair.functions.getReserves().call(block_identifier=block)[:2]
    return out


def close(a: Decimal, b: Decimal, tolerance: str = "0.0005") -> bool:
    return abs(a / b - 1) <= Decimal(tolerance)


def swaps(market: Market, pool_name: str, first: int, last: int) -> int:
    pool = next(p for p in market.pools if p.name == pool_name)
    logs = market.w3.eth.get_logs({"address": pool.pair.address, "fromBlock": first,
                                   "toBlock": last, "topics": [SWAP_TOPIC]})
    return len(logs)


def test_crash__six_steps__pstr_through_tiers_1_2_3_on_every_source_and_nothing_else(
    anvil_snapshot: Anvil, market: Market
) -> None:
    start_block = anvil_snapshot.block_number()
    start = pstr_everywhere(market, start_block)
    untouched = others(market, start_block)
    done = drive(market, anvil_snapshot, "crash", 6)
    for source, price in start.items():
        path = [pstr_everywhere(market, block)[source] for _, block in done]
        tiers = [tier(1 - p / price) for p in path]
        assert tiers == sorted(tiers) and {1, 2, 3} <= set(tiers), (source, path)
        first = [tiers.index(n) for n in (1, 2, 3)]
        assert first == sorted(first)
        assert close(path[-1], price * Decimal("0.65")), (source, path[-1])
    assert others(market, done[-1][1]) == untouched
    assert swaps(market, "PSTR-USDC", start_block + 1, done[-1][1]) == 6
    assert swaps(market, "PUMP-WCORE", start_block + 1, done[-1][1]) == 0


@pytest.mark.parametrize(("name", "moved", "factor", "tolerance"), [
    # oracle attack: the DEX 50% above while the aggregator and pyth stay
    ("oracle-attack", ("PSTR-USDC", "PSTR-PUMP"), Decimal("1.5"), "0.0005"),
    # pump: pyth and every pool 10x while the aggregator holds
    ("pump", ("pyth", "PSTR-USDC", "PSTR-PUMP"), Decimal(10), "0.001"),
])
def test_pstr_only_scenario__four_steps__the_named_sources_scaled_the_others_stay(
    anvil_snapshot: Anvil, market: Market, name: str, moved: tuple[str, ...], factor: Decimal,
    tolerance: str,
) -> None:
    start_block = anvil_snapshot.block_number()
    start = pstr_everywhere(market, start_block)
    untouched = others(market, start_block)
    done = drive(market, anvil_snapshot, name, 4)
    end = pstr_everywhere(market, done[-1][1])
    for source, price in start.items():
        if source in moved:
            assert close(end[source], price * factor, tolerance), (source, end[source])
        else:
            assert end[source] == price, (source, end[source])
    assert others(market, done[-1][1]) == untouched


def test_stale_feed__four_steps__pstr_aggregator_frozen_while_other_sources_advance(
    anvil_snapshot: Anvil, market: Market
) -> None:
    done = drive(market, anvil_snapshot, "stale-feed", 4)
    blocks = [block for _, block in done]
    stale = [market.aggregator("PSTR", b) for b in blocks]
    assert len(set(stale)) == 1  # same answer, same updatedAt from step 0 on
    for read in (lambda b: market.pyth_price("PSTR", b)[1],
                 lambda b: market.aggregator("CORE", b)[1],
                 lambda b: market.aggregator("PUMP", b)[1]):
        times = [read(b) for b in blocks]
        assert times == sorted(set(times)), times
    pyth = [market.pyth_price("PSTR", b)[0] for b in blocks]
    assert len(set(pyth)) == len(pyth)  # the rest of the market keeps moving


def test_calm__four_steps__usdc_feeds_beat_at_their_peg_every_step(
    anvil_snapshot: Anvil, market: Market
) -> None:
    blocks = [block for _, block in drive(market, anvil_snapshot, "calm", 4)]
    for read in (lambda b: market.aggregator("USDC", b), lambda b: market.pyth_price("USDC", b)):
        seen = [read(b) for b in blocks]
        assert {price for price, _ in seen} == {Decimal("1.00")}
        times = [at for _, at in seen]
        assert times == sorted(set(times)), times  # a fresh update in every step's block


def test_flash_spike__four_steps__dex_spiked_for_exactly_one_block_oracles_untouched(
    anvil_snapshot: Anvil, market: Market
) -> None:
    start_block = anvil_snapshot.block_number()
    start = pstr_everywhere(market, start_block)
    done = drive(market, anvil_snapshot, "flash-spike", 4)
    spike_block = next(block for step, block in done if "spike" in step.tags)
    back = pstr_everywhere(market, spike_block + 1)
    before = pstr_everywhere(market, spike_block - 1)
    spike = pstr_everywhere(market, spike_block)
    for pool in ("PSTR-USDC", "PSTR-PUMP"):
        assert close(before[pool], start[pool])
        assert close(spike[pool], start[pool] * Decimal("1.5"))
        assert close(back[pool], start[pool])
    for block in [start_block] + [b for _, b in done]:
        read = pstr_everywhere(market, block)
        assert (read["aggregator"], read["pyth"]) == (start["aggregator"], start["pyth"])


def test_calm__three_steps__every_symbol_walks_a_little_on_every_source_with_swaps(
    anvil_snapshot: Anvil, market: Market
) -> None:
    start_block = anvil_snapshot.block_number()
    done = drive(market, anvil_snapshot, "calm", 3)
    end = done[-1][1]
    for symbol in ("PSTR", "PUMP", "CORE", "BTC"):
        for read in (market.aggregator, market.pyth_price):
            before, after = read(symbol, start_block)[0], read(symbol, end)[0]
            assert before != after and close(after, before, "0.05"), (symbol, before, after)
    assert swaps(market, "PSTR-USDC", start_block + 1, end) >= 1
    assert swaps(market, "WCORE-USDC", start_block + 1, end) >= 1


def test_slow_bleed__five_steps__pstr_20pct_down_on_every_source(
    anvil_snapshot: Anvil, market: Market
) -> None:
    start = pstr_everywhere(market, anvil_snapshot.block_number())
    done = drive(market, anvil_snapshot, "slow-bleed", 5)
    end = pstr_everywhere(market, done[-1][1])
    for source in start:
        assert close(end[source], start[source] * Decimal("0.8")), source



def test_run_forever__foreground_takes_the_baton__background_pauses_then_walks_around_the_crash(
    anvil_snapshot: Anvil, market: Market, tmp_path: Path
) -> None:
    baton = Baton(tmp_path)
    stop = threading.Event()
    log: list[str] = []

    def background() -> None:
        with baton.runner():
            run_forever(anvil_snapshot.rpc_url, market.d, "calm", speed=1200, out=log.append,
                        stop=stop.is_set, baton=baton)

    thread = threading.Thread(target=background, daemon=True)
    thread.start()
    try:
        first = anvil_snapshot.block_number()
        wait_for(lambda: anvil_snapshot.block_number() >= first + 2)
        with baton.hold():
            held_at = anvil_snapshot.block_number()
            start = pstr_everywhere(market, held_at)["aggregator"]
            done = drive(market, anvil_snapshot, "crash", 4)
            assert [block for _, block in done] == list(range(held_at + 1, held_at + 5))
            assert anvil_snapshot.block_number() == held_at + 4
        wait_for(lambda: anvil_snapshot.block_number() >= held_at + 7)
        after = pstr_everywhere(market, anvil_snapshot.block_number())
        assert all(close(p, start * Decimal("0.65"), "0.05") for p in after.values()), after
        assert any(line.startswith("paused") for line in log)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def wait_for(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
