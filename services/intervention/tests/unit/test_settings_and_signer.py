"""Settings (paper mode by default, live needs a key) and the signer (the key never shows)."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from ballast.common.messages import ExecutionMode
from ballast.common.settings import load_settings
from ballast.intervention.adapters.signer import KeystoreError, LocalSigner
from ballast.intervention.legs_v3 import ConcentratedPool
from ballast.intervention.settings import InterventionSettings

KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil #1, public
ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
DB = "postgresql://u@h/db"


def keystore(tmp_path: Path, password: str = "s3cret") -> tuple[Path, Path]:  # noqa: S107
    path, pw = tmp_path / "key.json", tmp_path / "pw"
    path.write_text(json.dumps(Account.encrypt(KEY, password, iterations=2)))
    pw.write_text(password + "\n")
    return path, pw


def test_settings__defaults__paper_mode_with_seed_values() -> None:
    s = InterventionSettings(database_url=DB)  # type: ignore[arg-type]
    policy = s.policy()
    assert s.mode is ExecutionMode.DRY_RUN
    assert s.exec_config().max_slippage == Decimal("0.02")
    p = policy.params
    assert (p.trigger_threshold, p.cooldown_hours, p.max_daily_interventions) == (
        Decimal("0.85"), Decimal(48), 1
    )
    assert (p.max_deployment, p.min_rr_threshold, p.max_pump_concentration) == (
        Decimal("0.40"), Decimal("1.5"), Decimal("0.80")
    )


def test_load_settings__live_without_key__one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BALLAST_INTERVENTION_DATABASE_URL", DB)
    monkeypatch.setenv("BALLAST_INTERVENTION_MODE", "live")
    with pytest.raises(SystemExit):
        load_settings(InterventionSettings)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "KEYSTORE_PATH" in err


def test_load_settings__live_with_keystore_and_contracts__accepted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path, pw = keystore(tmp_path)
    env = {
        "DATABASE_URL": DB, "MODE": "live", "KEYSTORE_PATH": str(path),
        "KEYSTORE_PASSWORD_FILE": str(pw), "ROUTER_ADDRESS": ADDRESS, "PUMP_ADDRESS": ADDRESS,
        "PSTR_ADDRESS": ADDRESS,
    }
    for key, value in env.items():
        monkeypatch.setenv(f"BALLAST_INTERVENTION_{key}", value)
    s = load_settings(InterventionSettings)
    assert s.mode is ExecutionMode.LIVE and s.exec_config().router == ADDRESS


def test_local_signer__from_keystore__address_only_in_repr(tmp_path: Path) -> None:
    signer = LocalSigner.from_keystore(*keystore(tmp_path))
    assert signer.address == ADDRESS
    text = repr(signer) + str(signer)
    assert KEY[2:] not in text.lower() and ADDRESS in text


def test_local_signer__wrong_password__error_without_key_or_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, pw = keystore(tmp_path)
    pw.write_text("wrong")
    with caplog.at_level(logging.DEBUG), pytest.raises(KeystoreError) as info:
        LocalSigner.from_keystore(path, pw)
    message = str(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is not None
    assert "s3cret" not in message and KEY[2:] not in message.lower()
    assert KEY[2:] not in caplog.text.lower()


async def test_local_signer__sign__raw_and_hash_only(tmp_path: Path) -> None:
    signer = LocalSigner.from_keystore(*keystore(tmp_path))
    signed = await signer.sign({
        "type": 2, "chainId": 31337, "nonce": 0, "to": ADDRESS, "value": 0, "data": b"",
        "gas": 21000, "maxFeePerGas": 10**9, "maxPriorityFeePerGas": 10**9,
    })
    assert signed.tx_hash.startswith("0x") and len(signed.tx_hash) == 66
    assert KEY[2:] not in signed.raw.hex()


def with_deployment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pump: str, pstr: str,
                    usdc: str, router: str, **more: Any) -> None:
    """A deployment file with the router and the three tokens (and `more` keys), as the
    service's DEPLOYMENT_FILE."""
    deployment = tmp_path / "deployment.json"
    deployment.write_text(json.dumps({
        "uniswap": {"router": router},
        "tokens": {"PUMP": {"address": pump, "decimals": 18},
                   "PSTR": {"address": pstr, "decimals": 18},
                   "USDC": {"address": usdc, "decimals": 6}},
        **more,
    }))
    monkeypatch.setenv("BALLAST_INTERVENTION_DATABASE_URL", DB)
    monkeypatch.setenv("BALLAST_INTERVENTION_DEPLOYMENT_FILE", str(deployment))

def test_settings__deployment_file__fills_unset_addresses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pump, pstr, usdc, router, basket = (f"0x{str(i) * 40}" for i in range(1, 6))
    with_deployment(monkeypatch, tmp_path, pump, pstr, usdc, router,
                    etf={"stake_basket": basket})
    monkeypatch.setenv("BALLAST_INTERVENTION_PSTR_ADDRESS", ADDRESS)  # explicit wins
    s = load_settings(InterventionSettings)
    config = s.exec_config()
    assert (config.router, config.pump, config.pstr) == (router, pump, ADDRESS)
    assert (config.accumulate_token, config.basket) == (usdc, basket)
    assert s.accumulate_token_decimals == 6


def test_settings__deployment_file_with_v3__concentrated_pool_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pump, pstr, usdc, router, pool, manager, v3_router = (f"0x{str(i) * 40}" for i in range(1, 8))
    with_deployment(monkeypatch, tmp_path, pump, pstr, usdc, router, uniswap_v3={
        "factory": router, "position_manager": manager, "router": v3_router,
        "pools": {"PSTR-USDC-V3": {"kind": "uniswap_v3", "pool": pool, "token0": pstr,
                                   "token1": usdc, "fee": 3000, "tick_spacing": 60}}})
    config = load_settings(InterventionSettings).exec_config()
    assert config.pools["PSTR-USDC-V3"] == ConcentratedPool(pool, pstr, usdc, 3000, 60, manager,
                                                            v3_router)


def test_settings__deployment_file_missing__one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("BALLAST_INTERVENTION_DATABASE_URL", DB)
    monkeypatch.setenv("BALLAST_INTERVENTION_DEPLOYMENT_FILE", str(tmp_path / "nope.json"))
    with pytest.raises(SystemExit):
        load_settings(InterventionSettings)
    assert "DEPLOYMENT_FILE" in capsys.readouterr().err


def test_settings__operator_identities_from_env__json_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BALLAST_INTERVENTION_DATABASE_URL", DB)
    monkeypatch.setenv("BALLAST_INTERVENTION_OPERATOR_IDENTITIES", '["ops@ballast", "oncall"]')
    assert load_settings(InterventionSettings).operator_identities == ("ops@ballast", "oncall")
