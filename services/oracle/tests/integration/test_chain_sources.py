"""On-chain adapters against anvil: the repo's TestAggregator, MockPyth, a Switchboard stand-in
and a real Uniswap V2 pair (factory, router, pair from the npm builds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ballast.common.messages import SourceFlag, TradeSide
from ballast.oracle.adapters.base import SourceError
from ballast.oracle.adapters.evm import (
    ChainlinkFeed,
    PythOnchainFeed,
    SwitchboardOnchainFeed,
    connect,
)
from ballast.oracle.adapters.uniswap import SwapScanner, UniswapTwapFeed, UniswapV2Pair
from ballast.oracle.domain.consensus import SourceInput, reading_flags
from ballast.oracle.settings import ChainlinkSource

FEED = "ff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace"


async def refusal(feed: Any) -> str:
    """The kind of the SourceError that the feed's read raises."""
    with pytest.raises(SourceError) as err:
        await feed.read()
    return err.value.kind


async def test_chainlink_feed__test_aggregator__fixed_point_price_and_round_time(
    chain: Any, anvil_snapshot: Any
) -> None:
    agg = chain.deploy("TestAggregator", 8, "PSTR / USD", 250_000_000)
    obs = await ChainlinkFeed(connect(anvil_snapshot.rpc_url), agg.address, "PSTR").read()
    assert obs.price == Decimal("2.5") and obs.source == "chainlink"
    assert int(obs.published_at.timestamp()) == anvil_snapshot.timestamp()
    assert obs.block_number == anvil_snapshot.block_number()


async def test_chainlink_feed__answered_in_older_round_or_negative__rejected(
    chain: Any, anvil_snapshot: Any
) -> None:
    agg = chain.deploy("TestAggregator", 8, "PSTR / USD", 250_000_000)
    feed = ChainlinkFeed(connect(anvil_snapshot.rpc_url), agg.address, "PSTR")
    now = anvil_snapshot.timestamp()
    chain.send(agg.functions.setRoundData(7, 250_000_000, now, now, 6))
    assert await refusal(feed) == "stale_round"
    chain.send(agg.functions.setRoundData(8, -1, now, now, 8))
    assert await refusal(feed) == "invalid"


async def test_chainlink_feed__older_than_its_heartbeat__flagged_stale(
    chain: Any, anvil_snapshot: Any
) -> None:
    agg = chain.deploy("TestAggregator", 8, "PSTR / USD", 250_000_000)
    now = anvil_snapshot.timestamp()
    chain.send(agg.functions.setRoundData(9, 250_000_000, now - 7200, now - 7200, 9))
    obs = await ChainlinkFeed(connect(anvil_snapshot.rpc_url), agg.address, "PSTR").read()
    config = ChainlinkSource(kind="chainlink", rpc_url="http://x", address=agg.address,
                             heartbeat_seconds=3600)
    flags = reading_flags(SourceInput("chainlink", config.policy(), obs),
                          datetime.fromtimestamp(now, UTC), None)
    assert flags == [SourceFlag.STALE]


async def test_pyth_onchain_feed__mock_pyth__price_and_conf_scaled_by_expo(
    chain: Any, anvil_snapshot: Any
) -> None:
    pyth = chain.deploy("MockPyth", 60, 1)
    now = anvil_snapshot.timestamp()
    data = pyth.functions.createPriceFeedUpdateData(
        bytes.fromhex(FEED), 314_159_000_000, 1_500_000, -8, 314_000_000_000, 1_400_000,
        now, now - 1).call()
    chain.wait(pyth.functions.updatePriceFeeds([data]).transact({"from": chain.me, "value": 1}))
    feed = PythOnchainFeed(connect(anvil_snapshot.rpc_url), pyth.address, "0x" + FEED, "ETH")
    obs = await feed.read()
    assert obs.price == Decimal("3141.59000000") and obs.confidence == Decimal("0.01500000")
    assert int(obs.published_at.timestamp()) == now
    missing = PythOnchainFeed(connect(anvil_snapshot.rpc_url), pyth.address, "11" * 32, "X")
    assert await refusal(missing) == "revert"


async def test_switchboard_onchain_feed__latest_update__18_decimal_result(
    chain: Any, anvil_snapshot: Any
) -> None:
    board = chain.deploy("MockSwitchboard")
    now = anvil_snapshot.timestamp()
    chain.send(board.functions.setUpdate(bytes.fromhex(FEED), 2_512_345 * 10**12, now - 5, 77))
    feed = SwitchboardOnchainFeed(connect(anvil_snapshot.rpc_url), board.address, FEED, "PSTR")
    obs = await feed.read()
    assert obs.price == Decimal("2.512345") and int(obs.published_at.timestamp()) == now - 5
    missing = SwitchboardOnchainFeed(connect(anvil_snapshot.rpc_url), board.address, "22" * 32,
                                     "PSTR")
    assert await refusal(missing) == "revert"


async def test_uniswap_twap_feed__window_covered__twap_from_a_confirmed_block(
    dex: Any, anvil_snapshot: Any
) -> None:
    heads: list[int] = []
    pair = UniswapV2Pair(connect(anvil_snapshot.rpc_url), dex.pair.address, dex.base.address)
    feed = UniswapTwapFeed(pair, "PSTR", window_seconds=60, min_confirmations=1,
                           on_head=lambda _s, _y, head: heads.append(head), bootstrap=False)
    anvil_snapshot.mine(1)
    assert await refusal(feed) == "warmup"
    anvil_snapshot.increase_time(120)
    anvil_snapshot.mine(1)
    obs = await feed.read()
    assert abs(obs.price - Decimal("2.5")) < Decimal("1e-12")
    assert obs.block_number == heads[-1] - 1
    dex.swap(100_000 * 10**18)  # dump PSTR: spot falls, the TWAP follows only with time
    anvil_snapshot.increase_time(120)
    anvil_snapshot.mine(1)
    later = await feed.read()
    assert Decimal("1.8") < later.price < Decimal("2.5")


async def test_uniswap_twap_feed__restart_with_bootstrap__twap_on_first_read(
    dex: Any, anvil_snapshot: Any
) -> None:
    anvil_snapshot.mine(1)
    anvil_snapshot.increase_time(300)
    anvil_snapshot.mine(2)
    pair = UniswapV2Pair(connect(anvil_snapshot.rpc_url), dex.pair.address, dex.base.address)
    obs = await UniswapTwapFeed(pair, "PSTR", window_seconds=120).read()
    assert abs(obs.price - Decimal("2.5")) < Decimal("1e-12")  # reserves unchanged in the window


async def test_swap_scanner__confirmations_once_and_reorgs__each_trade_once(
    dex: Any, anvil_snapshot: Any
) -> None:
    reorgs: list[int] = []
    pair = UniswapV2Pair(connect(anvil_snapshot.rpc_url), dex.pair.address, dex.base.address)
    scanner = SwapScanner(pair, venue="uniswap_v2", pair_name="PSTR-USDC", base_symbol="PSTR",
                          quote_symbol="USDC", confirmations=2,
                          start_block=anvil_snapshot.block_number() + 1, on_reorg=reorgs.append)
    receipt = dex.swap(1_000 * 10**18)
    assert await scanner.poll() == []  # not deep enough yet
    anvil_snapshot.mine(2)
    (trade,) = await scanner.poll()
    assert trade.side is TradeSide.SELL and trade.base_volume == Decimal(1000)
    assert Decimal("2.4") < trade.price < Decimal("2.5")
    assert trade.quote_volume == trade.price * trade.base_volume
    assert trade.tx_hash == "0x" + bytes(receipt["transactionHash"]).hex().removeprefix("0x")
    assert await scanner.poll() == []  # once

    shallow = anvil_snapshot.snapshot()  # a swap that a reorg removes before it is deep
    dex.swap(5 * 10**18)
    anvil_snapshot.mine(1)
    assert await scanner.poll() == []
    anvil_snapshot.revert(shallow)
    anvil_snapshot.mine(3)
    assert await scanner.poll() == []

    deep = anvil_snapshot.snapshot()  # a reorg deeper than the confirmations
    dex.swap(7 * 10**18)
    anvil_snapshot.mine(2)
    (first,) = await scanner.poll()
    anvil_snapshot.revert(deep)
    anvil_snapshot.increase_time(1, mine=False)
    dex.swap(9 * 10**6, sell_base=False)
    anvil_snapshot.mine(2)
    (replacement,) = await scanner.poll()
    assert reorgs and first.base_volume == 7
    assert replacement.side is TradeSide.BUY and replacement.tx_hash != first.tx_hash
    assert replacement.timestamp - trade.timestamp < timedelta(hours=1)
