"""The bot's role as generated from the strategy settings, and the pre-send check computed from it
("is this call inside the role?"): the same plan the chain enforces (tests/integration/
test_custody.py shows the chain agreeing)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from eth_abi.abi import encode
from eth_utils.address import to_checksum_address

from ballast.common.deployment import PoolInfo, TokenInfo
from ballast.common.evm.multisend import Inner, from_multicall, pack, unpack
from ballast.common.evm.multisend import refusal as batch_refusal
from ballast.common.evm.roles import Op, ParamType, RolePlan, flatten, refusal
from ballast.devnet.bot_role import (
    ADD_LIQUIDITY,
    APPROVE,
    BURN,
    BUYS_A_DAY,
    BUYS_PER_DAY,
    COLLECT,
    DECREASE_LIQUIDITY,
    MINT,
    PUMP_PER_DAY,
    QUOTE_PER_DAY,
    SWAP,
    SWAPS_PER_DAY,
    Targets,
    accumulation_path,
    bot_role,
    daily_pump_cap,
    daily_quote_cap,
)
from ballast.strategy.params import StrategyParams
from ballast.testing.calls import addr, calldata

SAFE, BOT, ROUTER, PUMP, PSTR, USDC, PAIR, PAIR2, BASKET = (addr(i) for i in range(1, 10))
T = Targets(router=ROUTER, pump=PUMP, pstr=PSTR,
            pools=((PAIR, PSTR, PUMP), (PAIR2, PSTR, USDC)), basket=BASKET)
HELD = 1_000_000 * 10**18
PARAMS = StrategyParams()


def plan(params: StrategyParams = PARAMS) -> RolePlan:
    return bot_role(params, T, BOT, HELD)


def swap(amount: int, path: list[str], to: str, min_out: int = 1) -> bytes:
    return calldata(SWAP, amount, min_out, path, to, 2**40)


def test_refusal__pump_transfer_to_the_bot__refused() -> None:
    transfer = calldata("transfer(address,uint256)", BOT, 10**18)
    assert refusal(plan(), SAFE, PUMP, transfer) == (
        f"function 0x{transfer[:4].hex()} on {to_checksum_address(PUMP)} is not allowed")


def test_refusal__each_way_out_of_the_role__refused_with_its_reason() -> None:
    p = plan()
    assert "target" in (refusal(p, SAFE, addr(99), swap(1, [PUMP, PSTR], SAFE)) or "")
    assert "not allowed" in (refusal(p, SAFE, PUMP, calldata(
        "transfer(address,uint256)", BOT, 1)) or "")
    assert "not the Safe" in (refusal(p, SAFE, ROUTER, swap(10**18, [PUMP, PSTR], BOT)) or "")
    assert "array" in (refusal(p, SAFE, ROUTER, swap(10**18, [PUMP, USDC, PSTR], SAFE)) or "")
    assert "allowed value" in (refusal(p, SAFE, ROUTER, swap(10**18, [PSTR, PUMP], SAFE)) or "")
    assert "greater than 0" in (refusal(p, SAFE, ROUTER, swap(10**18, [PUMP, PSTR], SAFE, 0))
                                or "")
    assert "approve" in (refusal(p, SAFE, PUMP, calldata(APPROVE, BOT, 2**256 - 1)) or "")
    assert refusal(p, SAFE, ROUTER, swap(1, [PUMP, PSTR], SAFE), value=1) is not None


def test_refusal__the_policy_s_calls__allowed() -> None:
    p = plan()
    assert refusal(p, SAFE, ROUTER, swap(10**18, [PUMP, PSTR], SAFE)) is None
    assert refusal(p, SAFE, PUMP, calldata(APPROVE, ROUTER, 2**256 - 1)) is None
    add = calldata(ADD_LIQUIDITY, USDC, PSTR, 5, 5, 4, 4, SAFE, 2**40)
    assert refusal(p, SAFE, ROUTER, add) is None
    assert refusal(p, SAFE, BASKET, calldata("compound()")) is None


def test_refusal__liquidity_on_a_pair_not_configured__refused() -> None:
    add = calldata(ADD_LIQUIDITY, USDC, PUMP, 5, 5, 4, 4, SAFE, 2**40)
    assert "no branch" in (refusal(plan(), SAFE, ROUTER, add) or "")
    to_bot = calldata(ADD_LIQUIDITY, PSTR, USDC, 5, 5, 4, 4, BOT, 2**40)
    assert refusal(plan(), SAFE, ROUTER, to_bot) is not None


def test_daily_allowance__from_the_policy__max_deployment_of_the_pump_per_intervention() -> None:
    cap = daily_pump_cap(PARAMS, HELD)
    assert cap == HELD * 40 // 100
    assert refusal(plan(), SAFE, ROUTER, swap(cap, [PUMP, PSTR], SAFE)) is None
    assert "daily allowance" in (refusal(plan(), SAFE, ROUTER, swap(cap + 1, [PUMP, PSTR], SAFE))
                                 or "")
    two = StrategyParams(max_daily_interventions=2, max_deployment=Decimal("0.25"))
    allowances = {a.key: a.refill for a in plan(two).allowances}
    assert {k: allowances[k] for k in (PUMP_PER_DAY, SWAPS_PER_DAY)} == {
        PUMP_PER_DAY: HELD // 2, SWAPS_PER_DAY: 2}


def test_no_interventions_a_day__no_swap_passes_the_check() -> None:
    none = StrategyParams(max_daily_interventions=0)
    assert refusal(plan(none), SAFE, ROUTER, swap(1, [PUMP, PSTR], SAFE)) is not None


def test_flatten__breadth_first_with_parent_indices() -> None:
    swap_scope = next(s for s in plan().scopes if s.signature == SWAP)
    assert swap_scope.condition is not None
    flat = flatten(swap_scope.condition)
    assert [(p, ParamType(t), Op(o)) for p, t, o, _ in flat] == [
        (0, ParamType.CALLDATA, Op.MATCHES),
        (0, ParamType.STATIC, Op.WITHIN_ALLOWANCE),
        (0, ParamType.STATIC, Op.GREATER_THAN),
        (0, ParamType.ARRAY, Op.MATCHES),
        (0, ParamType.STATIC, Op.EQUAL_TO_AVATAR),
        (0, ParamType.NONE, Op.CALL_WITHIN_ALLOWANCE),
        (3, ParamType.STATIC, Op.EQUAL_TO),
        (3, ParamType.STATIC, Op.EQUAL_TO),
    ]
    assert flat[1][3] == PUMP_PER_DAY and flat[6][3] == encode(["address"], [PUMP])


# -- the hourly accumulation's swap and the V3 position calls
FEE = 3000
WCORE, MANAGER = addr(10), addr(11)
T3 = replace(T, accumulate=(USDC, WCORE, PUMP), accumulate_decimals=6, position_manager=MANAGER,
             v3_pools=((PSTR, USDC, FEE),))
"""With the accumulation's path and a V3 pool: the role beyond the intervention."""
PLAN = bot_role(PARAMS, T3, BOT, 10**24)
DEADLINE = 2**40


def buy(amount: int, path: tuple[str, ...], to: str, min_out: int = 1) -> bytes:
    return calldata(SWAP, amount, min_out, list(path), to, DEADLINE)


def mint(token0: str, token1: str, fee: int, to: str) -> bytes:
    return calldata(MINT, (token0, token1, fee, -600, 600, 10**18, 10**6, 0, 0, to, DEADLINE))


def test_accumulation_swap__along_the_path_to_the_safe__allowed() -> None:
    assert refusal(PLAN, SAFE, ROUTER, buy(100 * 10**6, (USDC, WCORE, PUMP), SAFE)) is None


def test_accumulation_swap__to_the_bot_or_off_the_path_or_no_minimum__refused() -> None:
    assert "not the Safe" in (refusal(PLAN, SAFE, ROUTER, buy(10**6, (USDC, WCORE, PUMP), BOT))
                              or "")
    for path in ((USDC, PUMP), (USDC, WCORE, PSTR), (USDC, PSTR, PUMP)):
        assert refusal(PLAN, SAFE, ROUTER, buy(10**6, path, SAFE)) is not None, path
    assert "greater than 0" in (refusal(PLAN, SAFE, ROUTER, buy(
        10**6, (USDC, WCORE, PUMP), SAFE, 0)) or "")


def test_accumulation_allowance__the_daily_budget_at_the_slippage_floor_24_buys() -> None:
    # (1,000,000 x 0.90) / 365 USD a day, at a USDC price down to 0.98
    cap = daily_quote_cap(PARAMS, 6)
    assert cap == int(Decimal(900_000) / 365 / Decimal("0.98") * 10**6)
    allowances = {a.key: a.refill for a in PLAN.allowances}
    assert allowances[QUOTE_PER_DAY] == cap and allowances[BUYS_PER_DAY] == BUYS_A_DAY == 24
    assert refusal(PLAN, SAFE, ROUTER, buy(cap, (USDC, WCORE, PUMP), SAFE)) is None
    assert "daily allowance" in (refusal(PLAN, SAFE, ROUTER, buy(
        cap + 1, (USDC, WCORE, PUMP), SAFE)) or "")


def test_no_accumulation_path__no_accumulation_entry() -> None:
    plan = bot_role(PARAMS, replace(T3, accumulate=()), BOT, 10**24)
    assert QUOTE_PER_DAY not in {a.key for a in plan.allowances}
    assert refusal(plan, SAFE, ROUTER, buy(10**6, (USDC, WCORE, PUMP), SAFE)) is not None


def test_v3_mint__the_configured_pool_to_the_safe__allowed_else_refused() -> None:
    assert refusal(PLAN, SAFE, MANAGER, mint(PSTR, USDC, FEE, SAFE)) is None
    assert "not the Safe" in (refusal(PLAN, SAFE, MANAGER, mint(PSTR, USDC, FEE, BOT)) or "")
    assert "allowed value" in (refusal(PLAN, SAFE, MANAGER, mint(PSTR, USDC, 500, SAFE)) or "")
    assert refusal(PLAN, SAFE, MANAGER, mint(PUMP, USDC, FEE, SAFE)) is not None


def test_v3_collect__to_the_safe_only__decrease_allowed() -> None:
    owed = 2**128 - 1
    assert refusal(PLAN, SAFE, MANAGER, calldata(COLLECT, (7, SAFE, owed, owed))) is None
    assert "not the Safe" in (refusal(PLAN, SAFE, MANAGER, calldata(COLLECT, (7, BOT, owed, owed)))
                              or "")
    decrease = calldata(DECREASE_LIQUIDITY, (7, 10**12, 0, 0, DEADLINE))
    assert refusal(PLAN, SAFE, MANAGER, decrease) is None


def test_v3_what_stays_out__increase_liquidity_and_multicall__refused() -> None:
    increase = calldata("increaseLiquidity((uint256,uint256,uint256,uint256,uint256,uint256))",
                        (7, 1, 1, 0, 0, DEADLINE))
    assert "not allowed" in (refusal(PLAN, SAFE, MANAGER, increase) or "")
    assert "not allowed" in (refusal(PLAN, SAFE, MANAGER, calldata("multicall(bytes[])", [])) or "")


def test_approvals__router_and_position_manager_for_the_pool_tokens_only() -> None:
    for token in (PSTR, USDC):
        for spender in (ROUTER, MANAGER):
            assert refusal(PLAN, SAFE, token, calldata(APPROVE, spender, 2**256 - 1)) is None
    assert refusal(PLAN, SAFE, PUMP, calldata(APPROVE, MANAGER, 1)) is not None
    assert refusal(PLAN, SAFE, USDC, calldata(APPROVE, BOT, 1)) is not None


def test_v3_remove_as_a_batch__each_call_checked() -> None:
    """The executor's V3 remove under custody: the manager's multicall becomes a MultiSendCallOnly
    batch of its calls, allowed only when each call is (multisend.refusal, as the modifier's
    unwrapper)."""
    owed = 2**128 - 1

    def remove(to: str) -> list[bytes]:
        return [calldata(DECREASE_LIQUIDITY, (7, 10**12, 0, 0, DEADLINE)),
                calldata(COLLECT, (7, to, owed, owed)), calldata(BURN, 7)]

    multicall = calldata("multicall(bytes[])", remove(SAFE))
    calls = from_multicall(MANAGER, multicall)
    assert calls is not None and [c.data for c in calls] == remove(SAFE)
    assert unpack(pack(calls)) == calls
    assert batch_refusal(PLAN, SAFE, pack(calls)) is None
    paid_to_bot = pack([Inner(MANAGER, c) for c in remove(BOT)])
    assert "call 1: " in (batch_refusal(PLAN, SAFE, paid_to_bot) or "")
    delegate = pack([Inner(MANAGER, c, operation=1) for c in remove(SAFE)])
    assert "delegate call" in (batch_refusal(PLAN, SAFE, delegate) or "")
    with_increase = pack([*calls, Inner(MANAGER, calldata(
        "increaseLiquidity((uint256,uint256,uint256,uint256,uint256,uint256))",
        (7, 1, 1, 0, 0, DEADLINE)))])
    assert "call 3: " in (batch_refusal(PLAN, SAFE, with_increase) or "")
    assert batch_refusal(PLAN, SAFE, pack([])) == "multiSend: no calls"
    assert from_multicall(MANAGER, calldata(BURN, 7)) is None


def test_accumulation_path__the_executors_route__first_intermediate_in_pool_order() -> None:
    """The role's path is the one the executor's settings find (ballast.strategy.routing): with
    two possible intermediates the first pool's, never through PSTR."""
    other = to_checksum_address(addr(12))
    tokens = {s: TokenInfo(address=to_checksum_address(a), decimals=6 if s == "USDC" else 18)
              for s, a in (("USDC", USDC), ("PUMP", PUMP), ("PSTR", PSTR), ("WCORE", WCORE))}
    pools = {f"P{i}": PoolInfo(pair=addr(20 + i), token0=a, token1=b) for i, (a, b) in enumerate((
        (USDC, PSTR), (PSTR, PUMP), (USDC, other), (other, PUMP), (USDC, WCORE), (WCORE, PUMP)))}
    assert accumulation_path(tokens, pools) == (
        to_checksum_address(USDC), other, to_checksum_address(PUMP))
    without = {k: p for k, p in pools.items() if k not in ("P2", "P3")}
    assert accumulation_path(tokens, without)[1] == to_checksum_address(WCORE)
    assert accumulation_path(tokens, {k: pools[k] for k in ("P0", "P1")}) == ()
