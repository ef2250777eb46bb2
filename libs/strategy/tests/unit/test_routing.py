"""The accumulation's router path through a deployment's pools (the devnet has no USDC/PUMP)."""

from __future__ import annotations

from ballast.strategy.routing import route

DEVNET = [("PSTR", "PUMP"), ("PSTR", "USDC"), ("WCORE", "PUMP"), ("USDC", "WCORE")]


def test_route__direct_pool__two_hops_never_taken() -> None:
    assert route([("USDC", "PUMP"), ("USDC", "WCORE"), ("WCORE", "PUMP")], "USDC", "PUMP") == [
        "USDC", "PUMP"]


def test_route__devnet_pools__first_shared_token() -> None:
    assert route(DEVNET, "USDC", "PUMP") == ["USDC", "PSTR", "PUMP"]


def test_route__devnet_pools_avoiding_pstr__through_wcore() -> None:
    assert route(DEVNET, "USDC", "PUMP", avoid=["PSTR"]) == ["USDC", "WCORE", "PUMP"]


def test_route__addresses_in_any_case__original_spelling_kept() -> None:
    assert route([("0xAA", "0xbb"), ("0xBB", "0xcc")], "0xaa", "0xCC") == ["0xaa", "0xbb", "0xCC"]


def test_route__no_path_within_two_pools__none() -> None:
    assert route([("A", "B"), ("C", "D")], "A", "D") is None
