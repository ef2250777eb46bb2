"""The devnet deployed with a Safe (`ballast deploy devnet --safe`) and an executor configured
from its deployment.json, as the service configures itself (issue 21 "Custody"): the tests of
this folder drive it (`world`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from eth_account import Account
from web3 import Web3
from web3.contract import Contract

from ballast.common import subjects
from ballast.common.evm.artifacts import load_artifact
from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    AutomationRequest,
    ExecutionMode,
    InterventionExecuted,
    Message,
    TreasuryState,
)
from ballast.common.proposals.store import apply_migrations
from ballast.devnet import Deployment, deploy
from ballast.devnet.bot_role import PUMP_PER_DAY
from ballast.devnet.chain import Sender, connect, contract
from ballast.devnet.custody import OWNER_KEYS, SafeOwners
from ballast.devnet.deployer import DEPLOYER_KEY, TREASURY_KEY
from ballast.devstack.anvil import Anvil
from ballast.intervention.adapters.chain import Chain
from ballast.intervention.adapters.repository import Repository
from ballast.intervention.adapters.signer import LocalSigner
from ballast.intervention.domain.record import ExecKind
from ballast.intervention.executor import Executor
from ballast.intervention.settings import InterventionSettings
from ballast.strategy.decision import History, evaluate
from ballast.strategy.params import StrategyParams
from ballast.strategy.policy import Policy
from ballast.testing.devnet import reverted

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
GAS = 1_000_000  # explicit: a call the modifier reverts is mined, not refused by an estimate


@pytest.fixture(scope="module")
def safe_devnet(chain_node: Anvil, tmp_path_factory: pytest.TempPathFactory
                ) -> Generator[tuple[Deployment, Path]]:
    out = tmp_path_factory.mktemp("custody-devnet") / "deployment.json"
    with reverted(chain_node):
        yield deploy(chain_node.rpc_url, out, custody=StrategyParams()), out


@dataclass
class World:
    d: Deployment
    w3: Web3
    repo: Repository
    chain: Chain
    signer: LocalSigner
    executor: Executor
    published: list[Message]
    make_state: Callable[..., TreasuryState]

    @property
    def safe(self) -> str:
        assert self.d.custody is not None
        return self.d.custody.safe

    @property
    def bot(self) -> str:  # the intervention key: no owner of the Safe, a member of the role
        return self.signer.address

    def token(self, symbol: str) -> Contract:
        return contract(self.w3, load_artifact("TestToken"), self.d.tokens[symbol].address)

    def roles(self) -> Contract:
        assert self.d.custody is not None
        return contract(self.w3, load_artifact("Roles"), self.d.custody.roles)

    def bot_nonce(self) -> int:
        return self.w3.eth.get_transaction_count(Web3.to_checksum_address(self.bot), "pending")

    async def decide(self, **state_fields: Any) -> str:
        """Decide on the acting state (tier 2), with `state_fields` replaced (another tier)."""
        state = self.make_state(NOW, **state_fields)

        def run(history: History, paused: bool) -> Any:
            return evaluate(state, Policy(), history, now=NOW, paused=paused,
                            mode=ExecutionMode.LIVE)

        decision, _ = await self.repo.decide("pstr", NOW, run)
        return decision.decision_id

    async def settle(self, passes: int = 8) -> None:
        for _ in range(passes):
            await self.executor.run_once()
            if not await self.repo.open_executions():
                return
            await asyncio.sleep(0.05)

    def through_role(self, target: str, data: bytes) -> dict[str, Any]:
        return through_role(self, target, data)

    def approve_router(self) -> None:
        approve_router(self)

    def set_pump_allowance(self, amount: int) -> None:
        set_pump_allowance(self, amount)

    async def automate(self, kind: AutomationKind, request_id: str, *, amount_in_raw: int = 0,
                       amount_usd: Decimal = Decimal(0), details: dict[str, str] | None = None
                       ) -> AutomationAction:
        """A request of `kind` recorded (id `<kind>-<request_id>`, as the decider's) and driven to
        its end: its one published outcome."""
        request = AutomationRequest(request_id=request_id, kind=kind, amount_usd=amount_usd,
                                    reason="test", requested_at=NOW, details=details or {})
        created, _ = await self.repo.create_automation(
            f"{kind}-{request_id}", ExecKind(kind), mode=ExecutionMode.LIVE, now=NOW,
            amount_usd=amount_usd, amount_in_raw=amount_in_raw, payload=request)
        assert created
        await self.settle(passes=20)
        (done,) = [m for m in self.published if isinstance(m, AutomationAction) and m.kind is kind]
        return done

    def outcome(self) -> InterventionExecuted:
        (m,) = self.published
        assert isinstance(m, InterventionExecuted)
        return m


@pytest_asyncio.fixture(loop_scope="session")
async def world(safe_devnet: tuple[Deployment, Path], chain_node: Anvil, pool: asyncpg.Pool,
                repo: Repository, make_state: Callable[..., TreasuryState]
                ) -> AsyncGenerator[World]:
    d, path = safe_devnet
    with reverted(chain_node):
        await apply_migrations(pool)
        settings = InterventionSettings(
            database_url="postgresql://unused@localhost/unused",  # type: ignore[arg-type]
            deployment_file=path, rpc_url=chain_node.rpc_url)
        config = replace(settings.exec_config(), confirmations=1, decision_ttl=None,
                         decision_fresh=None)
        assert config.custody is not None and config.owner == config.custody.safe
        chain, signer = Chain(chain_node.rpc_url), LocalSigner(Account.from_key(TREASURY_KEY))
        published: list[Message] = []

        async def publish(payload: Message, subject: str, *, msg_id: str | None = None) -> None:
            if subject in (subjects.INTERVENTION_EXECUTED, subjects.AUTOMATION_EXECUTED):
                published.append(payload)

        executor = Executor(repo, chain, signer, publish, config)
        yield World(d, connect(chain_node.rpc_url), repo, chain, signer, executor, published,
                    make_state)
        await chain.close()


def through_role(w: World, target: str, data: bytes) -> dict[str, Any]:
    """The bot's key sending `data` to `target` through the modifier itself."""
    assert w.d.custody is not None
    bot = Sender(w.w3, TREASURY_KEY)
    bot.call(w.roles(), "execTransactionWithRole", Web3.to_checksum_address(target), 0, data, 0,
             w.d.custody.role.encode().ljust(32, b"\0"), True, gas=GAS)
    return bot.settle(strict=False)[-1]


def approve_router(w: World) -> None:
    """The Safe lets the router take its PUMP (the approval the executor would send first)."""
    pump = w.token("PUMP")
    data = bytes.fromhex(pump.encode_abi("approve", [w.d.uniswap.router, 2**256 - 1])[2:])
    assert through_role(w, pump.address, data)["status"] == 1


def set_pump_allowance(w: World, amount: int) -> None:
    """The Safe's owners set the bot's daily PUMP allowance (refill and ceiling) to `amount`."""
    assert w.d.custody is not None
    owners = SafeOwners(w.w3, contract(w.w3, load_artifact("SafeL2"), w.safe), OWNER_KEYS,
                        Sender(w.w3, DEPLOYER_KEY))
    owners.execute(w.d.custody.roles, bytes.fromhex(w.roles().encode_abi(
        "setAllowance", [PUMP_PER_DAY, amount, amount, amount, 86_400, 0])[2:]))
    owners.sender.settle()
