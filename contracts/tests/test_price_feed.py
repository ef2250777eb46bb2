"""PriceFeed on anvil with a TestAggregator and the Pyth SDK's MockPyth as sources: scaling to 18
decimals, per-source staleness and bounds, the fallback order, Pyth's confidence limit, and
owner-only configuration.

The suite configures CORE and BTC with the aggregator first (max age 3,600 s) and Pyth second
(max age 120 s, confidence limit 2%), bounds [0.01, 1,000] USD for CORE.
"""

from __future__ import annotations

from typing import Any

import pytest
from etf_suite import AGG_MAX_AGE, BTC, CORE, CORE_PYTH_ID, E8, E18, PYTH_MAX_AGE, Etf
from eth_abi import decode

pytestmark = pytest.mark.integration

AGGREGATOR, PYTH = 1, 2  # PriceFeed.Source
ETH = b"ETH".ljust(32, b"\0")
ETH_PYTH_ID = bytes.fromhex("ff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace")


def _args(data: str, types: list[str]) -> tuple[Any, ...]:
    return decode(types, bytes.fromhex(data[10:]))


def _config(
    aggregator: str = "0x" + "00" * 20,
    pyth_id: bytes = b"\0" * 32,
    order: int = 0,
    conf_bps: int = 200,
) -> tuple[Any, ...]:
    lo, hi = E18 // 100, 1_000 * E18
    return (aggregator, AGG_MAX_AGE, lo, hi, pyth_id, PYTH_MAX_AGE, lo, hi, conf_bps, order)


def test_price_feed__fresh_aggregator__returns_price_scaled_to_18_decimals(etf: Etf) -> None:
    price, updated_at = etf.feed.functions.getPrice(CORE).call()
    round_data = etf.core_agg.functions.latestRoundData().call()
    assert (price, updated_at) == (E18, round_data[3])
    assert etf.feed.functions.getPrice(BTC).call()[0] == 60_000 * E18
    ok, _, _, source, _ = etf.feed.functions.tryGetPrice(CORE).call()
    assert (ok, source) == (True, AGGREGATOR)


def test_price_feed__aggregator_stale__falls_back_to_fresh_pyth(etf: Etf) -> None:
    etf.anvil.increase_time(AGG_MAX_AGE + 1)
    etf.push_pyth(CORE_PYTH_ID, 105_000_000)

    price, updated_at = etf.feed.functions.getPrice(CORE).call()

    assert price == 105 * E18 // 100
    assert updated_at <= etf.now()
    assert etf.feed.functions.tryGetPrice(CORE).call()[3] == PYTH


def test_price_feed__every_source_stale__reverts_with_primary_staleness(etf: Etf) -> None:
    updated_at = etf.core_agg.functions.latestRoundData().call()[3]
    etf.anvil.increase_time(AGG_MAX_AGE + 1)

    data = etf.expect_revert(etf.feed, "StalePrice", etf.feed.functions.getPrice(CORE).call)

    symbol, source, at, max_age = _args(data, ["bytes32", "uint8", "uint256", "uint256"])
    assert (symbol, source, at, max_age) == (CORE, AGGREGATOR, updated_at, AGG_MAX_AGE)
    ok, _, _, _, reason = etf.feed.functions.tryGetPrice(CORE).call()
    assert not ok
    assert "0x" + reason.hex() == data


def test_price_feed__aggregator_out_of_bounds__falls_back_then_reverts(etf: Etf) -> None:
    etf.send(etf.core_agg.functions.setAnswer(2_000 * E8), etf.admin)  # above the $1,000 cap
    assert etf.feed.functions.getPrice(CORE).call()[0] == E18  # Pyth still says $1

    etf.push_pyth(CORE_PYTH_ID, 2_000 * E8)
    data = etf.expect_revert(etf.feed, "PriceOutOfBounds", etf.feed.functions.getPrice(CORE).call)
    symbol, source, price, lo, hi = _args(
        data, ["bytes32", "uint8", "uint256", "uint256", "uint256"]
    )
    assert (symbol, source, price, lo, hi) == (
        CORE,
        AGGREGATOR,
        2_000 * E18,
        E18 // 100,
        1_000 * E18,
    )
    # ...and the basket refuses to price deposits with it.
    etf.expect_revert(etf.feed, "PriceOutOfBounds", lambda: etf.deposit_core(etf.users[0], E18))


def test_price_feed__pyth_first_order__prefers_pyth(etf: Etf) -> None:
    config = _config(etf.core_agg.address, CORE_PYTH_ID, order=1)
    etf.send(etf.feed.functions.setFeed(CORE, config), etf.admin)
    etf.push_pyth(CORE_PYTH_ID, 101_000_000)

    assert etf.feed.functions.getPrice(CORE).call()[0] == 101 * E18 // 100
    etf.anvil.increase_time(PYTH_MAX_AGE + 1)  # Pyth stale, the aggregator still fresh
    assert etf.feed.functions.getPrice(CORE).call()[0] == E18


def test_price_feed__pyth_confidence_too_wide__reverts_too_uncertain(etf: Etf) -> None:
    etf.send(etf.feed.functions.setFeed(ETH, _config(pyth_id=ETH_PYTH_ID)), etf.admin)
    etf.push_pyth(ETH_PYTH_ID, 300 * E8, conf8=6 * E8)  # 2% exactly: accepted
    assert etf.feed.functions.getPrice(ETH).call()[0] == 300 * E18

    etf.push_pyth(ETH_PYTH_ID, 300 * E8, conf8=7 * E8)
    data = etf.expect_revert(etf.feed, "PriceTooUncertain", etf.feed.functions.getPrice(ETH).call)
    assert _args(data, ["bytes32", "uint256", "uint256", "uint16"]) == (
        ETH,
        300 * E18,
        7 * E18,
        200,
    )


def test_price_feed__non_positive_answer__reverts_invalid_price(etf: Etf) -> None:
    etf.send(etf.feed.functions.setFeed(CORE, _config(etf.core_agg.address)), etf.admin)
    etf.send(etf.core_agg.functions.setAnswer(0), etf.admin)
    etf.expect_revert(etf.feed, "InvalidPrice", etf.feed.functions.getPrice(CORE).call)
    etf.send(etf.core_agg.functions.setAnswer(-5), etf.admin)
    data = etf.expect_revert(etf.feed, "InvalidPrice", etf.feed.functions.getPrice(CORE).call)
    assert _args(data, ["bytes32", "uint8", "int256"]) == (CORE, AGGREGATOR, -5)


def test_price_feed__round_stamped_in_future__reverts_stale(etf: Etf) -> None:
    now = etf.now()
    set_round = etf.core_agg.functions.setRoundData(99, 1 * E8, now, now + 3_600, 99)
    etf.send(etf.feed.functions.setFeed(CORE, _config(etf.core_agg.address)), etf.admin)
    etf.send(set_round, etf.admin)
    etf.expect_revert(etf.feed, "StalePrice", etf.feed.functions.getPrice(CORE).call)


def test_price_feed__unknown_symbol__reverts_not_configured(etf: Etf) -> None:
    etf.expect_revert(etf.feed, "FeedNotConfigured", etf.feed.functions.getPrice(ETH).call)


def test_price_feed__configuration__owner_only_validated_and_evented(etf: Etf) -> None:
    feed = etf.feed.functions
    stranger = etf.users[5]
    etf.expect_revert(
        etf.feed,
        "OwnableUnauthorizedAccount",
        lambda: etf.send(feed.setFeed(ETH, _config(pyth_id=ETH_PYTH_ID)), stranger),
    )
    etf.expect_revert(
        etf.feed, "OwnableUnauthorizedAccount", lambda: etf.send(feed.removeFeed(CORE), stranger)
    )
    not_a_contract = _config(aggregator=stranger)
    etf.expect_revert(
        etf.feed,
        "InvalidFeedConfig",
        lambda: etf.send(feed.setFeed(ETH, not_a_contract), etf.admin),
    )
    etf.expect_revert(
        etf.feed, "InvalidFeedConfig", lambda: etf.send(feed.setFeed(ETH, _config()), etf.admin)
    )

    receipt = etf.send(feed.setFeed(ETH, _config(pyth_id=ETH_PYTH_ID)), etf.admin)
    [event] = etf.events(etf.feed, "FeedConfigured", receipt)
    assert event["symbol"] == ETH
    assert feed.symbols().call() == [CORE, BTC, ETH]

    receipt = etf.send(feed.removeFeed(CORE), etf.admin)
    assert etf.events(etf.feed, "FeedRemoved", receipt) == [{"symbol": CORE}]
    assert sorted(feed.symbols().call()) == sorted([BTC, ETH])
    etf.expect_revert(etf.feed, "FeedNotConfigured", feed.getPrice(CORE).call)
