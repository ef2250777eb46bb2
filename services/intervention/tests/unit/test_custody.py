"""Custody's pure parts: the settings that switch it on, the allowance refill rule, the call the
bot sends to the Roles modifier, and the decoded ConditionViolation."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from eth_abi.abi import encode
from hexbytes import HexBytes
from web3 import Web3

from ballast.common.evm.abi import function
from ballast.common.evm.artifacts import load_artifact
from ballast.common.evm.multisend import Inner, unpack
from ballast.intervention.building import TxPlan
from ballast.intervention.custody import batched, with_role
from ballast.intervention.domain.custody import (
    CONDITION_VIOLATION,
    AllowanceState,
    CustodyConfig,
    accrued,
    explain,
)
from ballast.intervention.settings import InterventionSettings

DB = "postgresql://u:p@localhost/db"
SAFE, ROLES, TARGET = (Web3.to_checksum_address(f"0x{c * 40}") for c in "abc")
DAY = 86_400


def deployment(tmp_path: Path, **more: object) -> Path:
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps({
        "uniswap": {"router": f"0x{'1' * 40}"}, "treasury": f"0x{'2' * 40}",
        "tokens": {s: {"address": f"0x{str(i) * 40}", "decimals": 18}
                   for i, s in ((3, "PUMP"), (4, "PSTR"))},
        **more}))
    return path


def test_settings__deployment_with_custody__the_safe_holds_and_the_modifier_sends(
    tmp_path: Path,
) -> None:
    custody = {"safe": SAFE, "roles": ROLES, "role": "ballast-bot", "owners": [],
               "threshold": 2, "bot": f"0x{'2' * 40}", "safe_singleton": TARGET,
               "safe_proxy_factory": TARGET, "fallback_handler": TARGET}
    s = InterventionSettings(database_url=DB,  # type: ignore[arg-type]
                             deployment_file=deployment(tmp_path, custody=custody))
    config = s.exec_config()
    assert config.custody == CustodyConfig(SAFE, ROLES, "ballast-bot")
    assert config.owner == SAFE  # a dry run reads the Safe's balances


def test_settings__deployment_without_custody__the_treasury_account_as_today(
    tmp_path: Path,
) -> None:
    s = InterventionSettings(database_url=DB,  # type: ignore[arg-type]
                             deployment_file=deployment(tmp_path))
    config = s.exec_config()
    assert config.custody is None and config.owner == f"0x{'2' * 40}"


def test_settings__custody_half_given__refused() -> None:
    with pytest.raises(ValueError, match="CUSTODY_ROLES_ADDRESS"):
        InterventionSettings(database_url=DB,  # type: ignore[arg-type]
                             custody_safe_address=SAFE)


def test_accrued__refills_whole_days_up_to_the_ceiling() -> None:
    a = AllowanceState(refill=100, max_refill=100, period=DAY, balance=30, timestamp=10 * DAY)
    assert accrued(a, 10 * DAY + DAY - 1) == 30  # the same day: what is left
    assert accrued(a, 11 * DAY) == 100  # a day later: full, never above the ceiling
    set_at_zero = AllowanceState(100, 100, DAY, 100, 0)  # as the deployer sets it
    assert accrued(set_at_zero, 20 * DAY) == 100
    assert accrued(AllowanceState(10, 100, DAY, 30, 0), 2 * DAY) == 50
    assert accrued(AllowanceState(10, 100, 0, 30, 0), 9 * DAY) == 30  # no period: no refill


def test_with_role__the_modifiers_own_encoding() -> None:
    plan = TxPlan(TARGET, b"\x12\x34\x56\x78" + bytes(32), min_out=7)
    wrapped = with_role(CustodyConfig(SAFE, ROLES, "ballast-bot"), plan)
    roles = Web3().eth.contract(abi=load_artifact("Roles").abi)
    expected = roles.encode_abi("execTransactionWithRole", [
        TARGET, 0, plan.data, 0, b"ballast-bot".ljust(32, b"\0"), True])
    assert (wrapped.to, "0x" + wrapped.data.hex(), wrapped.min_out) == (ROLES, expected, 7)


def test_explain__condition_violation__status_and_key() -> None:
    data = "0x" + (CONDITION_VIOLATION + encode(
        ["uint8", "bytes32"], [17, b"pump-sold-per-day".ljust(32, b"\0")])).hex()
    text = explain(RuntimeError(f"execution reverted: custom error {data}"))
    assert text == "ConditionViolation(status 17, pump-sold-per-day) from the Roles modifier"
    assert explain(RuntimeError("execution reverted: EXPIRED")) == "execution reverted: EXPIRED"


def test_explain__or_violation__says_no_branch_holds() -> None:
    data = "0x" + (CONDITION_VIOLATION + encode(["uint8", "bytes32"], [5, bytes(32)])).hex()
    assert explain(f"execution reverted: {data}") == (
        "ConditionViolation(status 5, no branch holds: an allowance spent or a parameter outside "
        "every branch) from the Roles modifier")


def test_service_without_custody__imports_no_safe_client_nor_devnet() -> None:
    """The Safe client (safe_eth, py-evm) and ballast.devnet cost ~1 s of CPU at start: loaded
    always, they made the service's durable consumers late for the treasury's first requests
    in the compressed-day e2e (a request published before a consumer exists is not its)."""
    probe = ("import sys, ballast.intervention.main; print(sorted(m for m in sys.modules if "
             "m.startswith(('safe_eth', 'eth.', 'ballast.devnet', "
             "'ballast.intervention.custody', 'ballast.common.proposals')))[:5])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_batched__a_multicall_becomes_a_multisend_batch_delegate_called() -> None:
    multisend = Web3.to_checksum_address(f"0x{'d' * 40}")
    calls = [b"\x11" * 36, b"\x22" * 68]
    multicall = Web3().eth.contract(abi=[function("multicall", "bytes[] data", "bytes[] r",
                                                  mutable=True)])
    plan = TxPlan(TARGET, bytes(HexBytes(multicall.encode_abi("multicall", [calls]))))
    custody = CustodyConfig(SAFE, ROLES, "ballast-bot", multisend)
    batch = batched(custody, plan)
    assert batch.to == multisend
    assert unpack(batch.data) == [Inner(TARGET, c) for c in calls]
    roles = Web3().eth.contract(abi=load_artifact("Roles").abi)
    fn, args = roles.decode_function_input(with_role(custody, batch).data)
    assert (args["to"], args["operation"]) == (multisend, 1)  # the Safe delegate-calls multiSend
    # no MultiSendCallOnly configured, or no multicall: the plan as it is (a Call)
    assert batched(replace(custody, multisend=None), plan) == plan
    single = TxPlan(TARGET, b"\x12\x34\x56\x78")
    assert batched(custody, single) == single
    assert roles.decode_function_input(with_role(custody, single).data)[1]["operation"] == 0
