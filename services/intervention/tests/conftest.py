"""Fixtures of the intervention tests: a migrated database and its repository.

The servers come from the ballast.testing plugin (`database_url`, `anvil`, `nats_server`).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from ballast.common.db import load_migrations, migrate
from ballast.common.messages import (
    ConsensusStatus,
    Holding,
    InputStatus,
    SafetyMode,
    StateStatus,
    TreasuryState,
)
from ballast.intervention.adapters.repository import Repository

MIGRATIONS = Path(__file__).parents[1] / "src" / "ballast" / "intervention" / "migrations"


async def migrated_pool(database_url: str, max_size: int = 4) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=max_size)
    async with pool.acquire() as conn:
        await migrate(conn, "intervention", load_migrations(MIGRATIONS))
    return pool


@pytest_asyncio.fixture(loop_scope="session")
async def pool(database_url: str) -> AsyncGenerator[asyncpg.Pool]:
    p = await migrated_pool(database_url)
    yield p
    await p.close()


@pytest_asyncio.fixture(loop_scope="session")
async def repo(pool: asyncpg.Pool) -> Repository:
    return Repository(pool)


def acting_state(computed_at: datetime, **overrides: Any) -> TreasuryState:
    """A treasury state on which every rule passes: tier 2 (price 0.78 vs VWAP 1.00)."""
    fields: dict[str, Any] = {
        "computed_at": computed_at,
        "status": StateStatus.OK,
        "holdings": [
            Holding(
                symbol="PUMP",
                amount_raw=10**30,
                decimals=18,
                amount=Decimal(10**12),
                price_usd=Decimal("0.50"),
                value_usd=Decimal(5 * 10**11),
            )
        ],
        "treasury_value_usd": Decimal(3_000_000),
        "pstr_price": Decimal("0.78"),
        "pstr_market_cap_usd": Decimal(1_000_000),
        "reserve_ratio": Decimal(3),
        "daily_budget_usd": Decimal(2465),
        "intervention_capacity_usd": Decimal(100),
        "vwap_30d": Decimal("1.00"),
        "drawdown": Decimal("0.22"),
        "tier": 2,
        "deployment_share": Decimal("0.25"),
        "safety_mode": SafetyMode.NORMAL,
        "pump_concentration": Decimal("0.50"),
        "pump_concentration_limit": Decimal("0.80"),
        "inputs": [InputStatus(symbol="PSTR", status=ConsensusStatus.OK)],
    }
    fields.update(overrides)
    return TreasuryState(**fields)


@pytest.fixture
def make_state() -> Callable[..., TreasuryState]:
    """`acting_state` as a fixture (test modules cannot import conftest in importlib mode)."""
    return acting_state
