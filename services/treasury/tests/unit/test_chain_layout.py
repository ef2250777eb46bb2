"""deployment.json -> the addresses the chain reader uses (the devnet deployer's shape)."""

from __future__ import annotations

import json
from pathlib import Path

from ballast.treasury.adapters.chain import ChainLayout

A = {s: "0x" + c * 40 for s, c in (("PSTR", "1"), ("PUMP", "2"), ("USDC", "3"), ("WCORE", "4"))}


def test_from_deployment__devnet_shape__tokens_pools_and_treasury(tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps({
        "treasury": "0x" + "9" * 40,
        "tokens": {s: {"address": a, "decimals": 6 if s == "USDC" else 18} for s, a in A.items()}
        | {"lstBTC": {"address": "0x" + "5" * 40, "decimals": 8}},
        # token0/token1 are addresses in the pair's order, not the name's
        "pools": {"PUMP-WCORE": {"pair": "0x" + "a" * 40, "token0": A["WCORE"],
                                 "token1": A["PUMP"]}},
    }))
    layout = ChainLayout.from_deployment(path, symbols=("PSTR", "PUMP", "USDC", "WCORE"))
    assert layout.treasury == "0x" + "9" * 40
    assert [t.symbol for t in layout.tokens] == ["PSTR", "PUMP", "USDC", "WCORE"]
    (pool,) = layout.pools
    assert (pool.name, pool.token0.symbol, pool.token1.symbol) == ("PUMP-WCORE", "WCORE", "PUMP")
    assert layout.pstr.decimals == 18


def test_from_deployment__treasury_override__used(tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps({"treasury": "0x" + "9" * 40, "tokens": {
        "PSTR": {"address": A["PSTR"], "decimals": 18}}, "pools": {}}))
    layout = ChainLayout.from_deployment(path, treasury="0x" + "8" * 40)
    assert layout.treasury == "0x" + "8" * 40 and layout.pools == ()


def test_from_deployment__custody__the_safe_is_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    custody = {name: "0x" + c * 40 for name, c in (
        ("safe", "5"), ("roles", "6"), ("bot", "9"), ("safe_singleton", "7"),
        ("safe_proxy_factory", "8"), ("fallback_handler", "a"))}
    path.write_text(json.dumps({"treasury": "0x" + "9" * 40, "tokens": {
        "PSTR": {"address": A["PSTR"], "decimals": 18}}, "pools": {},
        "custody": custody | {"owners": ["0x" + "b" * 40], "threshold": 1, "role": "bot"}}))
    assert ChainLayout.from_deployment(path).treasury == "0x" + "5" * 40
    # an explicit treasury address still wins
    assert ChainLayout.from_deployment(path, treasury=A["PUMP"]).treasury == A["PUMP"]


def test_from_deployment__v3_pool_named__read_with_its_manager_and_tokens(tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    v3_pool = {"pool": "0x" + "c" * 40, "token0": A["PSTR"], "token1": A["USDC"], "fee": 3000,
               "tick_spacing": 60}
    path.write_text(json.dumps({
        "treasury": "0x" + "9" * 40,
        "tokens": {s: {"address": a, "decimals": 6 if s == "USDC" else 18} for s, a in A.items()},
        "pools": {},
        "uniswap_v3": {"factory": "0x" + "d" * 40, "position_manager": "0x" + "e" * 40,
                       "router": "0x" + "f" * 40, "pools": {"PSTR-USDC-V3": v3_pool}},
    }))
    assert ChainLayout.from_deployment(path).concentrated == ()  # not named: not read
    layout = ChainLayout.from_deployment(path, concentrated=("PUMP-WCORE", "PSTR-USDC-V3"))
    (v3,) = layout.concentrated
    assert (v3.name, v3.pool, v3.manager, v3.fee) == (
        "PSTR-USDC-V3", "0x" + "c" * 40, "0x" + "e" * 40, 3000)
    assert (v3.symbol0, v3.decimals0, v3.symbol1, v3.decimals1) == ("PSTR", 18, "USDC", 6)
