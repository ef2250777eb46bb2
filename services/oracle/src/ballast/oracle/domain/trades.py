"""Uniswap V2 Swap events as trades, and which logs are deep enough to publish.

Why: the treasury's VWAP (PSTR seed, "Intervention Engine": 85% of the 30-day VWAP) needs real
trades: price, base and quote volume. Each trade is published once, after a configured number of
confirmations, and a reorg that replaces blocks we already scanned is detected by block hash
(REFERENCE.md "Uniswap V2" events; "never trust one block").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ballast.common.messages import TradeSide


@dataclass(frozen=True)
class SwapAmounts:
    """`Swap(sender, amount0In, amount1In, amount0Out, amount1Out, to)` in raw units."""

    amount0_in: int
    amount1_in: int
    amount0_out: int
    amount1_out: int


@dataclass(frozen=True)
class TradeFigures:
    side: TradeSide
    price: Decimal  # quote per base, whole tokens
    base_volume: Decimal
    quote_volume: Decimal
    base_raw: int
    quote_raw: int


def swap_to_trade(
    swap: SwapAmounts, *, decimals0: int, decimals1: int, token0_is_base: bool = True
) -> TradeFigures | None:
    """Net amounts of one swap as a trade; None when no base changed hands.

    Selling base into the pool (base in, quote out) is a SELL; the price is the swap's
    effective quote per base (fees included, which is what the trader paid).
    """
    if token0_is_base:
        base_in, base_out, quote_in, quote_out = (
            swap.amount0_in, swap.amount0_out, swap.amount1_in, swap.amount1_out)
        base_dec, quote_dec = decimals0, decimals1
    else:
        base_in, base_out, quote_in, quote_out = (
            swap.amount1_in, swap.amount1_out, swap.amount0_in, swap.amount0_out)
        base_dec, quote_dec = decimals1, decimals0
    base_net = base_in - base_out
    quote_net = quote_out - quote_in
    if base_net == 0 or quote_net == 0 or (base_net > 0) != (quote_net > 0):
        return None
    base_raw, quote_raw = abs(base_net), abs(quote_net)
    base_volume = Decimal(base_raw).scaleb(-base_dec)
    quote_volume = Decimal(quote_raw).scaleb(-quote_dec)
    return TradeFigures(
        side=TradeSide.SELL if base_net > 0 else TradeSide.BUY,
        price=quote_volume / base_volume,
        base_volume=base_volume,
        quote_volume=quote_volume,
        base_raw=base_raw,
        quote_raw=quote_raw,
    )


def confirmed_range(scanned_to: int, head: int, confirmations: int) -> tuple[int, int] | None:
    """Blocks to scan now: after the last scanned block, up to `head - confirmations`."""
    last_safe = head - confirmations
    if last_safe <= scanned_to:
        return None
    return scanned_to + 1, last_safe


def fork_point(
    remembered: Sequence[tuple[int, str]], canonical: Mapping[int, str]
) -> int | None:
    """The newest remembered block whose hash is still canonical; None if none is.

    `remembered` is (number, hash) of blocks we scanned, oldest first; `canonical` maps the same
    numbers to the chain's current hashes. If the newest one matches, there was no reorg.
    """
    for number, block_hash in reversed(remembered):
        if canonical.get(number) == block_hash:
            return number
    return None
