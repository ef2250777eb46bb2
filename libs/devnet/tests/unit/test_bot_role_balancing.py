"""A liquidity action's balancing swap in the bot's role (ballast.devnet.bot_role): the configured
pools' pairs only, either way, to the Safe, amountOut minimum above zero, the token sold within
its daily allowance (the liquidity allocation at the token's price); the V2 one by its own
selector, never the intervention's swap function (tests/integration/test_custody_balancing.py
shows the chain agreeing)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from ballast.common.evm.roles import refusal
from ballast.devnet.bot_role import (
    APPROVE,
    BALANCING_SWAP,
    EXACT_INPUT_SINGLE,
    SWAP,
    Targets,
    balancing_key,
    bot_role,
    daily_balancing_cap,
)
from ballast.strategy.params import StrategyParams
from ballast.testing.calls import addr, calldata

SAFE, BOT, ROUTER, PUMP, PSTR, USDC, PAIR, PAIR2, MANAGER, V3_ROUTER = (
    addr(i) for i in range(1, 11))
FEE, DEADLINE = 3000, 2**40
PARAMS = StrategyParams()
T = Targets(router=ROUTER, pump=PUMP, pstr=PSTR,
            pools=((PAIR, PSTR, PUMP), (PAIR2, PSTR, USDC)), position_manager=MANAGER,
            v3_pools=((PSTR, USDC, FEE),), v3_router=V3_ROUTER,
            prices=((PUMP, 18, Decimal("0.5")), (PSTR, 18, Decimal(1)), (USDC, 6, Decimal(1))))
PLAN = bot_role(PARAMS, T, BOT, 10**24)
USDC_CAP = 100_000 * 10**6


def v2(amount: int, path: list[str], to: str = SAFE, min_out: int = 1) -> bytes:
    return calldata(BALANCING_SWAP, amount, min_out, path, to, DEADLINE)


def v3(amount: int, tokens: tuple[str, str], to: str = SAFE, fee: int = FEE,
       min_out: int = 1) -> bytes:
    return calldata(EXACT_INPUT_SINGLE, (*tokens, fee, to, DEADLINE, amount, min_out, 0))


def test_daily_allowance__the_liquidity_allocation_at_the_tokens_price() -> None:
    assert daily_balancing_cap(PARAMS, 6, Decimal(1)) == USDC_CAP  # 10% of $1M
    allowances = {a.key: a.refill for a in PLAN.allowances}
    assert allowances[balancing_key(USDC)] == USDC_CAP
    assert allowances[balancing_key(PUMP)] == 200_000 * 10**18  # at $0.50
    assert allowances[balancing_key(PSTR)] == 100_000 * 10**18
    half = StrategyParams(liquidity_allocation=Decimal("0.05"))
    assert daily_balancing_cap(half, 6, Decimal(1)) == USDC_CAP // 2


def test_v2_balancing__configured_pairs_either_way_to_the_safe__allowed() -> None:
    for path in ([USDC, PSTR], [PSTR, USDC], [PUMP, PSTR], [PSTR, PUMP]):
        assert refusal(PLAN, SAFE, ROUTER, v2(10**6, path)) is None, path
    assert refusal(PLAN, SAFE, ROUTER, v2(USDC_CAP, [USDC, PSTR])) is None


def test_v2_balancing__to_the_bot_other_pair_longer_path_no_minimum_or_above__refused() -> None:
    assert "not the Safe" in (refusal(PLAN, SAFE, ROUTER, v2(10**6, [USDC, PSTR], BOT)) or "")
    assert refusal(PLAN, SAFE, ROUTER, v2(10**6, [USDC, PUMP])) is not None
    assert refusal(PLAN, SAFE, ROUTER, v2(10**6, [USDC, PSTR, PUMP])) is not None
    assert "greater than 0" in (refusal(PLAN, SAFE, ROUTER, v2(10**6, [USDC, PSTR], min_out=0))
                                or "")
    assert "daily allowance" in (refusal(PLAN, SAFE, ROUTER, v2(USDC_CAP + 1, [USDC, PSTR]))
                                 or "")


def test_v2_balancing__through_the_interventions_swap_function__refused() -> None:
    """The intervention's function keeps its two branches: a balancing path there is refused,
    so a balancing swap never spends the intervention's (or the buy's) allowance."""
    swap = calldata(SWAP, 10**6, 1, [USDC, PSTR], SAFE, DEADLINE)
    assert "not the allowed value" in (refusal(PLAN, SAFE, ROUTER, swap) or "")


def test_v3_balancing__the_pools_tokens_and_fee_to_the_safe__else_refused() -> None:
    assert refusal(PLAN, SAFE, V3_ROUTER, v3(10**6, (USDC, PSTR))) is None
    assert refusal(PLAN, SAFE, V3_ROUTER, v3(10**18, (PSTR, USDC))) is None
    assert "not the Safe" in (refusal(PLAN, SAFE, V3_ROUTER, v3(10**6, (USDC, PSTR), BOT)) or "")
    assert refusal(PLAN, SAFE, V3_ROUTER, v3(10**6, (USDC, PSTR), fee=500)) is not None
    assert refusal(PLAN, SAFE, V3_ROUTER, v3(10**18, (PUMP, PSTR))) is not None
    assert refusal(PLAN, SAFE, V3_ROUTER, v3(10**6, (USDC, PSTR), min_out=0)) is not None
    assert "daily allowance" in (refusal(PLAN, SAFE, V3_ROUTER, v3(USDC_CAP + 1, (USDC, PSTR)))
                                 or "")


def test_approvals__the_v3_router_on_the_v3_pools_tokens_only() -> None:
    for token in (PSTR, USDC):
        assert refusal(PLAN, SAFE, token, calldata(APPROVE, V3_ROUTER, 2**256 - 1)) is None
    assert refusal(PLAN, SAFE, PUMP, calldata(APPROVE, V3_ROUTER, 1)) is not None


def test_no_prices__zero_allowances_the_executor_reads_the_chains_instead() -> None:
    plan = bot_role(PARAMS, replace(T, prices=()), BOT, 10**24)
    assert {a.refill for a in plan.allowances if a.key == balancing_key(USDC)} == {0}
    assert "daily allowance 0" in (refusal(plan, SAFE, ROUTER, v2(1, [USDC, PSTR])) or "")
