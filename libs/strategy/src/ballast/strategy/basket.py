"""How much of the StakeBasket to stake, and how much to recall for queued withdrawals
(StakeBasket seed phases 2 and 3; issue #18).

Per asset (CORE, coreBTC), the basket holds `balance`, owes `owed` to queued withdrawals (paid
first: the contract's free liquidity is balance - owed) and has `staked` at the StakingManager
(CORE delegated by validator weight, coreBTC converted to lstBTC).

- Staking keeps an instant-withdrawal buffer: `buffer_share` of the asset's total (free + staked)
  stays liquid in the basket; the free liquidity above it is staked.
- Funding: when the basket holds less than it owes, recall the shortfall plus the buffer (so the
  queue is paid and instant withdrawals work again), as far as the stake allows. A shortfall
  larger than the whole stake cannot be funded by recalling: that request will not be paid in
  time, and is reported as such.

The seed gives no buffer size; INSTANT_BUFFER_SHARE is this project's default (10%), a setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

INSTANT_BUFFER_SHARE = Decimal("0.10")


@dataclass(frozen=True)
class AssetBook:
    """One asset of the basket, in its base units."""

    balance: int
    owed: int
    staked: int

    @property
    def free(self) -> int:
        return max(0, self.balance - self.owed)

    @property
    def shortfall(self) -> int:
        return max(0, self.owed - self.balance)

    def buffer(self, share: Decimal) -> int:
        total = Decimal(self.free + self.staked)
        return int((total * share).to_integral_value(rounding=ROUND_DOWN))


def to_stake(book: AssetBook, buffer_share: Decimal = INSTANT_BUFFER_SHARE) -> int:
    """Free liquidity above the buffer (0 when there is none)."""
    return max(0, book.free - book.buffer(buffer_share))


def to_recall(book: AssetBook, buffer_share: Decimal = INSTANT_BUFFER_SHARE) -> int:
    """The shortfall plus the buffer, capped by the stake; 0 when nothing is owed unfunded."""
    if book.shortfall == 0:
        return 0
    return min(book.staked, book.shortfall + book.buffer(buffer_share))


def unfundable(book: AssetBook) -> int:
    """What recalling the whole stake still leaves unpaid (0 when the queue can be funded)."""
    return max(0, book.shortfall - book.staked)


YEAR_SECONDS = Decimal(365 * 86_400)
MIN_APY_WINDOW_SECONDS = 3600
"""Under an hour of NAV history an annualised figure says nothing: no APY yet."""


def realised_apy(nav_start: Decimal, nav_end: Decimal, seconds: float) -> Decimal | None:
    """The basket's realised APY from NAV growth (StakeBasket seed success metric "APY
    competitive with Core native staking"): (nav_end / nav_start)^(year / elapsed) - 1,
    compounded as the basket compounds its rewards. None without an hour of history."""
    if seconds < MIN_APY_WINDOW_SECONDS or nav_start <= 0 or nav_end <= 0:
        return None
    return (nav_end / nav_start) ** (YEAR_SECONDS / Decimal(str(seconds))) - 1
