"""Shared building blocks of every bus message.

Rules (DESIGN.md "The bus"): amounts are Decimal or integer base units, never float; times are
timezone-aware UTC; every message carries `schema_version`. Unknown fields are ignored so producers
can add fields without breaking consumers; a missing or invalid field rejects the message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

SCHEMA_VERSION = 1


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-23:59 is past the calendar in UTC
        raise ValueError("the instant is outside the years 1 to 9999 in UTC") from None


def _reject_float(value: Any) -> Any:
    """A float cannot carry money exactly: producers send strings or integers."""
    if isinstance(value, float):
        raise ValueError("amounts are decimal strings or integers, never float")
    return value


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware instant, normalised to UTC."""

Dec = Annotated[
    Decimal,
    BeforeValidator(_reject_float),
    Field(allow_inf_nan=False),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
]
"""An exact decimal (USD values, prices, ratios). Serialised as a plain decimal string."""

BaseUnits = Annotated[int, Field(ge=0)]
"""A non-negative token amount in the token's smallest unit (wei, satoshi-like units...)."""

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]
TxHash = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")]
Symbol = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")]
"""A subject-safe token: no dots, spaces or wildcards, so it can be a subject segment."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    """Base of every bus payload."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    schema_version: int = Field(default=SCHEMA_VERSION, ge=1)


class ConsensusStatus(StrEnum):
    """Quality of a consensus price. Only OK may be acted on."""

    OK = "OK"
    DEGRADED = "DEGRADED"
    HALTED = "HALTED"


class ExecutionStatus(StrEnum):
    CONFIRMED = "confirmed"
    FAILED = "failed"
    DRY_RUN = "dry_run"
