"""Fixtures of the intervention tests: a migrated database and its repository.

The servers come from the ballast.testing plugin (`database_url`, `anvil`, `nats_server`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from eth_account import Account

from ballast.common import subjects
from ballast.common.db import load_migrations, migrate
from ballast.common.deployment import Deployment
from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    ConsensusStatus,
    ExecutionMode,
    Holding,
    InputStatus,
    InterventionDecision,
    Message,
    SafetyMode,
    StateStatus,
    TreasuryState,
)
from ballast.devnet.deployer import deploy
from ballast.devstack.anvil import Anvil, anvil_binary, run_anvil
from ballast.intervention.adapters.chain import Chain
from ballast.intervention.adapters.repository import Repository
from ballast.intervention.adapters.signer import LocalSigner
from ballast.intervention.app import Decider
from ballast.intervention.building import ExecConfig
from ballast.intervention.executor import Executor
from ballast.strategy.decision import History, evaluate
from ballast.strategy.policy import Policy
from ballast.testing.crashing import crash_hook, no_crash
from ballast.testing.devnet import reverted
from ballast.testing.dex import Dex, deploy_dex

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
    """A treasury state on which every rule passes: tier 2 (price 0.78 vs VWAP 1.00).

    Capacity min(PUMP $100, $3M - 1.5 x $1M) = $100; the state's own capacity field says so.
    """
    fields: dict[str, Any] = {
        "computed_at": computed_at,
        "status": StateStatus.OK,
        "holdings": [
            # $100 of PUMP binds the capacity: tier 2 swaps 25% of it, $25 = 50 PUMP
            Holding(
                symbol="PUMP",
                amount_raw=200 * 10**18,
                decimals=18,
                amount=Decimal(200),
                price_usd=Decimal("0.50"),
                value_usd=Decimal(100),
            ),
            # what the hourly accumulation pays with, at its consensus price
            Holding(
                symbol="USDC",
                amount_raw=10**12,
                decimals=6,
                amount=Decimal(10**6),
                price_usd=Decimal(1),
                value_usd=Decimal(10**6),
            ),
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


# ------------------------------------------------------------------------------ chain
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def chain_node(tmp_path_factory: pytest.TempPathFactory) -> Generator[Anvil]:
    """This suite's own anvil (not the session's shared one): its snapshots are ours alone."""
    with run_anvil(tmp_path_factory.mktemp("intervention-anvil"), binary=anvil_binary(REPO)) as n:
        yield n


@pytest.fixture(scope="session")
def devnet_session(chain_node: Anvil, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """The whole devnet (`ballast deploy devnet`) on this suite's anvil, once."""
    return deploy(chain_node.rpc_url, tmp_path_factory.mktemp("devnet") / "deployment.json")


@pytest.fixture
def devnet(devnet_session: Deployment, chain_node: Anvil) -> Generator[Deployment]:
    """The devnet, with every chain change of the test reverted afterwards."""
    with reverted(chain_node):
        yield devnet_session


@pytest.fixture(scope="session")
def dex_session(chain_node: Anvil) -> Dex:
    return deploy_dex(chain_node)


@pytest.fixture
def dex(dex_session: Dex) -> Generator[Dex]:
    """The deployed DEX, with every chain change of the test reverted afterwards."""
    snapshot = dex_session.node.snapshot()
    yield dex_session
    dex_session.node.rpc("evm_setAutomine", True)
    dex_session.node.revert(snapshot)


# ------------------------------------------------------------------------------ executor
@dataclass
class Published:
    subject: str
    payload: Message
    msg_id: str | None


class Recorder:
    """A publisher that keeps what it was given (the bus itself is tested in ballast.common)."""

    def __init__(self) -> None:
        self.sent: list[Published] = []

    async def __call__(self, payload: Message, subject: str, *, msg_id: str | None = None) -> None:
        self.sent.append(Published(subject, payload, msg_id))

    def on(self, subject: str) -> list[Message]:
        return [p.payload for p in self.sent if p.subject == subject]


def keystore_signer(
    tmp: Path, private_key: str, password: str = "correct horse"  # noqa: S107
) -> LocalSigner:
    keystore, password_file = tmp / "keystore.json", tmp / "password"
    keystore.write_text(json.dumps(Account.encrypt(private_key, password, iterations=2)))
    password_file.write_text(password + "\n")
    return LocalSigner.from_keystore(keystore, password_file)


@dataclass
class Harness:
    """A repository, a chain client, a signer and an executor over one test database and DEX."""

    repo: Repository
    dex: Dex
    chain: Chain
    signer: LocalSigner
    published: Recorder
    config: ExecConfig

    def executor(self, *, live: bool = True, crash: Callable[[str], None] | None = None,
                 metrics: Any = None, **overrides: Any) -> Executor:
        config = replace(self.config, **overrides)
        return Executor(self.repo, self.chain, self.signer if live else None, self.published,
                        config, crash=crash or no_crash, metrics=metrics)

    def state(self, now: datetime, **overrides: Any) -> TreasuryState:
        return acting_state(now, **overrides)

    def decider(self, now: datetime, mode: ExecutionMode = ExecutionMode.LIVE) -> Decider:
        """The service's Decider on this record and publisher, its clock stopped at `now`."""
        return Decider(self.repo, Policy(), mode, self.published, clock=lambda: now)

    def automation_actions(self, kind: AutomationKind | None = None) -> list[AutomationAction]:
        """The automation.executed messages published so far (of `kind`, if given)."""
        return [m for m in self.published.on(subjects.AUTOMATION_EXECUTED)
                if isinstance(m, AutomationAction) and kind in (None, m.kind)]

    async def decide(self, now: datetime, mode: ExecutionMode = ExecutionMode.LIVE,
                     **state: Any) -> InterventionDecision:
        treasury_state = acting_state(now, **state)

        def run(history: History, paused: bool) -> InterventionDecision:
            return evaluate(treasury_state, Policy(), history, now=now, paused=paused, mode=mode)

        decision, _ = await self.repo.decide("pstr", now, run)
        return decision

    async def settle(self, executor: Executor | None = None, passes: int = 6) -> None:
        """Run the executor until nothing is open (or `passes` runs)."""
        executor = executor or self.executor()
        for _ in range(passes):
            await executor.run_once()
            if not await self.repo.open_executions():
                return
            await asyncio.sleep(0.02)  # as the service's tick: let anvil mine what it accepted


@pytest_asyncio.fixture(loop_scope="session")
async def harness(repo: Repository, dex: Dex, tmp_path: Path) -> AsyncGenerator[Harness]:
    chain = Chain(dex.node.rpc_url)
    # decisions in these tests are dated in March 2026 while the executor runs on the wall
    # clock: no expiry here (it has its own tests)
    config = ExecConfig(router=dex.router, pump=dex.pump, pstr=dex.pstr,
                        accumulate_token=dex.usdc, confirmations=1, decision_ttl=None)
    yield Harness(repo, dex, chain, keystore_signer(tmp_path, dex.treasury_key), Recorder(),
                  config)
    await chain.close()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def executor_life(database_url: str) -> Callable[..., Any]:
    """One process's executor passes until nothing is open (or it is killed at `crash_at`):
    0 when done, 3 when passes ran out. Forked by the crash tests, so its own pool and chain."""

    async def life(h: Any, crash_at: str | None, config: Any = None, passes: int = 60) -> int:
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
        chain = Chain(h.dex.node.rpc_url)
        try:
            repo = Repository(pool)
            executor = Executor(repo, chain, h.signer, h.published, config or h.config,
                                crash=crash_hook(crash_at))
            for _ in range(passes):
                await executor.run_once()
                if not await repo.open_executions():
                    return 0
                await asyncio.sleep(0.02)
            return 3
        finally:
            await chain.close()
            await pool.close()

    return life
