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
from eth_utils.crypto import keccak
from web3 import Web3

from ballast.common.db import load_migrations, migrate
from ballast.common.messages import (
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
from ballast.intervention.adapters.chain import Chain
from ballast.intervention.adapters.repository import Repository
from ballast.intervention.adapters.signer import LocalSigner
from ballast.intervention.building import ExecConfig
from ballast.intervention.executor import Executor
from ballast.strategy.decision import History, evaluate
from ballast.strategy.policy import Policy
from ballast.testing.crashing import no_crash

try:  # the anvil helpers are moving from ballast.testing to ballast.devstack
    from ballast.devstack.anvil import Anvil, anvil_binary, run_anvil
except ImportError:  # pragma: no cover - before the move lands
    from ballast.testing.chain import (  # type: ignore[no-redef]
        Anvil,
        anvil_binary,
        run_anvil,
    )

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
ARTIFACTS = REPO / "contracts" / "artifacts"
NPM_BUILDS = {
    "UniswapV2Factory": "@uniswap/v2-core/build/UniswapV2Factory.json",
    "UniswapV2Pair": "@uniswap/v2-core/build/UniswapV2Pair.json",
    "UniswapV2Router02": "@uniswap/v2-periphery/build/UniswapV2Router02.json",
    "WETH9": "@uniswap/v2-periphery/build/WETH9.json",
}
SWAP_TOPIC = "0x" + keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)").hex()


def artifact(name: str) -> dict[str, Any]:
    """contracts/artifacts/[uniswap/]<name>.json; the Uniswap ones fall back to the npm build
    that the compile script copies them from."""
    for path in (ARTIFACTS / "uniswap" / f"{name}.json", ARTIFACTS / f"{name}.json"):
        if path.exists():
            data = json.loads(path.read_text())
            return {"abi": data["abi"], "bytecode": data["bytecode"]}
    build = json.loads((REPO / "contracts" / "node_modules" / NPM_BUILDS[name]).read_text())
    code = build.get("evm", {}).get("bytecode", {}).get("object") or build["bytecode"]
    return {"abi": build["abi"], "bytecode": code if code.startswith("0x") else "0x" + code}


@dataclass
class Dex:
    """Uniswap V2 (the real factory, pair and router) with a PUMP/PSTR pool on anvil."""

    node: Anvil
    w3: Web3
    router: str
    factory: str
    pair: str
    pump: str
    pstr: str
    usdc: str
    deployer: str
    treasury: str
    treasury_key: str
    trader: str

    def contract(self, name: str, address: str) -> Any:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address),
                                    abi=artifact(name)["abi"])

    def transact(self, fn: Any, sender: str) -> Any:
        tx_hash = fn.transact({"from": Web3.to_checksum_address(sender)})
        return self.w3.eth.wait_for_transaction_receipt(tx_hash)

    def swaps(self, from_block: int = 0) -> list[Any]:
        """Swap events of the PUMP/PSTR pair."""
        return list(self.w3.eth.get_logs({
            "address": Web3.to_checksum_address(self.pair),
            "topics": [SWAP_TOPIC],
            "fromBlock": from_block,
            "toBlock": "latest",
        }))

    def nonce(self, account: str) -> int:
        return int(self.w3.eth.get_transaction_count(Web3.to_checksum_address(account)))

    def move_price(self, pump_in: int) -> None:
        """A trader sells PUMP into the pool: PSTR out per PUMP drops."""
        router = self.contract("UniswapV2Router02", self.router)
        deadline = self.node.timestamp() + 3600
        self.transact(router.functions.swapExactTokensForTokens(
            pump_in, 0, [self.pump, self.pstr], self.trader, deadline
        ), self.trader)


def deploy_dex(node: Anvil) -> Dex:
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    deployer, treasury, trader = (Web3.to_checksum_address(a) for a in node.accounts[:3])

    def deploy(name: str, *args: Any) -> str:
        spec = artifact(name)
        factory = w3.eth.contract(abi=spec["abi"], bytecode=spec["bytecode"])
        tx_hash = factory.constructor(*args).transact({"from": deployer})
        return str(w3.eth.wait_for_transaction_receipt(tx_hash)["contractAddress"])

    weth = deploy("WETH9")
    factory = deploy("UniswapV2Factory", deployer)
    router = deploy("UniswapV2Router02", factory, weth)
    pump = deploy("TestToken", "Pump", "PUMP", 18)
    pstr = deploy("TestToken", "Pstr", "PSTR", 18)
    usdc = deploy("TestToken", "USD Coin", "USDC", 6)
    dex = Dex(node, w3, router, factory, "", pump, pstr, usdc, deployer, treasury,
              node.private_keys[1], trader)
    big = 10**30
    for token in (pump, pstr, usdc):
        contract = dex.contract("TestToken", token)
        for holder in (deployer, treasury, trader):
            dex.transact(contract.functions.mint(holder, big), deployer)
        for holder in (deployer, trader):
            dex.transact(contract.functions.approve(router, 2**256 - 1), holder)
    r = dex.contract("UniswapV2Router02", router)
    deadline = node.timestamp() + 10**6
    # 10M PUMP : 5M PSTR (0.5 PSTR per PUMP); 1M USDC : 2M PUMP
    dex.transact(r.functions.addLiquidity(pump, pstr, 10**25, 5 * 10**24, 0, 0, deployer,
                                          deadline), deployer)
    dex.transact(r.functions.addLiquidity(usdc, pump, 10**12, 2 * 10**24, 0, 0, deployer,
                                          deadline), deployer)
    f = dex.contract("UniswapV2Factory", factory)
    dex.pair = str(f.functions.getPair(pump, pstr).call())
    return dex


@pytest.fixture(scope="session")
def chain_node(tmp_path_factory: pytest.TempPathFactory) -> Generator[Anvil]:
    """This suite's own anvil (not the session's shared one): its snapshots are ours alone."""
    with run_anvil(tmp_path_factory.mktemp("intervention-anvil"), binary=anvil_binary(REPO)) as n:
        yield n


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
