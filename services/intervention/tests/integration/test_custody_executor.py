"""The executor under custody on anvil (issue 21): the devnet deployed with a Safe (`ballast deploy
devnet --safe`), the service configured from its deployment.json. A live intervention goes
through the Roles modifier and the Safe receives the PSTR; a PUMP transfer to the bot that
reaches the send path is refused before anything is signed, and the same call sent by the bot's
key reverts on chain; an intervention above the role's daily allowance becomes one Safe proposal
and sends nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
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
    ExecutionMode,
    ExecutionStatus,
    InterventionExecuted,
    Message,
    TreasuryState,
)
from ballast.common.proposals.store import ProposalStore, apply_migrations
from ballast.devnet import Deployment, deploy
from ballast.devnet.bot_role import PUMP_PER_DAY
from ballast.devnet.chain import Sender, connect, contract
from ballast.devnet.custody import OWNER_KEYS, SafeOwners
from ballast.devnet.deployer import DEPLOYER_KEY, TREASURY_KEY
from ballast.devstack.anvil import Anvil
from ballast.intervention.adapters.chain import Chain
from ballast.intervention.adapters.repository import Record, Repository
from ballast.intervention.adapters.signer import LocalSigner
from ballast.intervention.building import Builder, TxPlan
from ballast.intervention.custody import explain, with_role
from ballast.intervention.domain.execution import Phase
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
    def bot(self) -> str:
        return self.signer.address

    def token(self, symbol: str) -> Contract:
        return contract(self.w3, load_artifact("TestToken"), self.d.tokens[symbol].address)

    def roles(self) -> Contract:
        assert self.d.custody is not None
        return contract(self.w3, load_artifact("Roles"), self.d.custody.roles)

    def bot_nonce(self) -> int:
        return self.w3.eth.get_transaction_count(Web3.to_checksum_address(self.bot), "pending")

    async def decide(self) -> str:
        state = self.make_state(NOW)

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

    def outcome(self) -> InterventionExecuted:
        (m,) = self.published
        assert isinstance(m, InterventionExecuted)
        return m


@pytest_asyncio.fixture(loop_scope="session")
async def world(safe_devnet: tuple[Deployment, Path], chain_node: Anvil, pool: asyncpg.Pool,
                repo: Repository, make_state: Callable[..., TreasuryState], tmp_path: Path
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
        chain = Chain(chain_node.rpc_url)
        signer = LocalSigner(Account.from_key(TREASURY_KEY))
        published: list[Message] = []

        async def publish(payload: Message, subject: str, *, msg_id: str | None = None) -> None:
            if subject == subjects.INTERVENTION_EXECUTED:
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


async def test_custody__live_intervention__through_the_modifier_and_the_safe_gets_the_pstr(
    world: World,
) -> None:
    w = world
    pump, pstr = w.token("PUMP"), w.token("PSTR")
    pump_before, pstr_before = (t.functions.balanceOf(w.safe).call() for t in (pump, pstr))
    allowance_before = w.roles().functions.allowances(PUMP_PER_DAY).call()[3]
    decision_id = await w.decide()
    await w.settle()
    outcome = w.outcome()
    assert outcome.status is ExecutionStatus.CONFIRMED, outcome.reason
    assert outcome.amount_in_raw == 50 * 10**18
    assert pump.functions.balanceOf(w.safe).call() == pump_before - outcome.amount_in_raw
    received = pstr.functions.balanceOf(w.safe).call() - pstr_before
    assert received == outcome.amount_out_raw > 0  # measured at the Safe, not the bot
    assert pstr.functions.balanceOf(w.bot).call() == 0
    assert outcome.tx_hash is not None
    tx = w.w3.eth.get_transaction(outcome.tx_hash)  # type: ignore[arg-type]
    assert (tx["from"], tx["to"]) == (Web3.to_checksum_address(w.bot), w.roles().address)
    # the swap spent the role's daily PUMP allowance on chain (the approval went first, too)
    spent = allowance_before - w.roles().functions.allowances(PUMP_PER_DAY).call()[3]
    assert spent == outcome.amount_in_raw
    assert (await w.repo.load(decision_id)).execution.phase is Phase.CONFIRMED


class CraftedBuilder(Builder):
    """A builder gone wrong: the intervention's call is a PUMP transfer to the bot's key."""

    bot = ""

    async def plan(self, record: Record, account: str) -> TxPlan:
        data = self.chain.w3.eth.contract(abi=load_artifact("TestToken").abi).encode_abi(
            "transfer", [Web3.to_checksum_address(self.bot), 10**18])
        return TxPlan(self.config.pump, bytes.fromhex(data[2:]))


async def test_custody__pump_transfer_to_the_bot__refused_before_sending_and_reverts_on_chain(
    world: World,
) -> None:
    w = world
    approve_router(w)
    crafted = CraftedBuilder(w.chain, w.executor.config)
    crafted.bot = w.bot
    w.executor.builder = crafted
    nonce_before = w.bot_nonce()
    decision_id = await w.decide()
    await w.settle()
    outcome = w.outcome()
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.reason == ("refused: outside the bot's role: function 0xa9059cbb on "
                              f"{w.d.tokens['PUMP'].address} is not allowed")  # transfer
    record = await w.repo.load(decision_id)
    assert record.execution.phase is Phase.FAILED and not record.execution.attempts
    assert w.bot_nonce() == nonce_before  # nothing signed, no nonce spent
    # the same call, sent by the bot's key through the modifier: the chain reverts it
    pump = w.token("PUMP")
    held = pump.functions.balanceOf(w.safe).call()
    plan = await crafted.plan(record, w.safe)
    assert through_role(w, plan.to, plan.data)["status"] == 0
    assert pump.functions.balanceOf(w.bot).call() == 0
    assert pump.functions.balanceOf(w.safe).call() == held


async def test_custody__above_the_daily_allowance__one_safe_proposal_nothing_sent(
    world: World, pool: asyncpg.Pool,
) -> None:
    w = world
    approve_router(w)
    set_pump_allowance(w, 10 * 10**18)  # the tier-2 decision sells 50
    nonce_before = w.bot_nonce()
    pstr = w.token("PSTR")
    pstr_before = pstr.functions.balanceOf(w.safe).call()
    decision_id = await w.decide()
    await w.settle()
    outcome = w.outcome()
    assert outcome.status is ExecutionStatus.FAILED and outcome.reason is not None
    assert outcome.reason.startswith("proposed to the Safe: ")
    assert w.bot_nonce() == nonce_before  # nothing sent by the bot
    assert pstr.functions.balanceOf(w.safe).call() == pstr_before
    (proposal,) = await ProposalStore(pool).list()
    m = proposal.message
    assert m.decision_id == decision_id and m.proposal_id in outcome.reason
    assert (m.safe, m.to, m.value) == (w.safe, w.d.uniswap.router, 0)
    router = contract(w.w3, load_artifact("UniswapV2Router02"), w.d.uniswap.router)
    fn, args = router.decode_function_input(proposal.call.data)
    assert fn.fn_name == "swapExactTokensForTokens"
    assert args["amountIn"] == 50 * 10**18 and args["to"] == w.safe
    assert args["path"] == [w.d.tokens["PUMP"].address, w.d.tokens["PSTR"].address]
    # a second pass of the executor proposes nothing more
    await w.settle()
    assert len(await ProposalStore(pool).list()) == 1
    # the chain would have refused it: its revert, as the executor reports one
    assert w.executor.config.custody is not None
    wrapped = with_role(w.executor.config.custody, TxPlan(m.to, proposal.call.data))
    with pytest.raises(Exception) as refused:  # noqa: PT011 - web3's error class varies
        await w.chain.estimate_gas(w.bot, wrapped.to, wrapped.data)
    assert explain(refused.value) == ("ConditionViolation(status 17, pump-sold-per-day) from "
                                      "the Roles modifier")  # Status.AllowanceExceeded
    unsent = await pool.fetchval("SELECT count(*) FROM safe_proposals_outbox WHERE sent_at IS NULL")
    assert unsent == 1  # for the service's relay (no publisher here)


async def test_custody__allowance_gone_after_signing__condition_violation_failed_not_retried(
    world: World,
) -> None:
    """The owners take the allowance away between the executor's check and the mining: the
    modifier reverts the swap, which ends FAILED with the decoded violation, never resent."""
    w = world
    approve_router(w)
    fired: list[str] = []

    def take_it_away(point: str) -> None:
        if point == "after_sign_persist" and not fired:
            fired.append(point)
            set_pump_allowance(w, 0)

    w.executor = replace(w.executor, crash=take_it_away)
    nonce_before = w.bot_nonce()
    decision_id = await w.decide()
    await w.settle()
    outcome = w.outcome()
    assert fired and outcome.status is ExecutionStatus.FAILED
    assert outcome.reason == ("reverted: ConditionViolation(status 17, pump-sold-per-day) from "
                              "the Roles modifier")
    record = await w.repo.load(decision_id)
    assert len(record.execution.attempts) == 1 and w.bot_nonce() == nonce_before + 1
    await w.settle()
    assert len(w.published) == 1 and (await w.repo.load(decision_id)).execution.phase is (
        Phase.FAILED)
