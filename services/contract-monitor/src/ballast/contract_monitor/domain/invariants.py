"""The StakeBasket invariants the monitor publishes as facts (issue #8), over raw reads.

All four are checked on the integers the contracts use (18-decimal USD, token base units), so a
failure is never an artefact of float rounding. `tolerance` is relative (a fraction of AUM or
NAV); on top of it each check allows the few wei the contract's own rounding can leave.

- `aum_parts`: AUM equals the sum of its parts (staked CORE, lstBTC, rewards, liquidity) minus
  the queued-withdrawal liability, and each part equals raw amount x price as we recompute it.
- `supply_nav`: BASKET supply x NAV per share equals AUM. NAV is priced against the virtual
  position of StakeBasket (1e9 virtual shares backed by 1e9 USD-wei), so supply x NAV differs
  from AUM by at most about NAV x 1e9 wei: that much is allowed.
- `nav_monotonic`: NAV per share does not fall except through a loss event. Prices move NAV
  in USD every block, so the check holds prices still: it values the current holdings at the
  previous reading's prices and compares with the previous holdings at the same prices.
  Deposits, withdrawals and claims (priced at NAV, rounded for the vault), rebalances and
  compounds can only keep or raise that; a fall means value left the basket, and is a failure
  unless a loss event (the configured event names) happened between the two reads.
- `queue_covered`: the unpaid queued withdrawals of each asset are covered by the basket's
  holdings of that asset (liquidity here plus stake that can be recalled, rewards included).
"""

from __future__ import annotations

from decimal import Decimal

from ballast.common.messages import InvariantCheck
from ballast.contract_monitor.domain.model import EtfReading

E18 = 10**18
CORE_UNIT = 10**18
BTC_UNIT = 10**8
VIRTUAL = 10**9  # StakeBasket.VIRTUAL_SHARES == VIRTUAL_ASSETS
ROUNDING_WEI = 16  # a few mulDiv floors per figure


def _allowed(reference: int, tolerance: Decimal) -> int:
    return int(abs(Decimal(reference)) * tolerance) + ROUNDING_WEI


def holdings_usd(r: EtfReading, core_price: int, btc_price: int) -> int:
    """Net holdings of the basket valued at the given prices (18-decimal USD)."""
    core = r.staked_core_raw + r.pending_rewards_raw + r.basket_core_raw - r.queued_core_raw
    btc = r.lstbtc_raw + r.basket_corebtc_raw - r.queued_btc_raw
    return core * core_price // CORE_UNIT + btc * btc_price // BTC_UNIT


def nav_at(r: EtfReading, core_price: int, btc_price: int) -> int:
    """NAV per share (18 decimals) of `r`'s holdings at the given prices, as StakeBasket._nav."""
    aum = max(holdings_usd(r, core_price, btc_price), 0)
    return (aum + VIRTUAL) * E18 // (r.supply + VIRTUAL)


def aum_parts(r: EtfReading, tolerance: Decimal) -> InvariantCheck:
    parts = r.core_staked_usd + r.lstbtc_usd + r.rewards_usd + r.liquidity_usd
    expected_total = max(parts - r.queued_liability_usd, 0)
    recomputed = {
        "core_staked": (r.core_staked_usd, r.staked_core_raw * r.core_price // CORE_UNIT),
        "lstbtc": (r.lstbtc_usd, r.lstbtc_raw * r.btc_price // BTC_UNIT),
        "rewards": (r.rewards_usd, r.pending_rewards_raw * r.core_price // CORE_UNIT),
        "liquidity": (
            r.liquidity_usd,
            r.basket_core_raw * r.core_price // CORE_UNIT
            + r.basket_corebtc_raw * r.btc_price // BTC_UNIT,
        ),
    }
    problems: list[str] = []
    if abs(expected_total - r.total_usd) > _allowed(r.total_usd, tolerance):
        problems.append(f"total {r.total_usd} != parts - liability {expected_total}")
    for name, (reported, ours) in recomputed.items():
        if abs(reported - ours) > _allowed(reported, tolerance):
            problems.append(f"{name} {reported} != amount x price {ours}")
    return InvariantCheck(name="aum_parts", ok=not problems, detail="; ".join(problems))


def supply_nav(r: EtfReading, tolerance: Decimal) -> InvariantCheck:
    implied = r.supply * r.nav_per_share // E18
    slack = _allowed(r.total_usd, tolerance) + VIRTUAL * max(r.nav_per_share, E18) // E18
    ok = abs(implied - r.total_usd) <= slack
    detail = "" if ok else f"supply x NAV {implied} != AUM {r.total_usd} (allowed {slack})"
    return InvariantCheck(name="supply_nav", ok=ok, detail=detail)


def nav_monotonic(
    r: EtfReading, previous: EtfReading | None, tolerance: Decimal, losses: list[str]
) -> InvariantCheck:
    if previous is None:
        return InvariantCheck(name="nav_monotonic", ok=True, detail="first reading")
    before = nav_at(previous, previous.core_price, previous.btc_price)
    now = nav_at(r, previous.core_price, previous.btc_price)
    if now + _allowed(before, tolerance) >= before:
        return InvariantCheck(name="nav_monotonic", ok=True)
    drop = f"NAV at fixed prices fell {before} -> {now} (blocks {previous.block_number}-" \
           f"{r.block_number})"
    if losses:
        return InvariantCheck(
            name="nav_monotonic", ok=True, detail=f"{drop}, explained by {', '.join(losses)}"
        )
    return InvariantCheck(name="nav_monotonic", ok=False, detail=drop + " with no loss event")


def queue_covered(r: EtfReading) -> InvariantCheck:
    core_held = r.basket_core_raw + r.staked_core_raw + r.pending_rewards_raw
    btc_held = r.basket_corebtc_raw + r.lstbtc_raw
    problems: list[str] = []
    if r.queued_core_raw > core_held:
        problems.append(f"CORE queued {r.queued_core_raw} > held {core_held}")
    if r.queued_btc_raw > btc_held:
        problems.append(f"coreBTC queued {r.queued_btc_raw} > held {btc_held}")
    return InvariantCheck(name="queue_covered", ok=not problems, detail="; ".join(problems))


def check_all(
    r: EtfReading, previous: EtfReading | None, tolerance: Decimal, losses: list[str]
) -> list[InvariantCheck]:
    return [
        nav_monotonic(r, previous, tolerance, losses),
        aum_parts(r, tolerance),
        supply_nav(r, tolerance),
        queue_covered(r),
    ]
