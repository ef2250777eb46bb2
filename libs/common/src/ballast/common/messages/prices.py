"""Price facts: one reading per source, the consensus over them, and DEX trades (for VWAP).

Follows the PSTR seed's "Oracle Aggregation System" and oracle_config (max_price_deviation 5%,
confidence_weight 0.3) and REFERENCE.md's incident list (bZx, Compound DAI, Mango, LUNA).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from ballast.common.messages._base import (
    BaseUnits,
    ConsensusStatus,
    Dec,
    Message,
    Symbol,
    TxHash,
    UtcDatetime,
)


class PriceObservation(Message):
    """One reading of one source for one symbol (`prices.observed.<source>.<symbol>`)."""

    source: Symbol = Field(description="pyth, pyth_onchain, switchboard, chainlink, dex_twap, ...")
    symbol: Symbol
    price: Dec = Field(gt=0, description="USD per unit of `symbol`")
    confidence: Dec | None = Field(
        default=None, ge=0, description="absolute confidence interval (same unit as price)"
    )
    published_at: UtcDatetime = Field(description="when the source says the price was made")
    observed_at: UtcDatetime = Field(description="when Ballast read it")
    block_number: int | None = Field(
        default=None, ge=0, description="block the reading came from (on-chain sources)"
    )
    feed_id: str | None = Field(default=None, description="source-specific feed id or address")


class SourceFlag(StrEnum):
    """Why a source was not used, or was used with a warning."""

    STALE = "stale"
    OUT_OF_BOUNDS = "out_of_bounds"
    UNCERTAIN = "uncertain"
    DEVIANT = "deviant"
    DOWN = "down"
    SAME_BLOCK = "same_block"


class SourceReading(Message):
    """A source's part in one consensus."""

    source: Symbol
    price: Dec | None = None
    confidence: Dec | None = None
    published_at: UtcDatetime | None = None
    used: bool
    deviation: Dec | None = Field(
        default=None, description="|price - consensus| / consensus, as a fraction"
    )
    flags: list[SourceFlag] = Field(default_factory=list[SourceFlag])


class ConsensusPrice(Message):
    """The manipulation-resistant consensus for a symbol (`prices.consensus.<symbol>`).

    `price` is None only when HALTED. DEGRADED is still published but must not be acted on.
    """

    symbol: Symbol
    price: Dec | None = Field(default=None, gt=0)
    confidence: Dec | None = Field(default=None, ge=0)
    status: ConsensusStatus
    sources: list[SourceReading]
    sources_used: int = Field(ge=0)
    max_deviation: Dec | None = None
    reasons: list[str] = Field(default_factory=list[str])
    computed_at: UtcDatetime
    sequence: int = Field(default=0, ge=0, description="monotonic per symbol and producer")
    emergency_source: str = Field(
        default="", max_length=64,
        description="the emergency source this round had to consult because the quorum "
        "failed; empty when none was",
    )


class TradeSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


class Trade(Message):
    """A confirmed DEX swap (`trades.<venue>.<pair>`): one per (tx_hash, log_index)."""

    venue: Symbol
    pair: Symbol = Field(description="BASE-QUOTE, e.g. PSTR-USDC")
    base_symbol: Symbol
    quote_symbol: Symbol
    side: TradeSide
    price: Dec = Field(gt=0, description="quote per base")
    base_volume: Dec = Field(ge=0)
    quote_volume: Dec = Field(ge=0)
    base_amount_raw: BaseUnits = 0
    quote_amount_raw: BaseUnits = 0
    tx_hash: TxHash
    log_index: int = Field(ge=0)
    block_number: int = Field(ge=0)
    block_hash: str
    timestamp: UtcDatetime
