"""deployment.json is a contract with every service: its keys must not drift by accident."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from ballast.common.deployment import (
    CoreSystemInfo,
    EtfInfo,
    FeedInfo,
    GovernanceInfo,
    PoolInfo,
    TokenInfo,
    UniswapInfo,
    ValidatorInfo,
)
from ballast.devnet import Deployment, load
from ballast.devnet.oracle import oracle_config
from ballast.devnet.prices import PRICES_USD, reserve_ratio

A = "0x" + "11" * 20


def sample() -> Deployment:
    return Deployment(
        chain_id=31337, block=80, deployer=A, treasury=A, trader=A,
        tokens={"PSTR": TokenInfo(address=A, decimals=18),
                "USDC": TokenInfo(address=A, decimals=6)},
        uniswap=UniswapInfo(factory=A, router=A, weth=A),
        pools={"PSTR-USDC": PoolInfo(pair=A, token0=A, token1=A)},
        feeds={"PSTR": FeedInfo(aggregator=A, pyth_id="0x" + "22" * 32, decimals=8)},
        pyth=A,
        etf=EtfInfo(stake_basket=A, token=A, staking_manager=A, price_feed=A, unbonding_queue=A,
                    core_agent=A, lstbtc=A, corebtc=A),
        core_system=CoreSystemInfo(validator_set=A, candidate_hub=A, slash_indicator=A,
                                   stake_hub=A, core_agent=A),
        validators=[ValidatorInfo(operator=A, consensus=A, fee=A, commission_thousandths=50)],
        governance=GovernanceInfo(token=A, governor=A, timelock=A),
        multicall3=A,
        reference_prices=dict(PRICES_USD),
        code_check="0x" + "33" * 32,
    )


def test_deployment__dumped__has_exactly_the_documented_keys() -> None:
    doc = json.loads(sample().model_dump_json())
    assert set(doc) == {
        "schema_version", "chain_id", "block", "first_block", "deployer", "treasury", "trader",
        "tokens", "uniswap", "pools", "feeds", "pyth", "etf", "core_system", "validators",
        "governance", "multicall3", "reference_prices", "code_check", "uniswap_v3", "custody",
        "guardian",
    }
    assert doc["schema_version"] == 1
    assert set(doc["uniswap"]) == {"factory", "router", "weth", "fee_bps"}
    assert set(doc["pools"]["PSTR-USDC"]) == {"pair", "token0", "token1"}
    assert set(doc["feeds"]["PSTR"]) == {"aggregator", "pyth_id", "decimals", "pyth_expo"}
    assert set(doc["etf"]) == {"stake_basket", "token", "staking_manager", "price_feed",
                               "unbonding_queue", "core_agent", "lstbtc", "corebtc"}
    assert set(doc["governance"]) == {"token", "governor", "timelock", "parameters"}


def test_deployment__save_then_load__equal_and_prices_exact(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "deployment.json"
    sample().save(path)
    loaded = load(path)
    assert loaded == sample()
    assert loaded.reference_prices["BTC"] == Decimal("65000")
    assert not list(path.parent.glob(".*.tmp"))


def test_deployment__unknown_key__rejected(tmp_path: Path) -> None:
    doc = json.loads(sample().model_dump_json())
    doc["surprise"] = 1
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="surprise"):
        load(path)


def test_contract_addresses__sample__names_every_contract_group() -> None:
    names = set(sample().contract_addresses())
    assert {"tokens.PSTR", "uniswap.router", "pools.PSTR-USDC", "feeds.PSTR", "pyth",
            "etf.stake_basket", "core_system.candidate_hub", "governance.governor",
            "multicall3"} <= names


def test_reserve_ratio__reference_market__3_and_4_6_after_a_35pct_crash() -> None:
    assert reserve_ratio() == 3
    assert round(reserve_ratio(PRICES_USD["PSTR"] * Decimal("0.65")), 2) == Decimal("4.62")


def test_oracle_config__sample__valid_oracle_settings_with_three_sources_for_pstr() -> None:
    from ballast.oracle.settings import SymbolSettings  # noqa: PLC0415 - another package

    config = oracle_config(sample(), "http://127.0.0.1:8545")
    pstr = SymbolSettings.model_validate(config["symbols"]["PSTR"])
    assert [s.kind for s in pstr.sources] == ["chainlink", "pyth_onchain", "uniswap_v2"]
    assert pstr.min_sources == 2
