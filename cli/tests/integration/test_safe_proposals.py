"""Safe transaction proposals on anvil, Postgres and NATS (issue 21, acceptance bullet 2): a
PUMP->PSTR swap above the bot's daily allowance becomes a proposal, two owners sign it with
`ballast safe sign` and their keystores, `ballast safe execute` runs it once; a third signature,
a second execute and a replay of the signed transaction change nothing; a non-owner's signature
is refused. The hash the owners sign is the Safe contract's own `getTransactionHash`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from eth_account import Account
from prometheus_client import CollectorRegistry
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError

from ballast.common.bus import Bus, BusConfig
from ballast.common.deployment import CustodyInfo
from ballast.common.evm.artifacts import load_artifact
from ballast.common.evm.provider import connect as connect_async
from ballast.common.evm.safe_tx import DELEGATE_CALL, SafeCall, pack, sign
from ballast.common.messages import SafeProposal
from ballast.common.proposals import store as proposals
from ballast.common.proposals.chain import SafeOnChain
from ballast.common.proposals.store import Proposal, ProposalStore, apply_migrations
from ballast.common.subjects import CUSTODY_PROPOSALS, Namespace
from ballast.devnet import Deployment, deploy
from ballast.devnet.chain import Sender, connect, contract
from ballast.devnet.custody import OWNER_KEYS, SafeOwners
from ballast.devnet.deployer import TREASURY_KEY
from ballast.strategy.params import StrategyParams
from ballast.testing.chain import Anvil
from ballast.testing.devnet import reverted
from ballast.testing.subscribing import subscribed
from ballast.testing.waiting import eventually

PASSWORD = "correct horse battery staple"
DEADLINE = 2**40
GAS = 1_500_000


@pytest.fixture(scope="module")
def deployed(anvil: Anvil, tmp_path_factory: pytest.TempPathFactory
             ) -> Generator[tuple[Deployment, Path]]:
    out = tmp_path_factory.mktemp("safe") / "deployment.json"
    with reverted(anvil):
        d = deploy(anvil.rpc_url, out, custody=StrategyParams())
        assert d.custody is not None
        w3 = connect(anvil.rpc_url)
        # the Safe lets the router take its PUMP (a call the bot's role allows)
        pump = contract(w3, load_artifact("TestToken"), d.tokens["PUMP"].address)
        approve = bytes.fromhex(pump.encode_abi("approve", [d.uniswap.router, 2**256 - 1])[2:])
        roles = contract(w3, load_artifact("Roles"), d.custody.roles)
        bot = Sender(w3, TREASURY_KEY)
        bot.call(roles, "execTransactionWithRole", pump.address, 0, approve, 0,
                 d.custody.role.encode().ljust(32, b"\0"), True)
        bot.settle()
        yield d, out


@dataclass
class World:
    d: Deployment
    deployment_file: Path
    custody: CustodyInfo
    w3: Web3
    rpc_url: str
    database_url: str
    store: ProposalStore
    chain: SafeOnChain
    received: list[SafeProposal]
    keystores: dict[str, Path]  # name -> keystore file (owner0..2, outsider)
    password_file: Path

    def token(self, symbol: str) -> Contract:
        return contract(self.w3, load_artifact("TestToken"), self.d.tokens[symbol].address)

    def safe(self) -> Contract:
        return contract(self.w3, load_artifact("SafeL2"), self.custody.safe)

    def balances(self) -> tuple[int, int]:
        return tuple(self.token(s).functions.balanceOf(self.custody.safe).call()  # type: ignore[return-value]
                     for s in ("PUMP", "PSTR"))

    def ballast(self, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
        extra = ["--keystore", str(self.keystores[key]), "--password-file",
                 str(self.password_file)] if key else []
        return subprocess.run(
            [sys.executable, "-m", "ballast.cli.main", "safe", *args, *extra,
             "--database-url", self.database_url, "--rpc-url", self.rpc_url],
            capture_output=True, text=True, timeout=120, check=False, env=dict(os.environ))

    async def propose_swap(self, amount: int) -> Proposal:
        router = contract(self.w3, load_artifact("UniswapV2Router02"), self.d.uniswap.router)
        path = [self.d.tokens["PUMP"].address, self.d.tokens["PSTR"].address]
        quoted = router.functions.getAmountsOut(amount, path).call()[-1]
        data = router.encode_abi("swapExactTokensForTokens",
                                 [amount, quoted * 98 // 100, path, self.custody.safe, DEADLINE])
        return await self.store.propose(self.chain, to=router.address, value=0,
                                        data=bytes.fromhex(data[2:]), reason="tier-3 above "
                                        "the bot's allowance", decision_id="decision-1",
                                        proposed_by="intervention")


@pytest.fixture
async def world(deployed: tuple[Deployment, Path], anvil: Anvil, database_url: str,
                nats_server: Any, bus_namespace: str, tmp_path: Path) -> AsyncIterator[World]:
    d, deployment_file = deployed
    assert d.custody is not None
    keystores: dict[str, Path] = {}
    outsider = Account.create().key
    for name, key in (*((f"owner{i}", k) for i, k in enumerate(OWNER_KEYS)),
                      ("outsider", outsider)):
        keystores[name] = tmp_path / f"{name}.json"
        keystores[name].write_text(json.dumps(
            Account.encrypt(key, PASSWORD, kdf="pbkdf2", iterations=2048)))
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    bus = Bus(BusConfig(service="test", nats_url=nats_server.url,
                        namespace=Namespace(bus_namespace)), registry=CollectorRegistry())
    await bus.start()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    await apply_migrations(pool)
    received: list[SafeProposal] = []

    async def on_msg(msg: Any) -> None:
        received.append(SafeProposal.model_validate_json(msg.data))

    with reverted(anvil):
        async with subscribed(nats_server.url, [bus.ns.subject(CUSTODY_PROPOSALS)], on_msg):
            yield World(d, deployment_file, d.custody, connect(anvil.rpc_url), anvil.rpc_url,
                        database_url, ProposalStore(pool, bus),
                        SafeOnChain(connect_async(anvil.rpc_url), d.custody.safe),
                        received, keystores, password_file)
    await pool.close()
    await bus.stop()


def allowance_left(w: World) -> int:
    roles = contract(w.w3, load_artifact("Roles"), w.custody.roles)
    return int(roles.functions.allowances(b"pump-sold-per-day".ljust(32, b"\0")).call()[3])


async def test_proposal__two_owners_sign_with_the_cli__executes_once_and_the_safe_swaps(
    world: World,
) -> None:
    w = world
    amount = allowance_left(w) + 10**18  # above what the bot may sell today
    pump_before, pstr_before = w.balances()
    proposal = await w.propose_swap(amount)
    await eventually(lambda: len(w.received) >= 1)
    assert w.received[0].proposal_id == proposal.message.proposal_id
    assert w.received[0].status == "pending" and w.received[0].threshold == 2
    pid = proposal.message.proposal_id
    on_chain = w.safe().functions.getTransactionHash(
        *proposal.call.exec_args(b"")[:-1], proposal.call.nonce).call()
    assert bytes(on_chain) == proposal.call.hash
    assert proposal.message.safe_tx_hash == "0x" + bytes(on_chain).hex()

    first = w.ballast("sign", pid, key="owner0")
    assert first.returncode == 0, first.stderr[-2000:]
    assert "signature added: 1/2" in first.stdout
    assert PASSWORD not in first.stdout + first.stderr
    listed = w.ballast("list")
    assert f"proposal {pid}  [pending]  1/2 signatures" in listed.stdout, listed.stdout
    early = w.ballast("execute", pid, key="owner2")
    assert early.returncode == 1 and "1 owner signature(s) of the 2" in early.stderr
    assert w.balances() == (pump_before, pstr_before)

    second = w.ballast("sign", pid, key="owner1")
    assert "signature added: 2/2" in second.stdout, second.stderr[-2000:]
    nonce = w.safe().functions.nonce().call()
    executed = w.ballast("execute", pid, key="owner2")
    assert executed.returncode == 0, executed.stderr[-2000:]
    assert "executed: executed in 0x" in executed.stdout
    pump_after, pstr_after = w.balances()
    assert pump_after == pump_before - amount and pstr_after > pstr_before
    assert w.safe().functions.nonce().call() == nonce + 1
    row = await w.store.get(pid)
    assert row.message.status == "executed" and row.message.exec_tx_hash is not None

    third = w.ballast("sign", pid, key="owner2")  # enough signatures, and executed: no change
    assert third.returncode == 0 and "signature closed: 2/2" in third.stdout, third.stderr
    again = w.ballast("execute", pid, key="owner2")
    assert again.returncode == 0 and "nothing sent: the proposal is executed" in again.stdout
    assert (await w.store.get(pid)).message == row.message
    assert w.balances() == (pump_after, pstr_after)
    assert w.safe().functions.nonce().call() == nonce + 1
    assert "no pending proposals" in w.ballast("list").stdout

    # the same signed transaction sent again: the Safe's nonce moved, its signatures no longer
    # recover to owners, and it reverts on chain
    signatures = pack(row.signatures)
    with pytest.raises(ContractLogicError, match="GS026"):
        w.safe().functions.execTransaction(*proposal.call.exec_args(signatures)).call()
    replay = Sender(w.w3, OWNER_KEYS[2])
    replay.call(w.safe(), "execTransaction", *proposal.call.exec_args(signatures), gas=GAS)
    assert replay.settle(strict=False)[-1]["status"] == 0
    assert w.balances() == (pump_after, pstr_after)

    # the CLI's changes went to the outbox; its relay publishes them
    assert await w.store.outbox.relay(w.store.db) == 3  # two signatures and the execution
    await eventually(lambda: len(w.received) >= 4)
    assert [m.status for m in w.received] == ["pending", "pending", "pending", "executed"]
    assert w.received[-1].signers == row.message.signers


async def test_sign__a_non_owner_keystore__refused_and_nothing_stored(world: World) -> None:
    proposal = await world.propose_swap(10**18)
    pid = proposal.message.proposal_id
    result = world.ballast("sign", pid, key="outsider")
    assert result.returncode == 1
    assert "is not an owner of Safe" in result.stderr and "refused" in result.stderr
    assert (await world.store.get(pid)).signatures == {}
    wrong = world.ballast("sign", pid, "--keystore", str(world.keystores["owner0"]),
                          "--password-file", str(world.keystores["owner1"]))
    assert wrong.returncode == 1 and "wrong password or not a keystore" in wrong.stderr
    assert (await world.store.get(pid)).signatures == {}


async def test_execute__sent_outside_the_store__recorded_from_the_safe_not_sent_again(
    world: World,
) -> None:
    """A crash after sending and before the row was written: the next execute finds the Safe's
    ExecutionSuccess for the hash and records it; nothing is sent twice."""
    w = world
    proposal = await w.propose_swap(10**18)
    pid = proposal.message.proposal_id
    for key in OWNER_KEYS[:2]:
        await w.store.sign(w.chain, pid, sign(proposal.call, key))
    full = await w.store.get(pid)
    sender = Sender(w.w3, OWNER_KEYS[2])
    sender.call(w.safe(), "execTransaction", *proposal.call.exec_args(pack(full.signatures)))
    receipt = sender.settle()[-1]
    balances = w.balances()
    sent, after = await w.store.execute(w.chain, pid, OWNER_KEYS[2])
    assert not sent and after.message.status == "executed"
    assert after.message.exec_tx_hash == "0x" + bytes(receipt["transactionHash"]).hex()
    assert w.balances() == balances


async def test_hash__value_and_delegatecall__equal_the_safe_getTransactionHash(
    world: World,
) -> None:
    safe = world.safe()
    for nonce, value, data, op in ((0, 0, b"", 0), (7, 10**18, b"\x12" * 70, DELEGATE_CALL)):
        call = SafeCall(safe=safe.address, chain_id=world.w3.eth.chain_id, nonce=nonce,
                        to=world.d.tokens["PSTR"].address, value=value, data=data, operation=op)
        args = call.exec_args(b"")[:-1]
        assert bytes(safe.functions.getTransactionHash(*args, nonce).call()) == call.hash
        assert await world.chain.transaction_hash(call) == call.hash


async def test_cli_propose__then_a_later_nonce_waits__and_a_nonce_taken_by_another_tx_is_stale(
    world: World,
) -> None:
    w = world
    pstr = w.token("PSTR")
    data = pstr.encode_abi("approve", [w.d.uniswap.router, 1])
    proposed = w.ballast("propose", "--to", pstr.address, "--data", data, "--reason", "test",
                         "--deployment", str(w.deployment_file))
    assert proposed.returncode == 0, proposed.stderr[-2000:]
    nonce = w.safe().functions.nonce().call()
    first = (await w.store.list())[0]
    assert first.message.nonce == nonce and "[pending]  0/2 signatures" in proposed.stdout
    assert first.message.reason == "test" and first.message.proposed_by.startswith("cli:")
    second = await w.propose_swap(10**18)
    assert second.message.nonce == nonce + 1  # the next free nonce, after the pending one
    for key in OWNER_KEYS[:2]:
        await w.store.sign(w.chain, second.message.proposal_id, sign(second.call, key))
    with pytest.raises(proposals.ProposalError, match=f"before nonce {nonce + 1} run first"):
        await w.store.execute(w.chain, second.message.proposal_id, OWNER_KEYS[2])

    # the owners spend nonce `nonce` on something else: the first proposal can never run
    owners = SafeOwners(w.w3, w.safe(), OWNER_KEYS, Sender(w.w3, OWNER_KEYS[2]))
    owners.execute(pstr.address, bytes.fromhex(pstr.encode_abi("approve", [w.custody.bot, 0])[2:]))
    owners.sender.pipe.wait()  # mined (the Sender pipelines its sends): the nonce has moved
    sent, stale = await w.store.execute(w.chain, first.message.proposal_id, OWNER_KEYS[2])
    assert not sent and stale.message.status == "stale" and stale.message.exec_tx_hash is None
    # two executors at once: one sends, the other finds it executed
    results = await asyncio.gather(
        *(w.store.execute(w.chain, second.message.proposal_id, OWNER_KEYS[2]) for _ in "ab"))
    assert sorted(sent for sent, _ in results) == [False, True]
    assert {p.message.status for _, p in results} == {"executed"}
    assert w.safe().functions.nonce().call() == nonce + 2
