"""The devnet's starting market: prices, supplies, pool depths and the treasury, and why.

Every source starts at the same USD price, so the oracle consensus is calm at block one:

    PSTR 1.00   PUMP 0.50   CORE 1.20   BTC 65,000   (USDC is 1.00 by definition)

aggregators answer these with 8 decimals, MockPyth holds them with expo -8 and a confidence of
5 bps, and every Uniswap pool is seeded at exactly these ratios.

Reserve ratio (PSTR seed, "Reserve Ratio Monitoring: Treasury Value / PSTR Market Cap", target
`min_reserve_ratio` 3.0):

    PSTR total supply   10,000,000 PSTR x $1.00                          = $10,000,000 market cap
    treasury            45,000,000 PUMP x $0.50 = $22,500,000
                      +  7,500,000 USDC         =  $7,500,000            = $30,000,000
    reserve ratio       30,000,000 / 10,000,000                          = 3.0
    PUMP concentration  22.5 / 30                                        = 75% (limit 80%)

(The treasury account also gets 100 native CORE for gas: $120 more, a ratio of 3.000012.)

So the system starts exactly at its target, healthy and under the concentration limit. The
`crash` scenario takes PSTR 35% down through the 15/20/30% tiers; that lowers the market cap, so
the reserve ratio rises (3.0 / 0.65 = 4.6) and the emergency stop (RR < 1.5) and the reduced
deployment (RR < 2.0) are not tripped by the crash itself: the interventions each tier asks for
can actually run. A PUMP fall is what pulls the ratio down (PUMP -50% gives RR 1.9).

The PSTR supply is minted once, here, and never again (the scenario trader only trades it), so
the market cap moves with the price alone:

    PSTR/USDC pool    1,000,000      PSTR/PUMP pool  1,000,000
    trader            2,000,000      gPSTR (wrapped by the deployer for governance) 1,000,000
    deployer          4,000,000      (the rest of the float)   PSTR/USDC V3 pool  1,000,000

Pools are deep enough that the intervention sizes of the seed move them by a few percent, and
the trader holds enough of every token to take PSTR 35% down in both PSTR pools several times.
"""

from __future__ import annotations

from decimal import Decimal

PRICES_USD: dict[str, Decimal] = {
    "PSTR": Decimal("1.00"),
    "PUMP": Decimal("0.50"),
    "CORE": Decimal("1.20"),
    "BTC": Decimal("65000"),
}
"""Starting USD prices of the symbols the market scenarios move."""

PEGGED_USD: dict[str, Decimal] = {"USDC": Decimal("1.00")}
"""Stablecoins: they get feeds too (the treasury values its USDC by consensus, never by
assumption), and the scenario driver writes their peg on every step unless a step names them."""

FEED_PRICES_USD: dict[str, Decimal] = {**PRICES_USD, **PEGGED_USD}
"""Every feed symbol (aggregator + MockPyth) and its starting price."""

FEED_DECIMALS = 8
FEED_MAX_AGE = 3600
"""MockPyth's valid period and the StakeBasket PriceFeed's max age per source, seconds."""
PYTH_EXPO = -8
PYTH_CONF_BPS = 5

PSTR_SUPPLY = 10_000_000
TREASURY_PUMP = 45_000_000
TREASURY_USDC = 7_500_000
TREASURY_CORE = 100  # native, for gas: adds $120, so the ratio is 3.000012

# (pool name, (symbol0, amount0), (symbol1, amount1)), in whole tokens at the prices above.
POOLS: list[tuple[str, tuple[str, int], tuple[str, int]]] = [
    ("PSTR-PUMP", ("PSTR", 1_000_000), ("PUMP", 2_000_000)),
    ("PSTR-USDC", ("PSTR", 1_000_000), ("USDC", 1_000_000)),
    ("PUMP-WCORE", ("PUMP", 2_400_000), ("WCORE", 1_000_000)),
    ("WCORE-USDC", ("WCORE", 1_000_000), ("USDC", 1_200_000)),
    ("WCORE-coreBTC", ("WCORE", 6_500_000), ("coreBTC", 120)),
]
"""WCORE-coreBTC is where the StakeBasket trades one of its assets for the other when its CORE/BTC
split drifts from target (StakeBasket.swapAssets): $7.8M a side, so a rebalance of the devnet
basket's size moves it by well under 1% (the basket bounds each trade within 5% of the oracle)."""

ETF_CORE = 10_000
ETF_CORE_BTC_SATS = 12_307_692
"""The devnet basket's first position, on the StakingManager's 60/40 CORE/BTC asset target:
10,000 CORE x $1.20 = $12,000 and 0.12307692 coreBTC x $65,000 = $7,999.9998. 80% of each is
staked at deploy time."""

# Concentrated-liquidity (Uniswap V3) pools: (name, (symbol0, amount0), (symbol1, amount1), fee in
# millionths), seeded by the deployer from its float as one wide position (devnet/uniswap_v3.py).
V3_POOLS: list[tuple[str, tuple[str, int], tuple[str, int], int]] = [
    ("PSTR-USDC-V3", ("PSTR", 1_000_000), ("USDC", 1_000_000), 3000),
]
TRADER_PSTR = 2_000_000
GOVERNANCE_PSTR = 1_000_000
TRADER_PUMP = 100_000_000
TRADER_USDC = 100_000_000
TRADER_WCORE = 5_000_000

# Real Pyth ids (REFERENCE.md "Pyth") where Pyth has a feed; devnet-only ids for our tokens.
PYTH_IDS: dict[str, str] = {
    "BTC": "0xe62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43",
    "USDC": "0xeaa020c61cc479712813461ce153894a96a6c00b21ed0cfc2798d1f9a9e9c94a",
    "CORE": "0x9b4503710cc8c53f75c30e6e4fda1a7064680ef2e0ee97acd2e3a7c37b3c830c",
}


def usd_units(price: Decimal, decimals: int = FEED_DECIMALS) -> int:
    """A USD price as an integer with `decimals` decimals (aggregator answers, Pyth prices)."""
    return int((price * (Decimal(10) ** decimals)).to_integral_value())


def reserve_ratio(pstr_price: Decimal = PRICES_USD["PSTR"]) -> Decimal:
    """The reserve ratio the deployment starts with at `pstr_price` (3.0 at $1.00)."""
    treasury = TREASURY_PUMP * PRICES_USD["PUMP"] + TREASURY_USDC
    return treasury / (PSTR_SUPPLY * pstr_price)
