"""The bot's role as generated from the strategy settings, and the pre-send check computed from it
("is this call inside the role?"): the same plan the chain enforces (tests/integration/
test_custody.py shows the chain agreeing)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ballast.common.evm.roles import Op, ParamType, RolePlan, flatten, refusal
from ballast.devnet.bot_role import (
    ADD_LIQUIDITY,
    APPROVE,
    PUMP_PER_DAY,
    SWAP,
    SWAPS_PER_DAY,
    Targets,
    bot_role,
    daily_pump_cap,
)
from ballast.strategy.params import StrategyParams


def addr(n: int) -> str:
    return "0x" + f"{n:040x}"


SAFE, BOT, ROUTER, PUMP, PSTR, USDC, PAIR, PAIR2, BASKET = (addr(i) for i in range(1, 10))
T = Targets(router=ROUTER, pump=PUMP, pstr=PSTR,
            pools=((PAIR, PSTR, PUMP), (PAIR2, PSTR, USDC)), basket=BASKET)
HELD = 1_000_000 * 10**18
PARAMS = StrategyParams()


def calldata(signature: str, *args: Any) -> bytes:
    types = signature[signature.index("(") + 1 : -1].split(",") if "()" not in signature else []
    return keccak(text=signature)[:4] + encode(types, list(args))


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
    assert allowances == {PUMP_PER_DAY: HELD // 2, SWAPS_PER_DAY: 2}


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
