"""Issue 21, acceptance 2, from the decision on (the Safe devnet of conftest.py): a tier-3
intervention above the bot's daily PUMP allowance becomes the executor's Safe proposal; two
owners sign it with `ballast safe sign` and their keystores, `ballast safe execute` runs it once
and the Safe makes the decided swap; a third signature, a second execute, another executor pass
and a replay of the signed transaction change nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from eth_account import Account
from web3.exceptions import ContractLogicError

from ballast.common.evm.artifacts import load_artifact
from ballast.common.evm.safe_tx import pack
from ballast.common.messages import ExecutionStatus
from ballast.common.proposals.store import ProposalStore
from ballast.devnet.chain import contract
from ballast.devnet.custody import OWNER_KEYS

PASSWORD = "not a secret: a test keystore"
TIER_3 = {"pstr_price": Decimal("0.65"), "drawdown": Decimal("0.35"), "tier": 3,
          "deployment_share": Decimal("0.40")}
"""PSTR 35% under its VWAP: tier 3 deploys 40% of the $100 capacity, $40 = 80 PUMP at $0.50."""


def owners_cli(tmp_path: Path, database_url: str, rpc_url: str) -> Any:
    """`ballast safe <args>` as owner `i` (0..2) of the devnet Safe, from an encrypted keystore."""
    password = tmp_path / "password"
    password.write_text(PASSWORD + "\n")
    keystores = []
    for i, key in enumerate(OWNER_KEYS):
        keystores.append(tmp_path / f"owner{i}.json")
        keystores[-1].write_text(json.dumps(
            Account.encrypt(key, PASSWORD, kdf="pbkdf2", iterations=2048)))

    def run(*args: str, owner: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ballast.cli.main", "safe", *args,
             "--keystore", str(keystores[owner]), "--password-file", str(password),
             "--database-url", database_url, "--rpc-url", rpc_url],
            capture_output=True, text=True, timeout=120, check=False, env=dict(os.environ))

    return run


async def test_tier3_above_the_allowance__proposed__two_owners_sign__executes_once(
    world: Any, pool: asyncpg.Pool, database_url: str, chain_node: Any, tmp_path: Path,
) -> None:
    w = world
    w.approve_router()
    w.set_pump_allowance(10 * 10**18)  # the bot may sell 10 PUMP today; tier 3 sells 80
    pump, pstr = w.token("PUMP"), w.token("PSTR")
    safe = contract(w.w3, load_artifact("SafeL2"), w.safe)
    pump_before, pstr_before = (t.functions.balanceOf(w.safe).call() for t in (pump, pstr))
    bot_nonce, safe_nonce = w.bot_nonce(), safe.functions.nonce().call()

    decision_id = await w.decide(**TIER_3)
    await w.settle()
    outcome = w.outcome()
    assert outcome.status is ExecutionStatus.FAILED and outcome.reason is not None
    assert outcome.reason.startswith("proposed to the Safe: "), outcome.reason
    assert outcome.tier == 3 and outcome.amount_in_raw == 80 * 10**18
    store = ProposalStore(pool)
    (proposal,) = await store.list()
    pid = proposal.message.proposal_id
    assert proposal.message.decision_id == decision_id and pid in outcome.reason
    assert w.bot_nonce() == bot_nonce  # the bot sent nothing

    cli = owners_cli(tmp_path, database_url, chain_node.rpc_url)
    for owner, shown in ((0, "signature added: 1/2"), (1, "signature added: 2/2")):
        signed = cli("sign", pid, owner=owner)
        assert signed.returncode == 0 and shown in signed.stdout, signed.stderr[-2000:]
        assert f"for decision {decision_id}" in signed.stdout  # what the owner signs, shown
    executed = cli("execute", pid, owner=2)
    assert executed.returncode == 0 and "executed: executed in 0x" in executed.stdout, (
        executed.stderr[-2000:])
    done = await store.get(pid)
    assert done.message.status == "executed" and len(done.message.signers) == 2
    after = (pump.functions.balanceOf(w.safe).call(), pstr.functions.balanceOf(w.safe).call())
    assert after[0] == pump_before - 80 * 10**18  # the decided amount, once
    assert after[1] - pstr_before >= outcome.amount_out_min_raw > 0  # the quoted bound
    assert safe.functions.nonce().call() == safe_nonce + 1

    # nothing more happens: a third owner's signature, a second execute, the executor again
    third = cli("sign", pid, owner=2)
    assert third.returncode == 0 and "signature closed: 2/2" in third.stdout, third.stderr
    second = cli("execute", pid, owner=2)
    assert "nothing sent: the proposal is executed" in second.stdout, second.stderr
    await w.settle()
    assert len(w.published) == 1 and w.bot_nonce() == bot_nonce
    assert (await store.get(pid)).message == done.message
    # the signed Safe transaction replayed: its signatures are for a nonce now used
    with pytest.raises(ContractLogicError, match="GS026"):
        safe.functions.execTransaction(*done.call.exec_args(pack(done.signatures))).call()
    assert (pump.functions.balanceOf(w.safe).call(),
            pstr.functions.balanceOf(w.safe).call()) == after
    assert safe.functions.nonce().call() == safe_nonce + 1
