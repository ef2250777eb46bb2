from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import HTTPException, Request
from pydantic import SecretStr

from ballast.gateway.api import create_api
from ballast.gateway.api.devnet import devnet, load_chain_config
from ballast.gateway.domain.devnet import ANVIL_CHAIN_ID, DevnetError, chain_config
from ballast.gateway.settings import GatewaySettings

ETF = {"stake_basket": "0x" + "1" * 40, "token": "0x" + "2" * 40,
       "unbonding_queue": "0x" + "3" * 40, "price_feed": "0x" + "4" * 40}


def settings(**kw: object) -> GatewaySettings:
    return GatewaySettings(database_url=SecretStr("postgresql://x@localhost/x"), **kw)  # type: ignore[arg-type]


def test_chain_config__anvil_chain__addresses_and_three_test_accounts() -> None:
    doc = chain_config({"chain_id": ANVIL_CHAIN_ID, "etf": ETF}, "http://127.0.0.1:8545")
    assert doc["stake_basket"] == ETF["stake_basket"] and doc["rpc_url"] == "http://127.0.0.1:8545"
    assert [a["label"] for a in doc["test_accounts"]] == [
        "anvil account 3", "anvil account 4", "anvil account 5"]


def test_chain_config__another_chain__no_test_accounts() -> None:
    assert chain_config({"chain_id": 1116, "etf": ETF}, "https://rpc")["test_accounts"] == []


def test_chain_config__no_etf_section__error_names_it() -> None:
    with pytest.raises(DevnetError, match="etf"):
        chain_config({"chain_id": ANVIL_CHAIN_ID}, "http://x")


async def test_devnet_route__deployment_file__served_without_a_token(tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps({"chain_id": ANVIL_CHAIN_ID, "etf": ETF}))
    s = settings(deployment_file=path, rpc_url="http://127.0.0.1:8545",
                 public_rpc_url="http://devnet.local:8545")
    api = create_api(None, None, s)
    api.state.chain_config = load_chain_config(s)
    answer = await devnet(Request({"type": "http", "app": api}))
    assert answer["rpc_url"] == "http://devnet.local:8545"
    assert answer["unbonding_queue"] == ETF["unbonding_queue"]


async def test_devnet_route__no_deployment_file__404_saying_what_to_set() -> None:
    assert load_chain_config(settings()) is None
    api = create_api(None, None, settings())
    with pytest.raises(HTTPException) as err:
        await devnet(Request({"type": "http", "app": api}))
    assert err.value.status_code == 404 and "DEPLOYMENT_FILE" in str(err.value.detail)


def test_load_chain_config__unreadable_file__error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    path.write_text("{not json")
    with pytest.raises(DevnetError, match="deployment.json"):
        load_chain_config(settings(deployment_file=path, rpc_url="http://x"))
