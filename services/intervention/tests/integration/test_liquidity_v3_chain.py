"""Liquidity actions on anvil with a Uniswap V3 pool (the real factory, position manager and
SwapRouter from the npm builds): add mints the ±10% band as a position held by the treasury;
after a >15% move a rebalance removes it and mints the band around the new price, once, also
when the executor is killed between the legs."""

from __future__ import annotations

import signal
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    AutomationRequest,
    ExecutionMode,
    ExecutionStatus,
)
from ballast.intervention.domain.execution import Phase
from ballast.intervention.legs_v3 import ConcentratedPool
from ballast.strategy.concentrated import (
    band_centre,
    in_range,
    needs_rebalance,
    price_at_tick,
    price_of_sqrt,
)
from ballast.strategy.params import StrategyParams
from ballast.testing.dex import Dex
from ballast.testing.dex_v3 import DexV3, deploy_dex_v3
from ballast.testing.forking import fork, wait

NOW = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
NAME = "PUMP-PSTR-V3"
FUND = 20_000 * 10**18  # PUMP: about half swapped to PSTR, the rest minted beside it
MOVE = 3_000_000 * 10**18  # PUMP sold into the pool: PSTR per PUMP about -24%
PARAMS = StrategyParams()


@pytest.fixture(scope="session")
def v3_session(dex_session: Dex) -> DexV3:
    """Deployed once, before any test's snapshot (a session fixture is set up first)."""
    return deploy_dex_v3(dex_session)


def v3_harness(harness: Any, v3: DexV3) -> Any:
    p = v3.pool
    pool = ConcentratedPool(
        p.pool, p.token0, p.token1, p.fee, p.tick_spacing, v3.v3.position_manager, v3.v3.router
    )
    harness.config = replace(harness.config, pools={NAME: pool}, owner=harness.dex.treasury)
    return harness


def request(kind: AutomationKind, request_id: str, v3: DexV3) -> AutomationRequest:
    details = {"pair": NAME}
    if kind is AutomationKind.LIQUIDITY_ADD:
        details |= {
            "fund_index": "0" if v3.pool.token0 == v3.dex.pump else "1",
            "fund_raw": str(FUND),
        }
    return AutomationRequest(
        request_id=request_id,
        kind=kind,
        amount_usd=Decimal(10_000),
        reason="test",
        requested_at=NOW,
        details=details,
    )


async def act(h: Any, req: AutomationRequest) -> AutomationAction:
    assert await h.decider(NOW, ExecutionMode.LIVE).on_automation(req)
    await h.settle(passes=20)
    [done] = h.automation_actions(AutomationKind(req.kind))
    assert done.status is ExecutionStatus.CONFIRMED, done.reason
    return done


def assert_band_around_the_price(v3: DexV3, lower: int, upper: int) -> None:
    """±range_width of the pool price, spacing-aligned, the price inside, centred on it."""
    sqrt_price, tick = v3.slot0()
    price, spacing = price_of_sqrt(sqrt_price), v3.pool.tick_spacing
    assert lower % spacing == 0 and upper % spacing == 0
    assert price_at_tick(lower) <= price * (1 - PARAMS.range_width)
    assert price_at_tick(upper) >= price * (1 + PARAMS.range_width)
    assert price_at_tick(lower + spacing) > price * (1 - PARAMS.range_width)
    assert in_range(tick, lower, upper)
    assert abs(band_centre(lower, upper) / price - 1) < Decimal("0.01")


def gas_report(done: AutomationAction, legs: tuple[str, ...]) -> None:
    print(
        f"\n{done.kind} gas: "
        + ", ".join(f"{leg} {done.details.get(f'{leg}_gas_used', 'skipped')}" for leg in legs)
        + f", total {done.details['gas_used']}"
    )


async def test_v3_add__live__swap_then_mint_of_the_band_held_by_the_treasury_once(
    harness: Any,
    v3_session: DexV3,
) -> None:
    h, v3 = v3_harness(harness, v3_session), v3_session
    done = await act(h, request(AutomationKind.LIQUIDITY_ADD, "v3-add-1", v3))
    gas_report(done, ("swap", "add"))
    [(token_id, lower, upper, liquidity)] = v3.positions(v3.dex.treasury)
    assert (done.details["token_id"], done.details["liquidity"]) == (str(token_id), str(liquidity))
    assert liquidity > 0
    assert (int(done.details["tick_lower"]), int(done.details["tick_upper"])) == (lower, upper)
    assert_band_around_the_price(v3, lower, upper)
    assert int(done.details["amount0_added"]) > 0 and int(done.details["amount1_added"]) > 0
    # a redelivered request is the same action: nothing more on-chain
    assert not await h.decider(NOW, ExecutionMode.LIVE).on_automation(
        request(AutomationKind.LIQUIDITY_ADD, "v3-add-1", v3)
    )
    await h.settle()
    assert len(v3.positions(v3.dex.treasury)) == 1


async def test_v3_add__dry_run__band_and_amounts_previewed_nothing_signed(
    harness: Any,
    v3_session: DexV3,
) -> None:
    h, v3 = v3_harness(harness, v3_session), v3_session
    nonce = v3.dex.nonce(v3.dex.treasury)
    req = request(AutomationKind.LIQUIDITY_ADD, "v3-dry", v3)
    assert await h.decider(NOW, ExecutionMode.DRY_RUN).on_automation(req)
    await h.settle(h.executor(live=False))
    [done] = h.automation_actions()
    assert done.status is ExecutionStatus.DRY_RUN, done.reason
    assert done.details["dex"] == "uniswap_v3"
    assert_band_around_the_price(
        v3, int(done.details["tick_lower"]), int(done.details["tick_upper"])
    )
    assert int(done.details["amount0_to_add"]) > 0 and int(done.details["amount1_to_add"]) > 0
    assert v3.dex.nonce(v3.dex.treasury) == nonce


async def test_v3_rebalance__after_a_24_percent_move__removed_and_reminted_around_the_new_price(
    harness: Any,
    v3_session: DexV3,
) -> None:
    h, v3 = v3_harness(harness, v3_session), v3_session
    await act(h, request(AutomationKind.LIQUIDITY_ADD, "v3-seed", v3))
    [(old_id, old_lower, old_upper, _)] = v3.positions(v3.dex.treasury)
    v3.move_price(MOVE)
    assert needs_rebalance(price_of_sqrt(v3.slot0()[0]), old_lower, old_upper)
    done = await act(h, request(AutomationKind.LIQUIDITY_REBALANCE, "v3-band-1", v3))
    gas_report(done, ("remove", "swap", "add"))
    assert "swap_tx" in done.details  # out of the old band the position was one token
    [(new_id, lower, upper, liquidity)] = v3.positions(v3.dex.treasury)  # the old one burned
    assert new_id != old_id and liquidity > 0
    assert_band_around_the_price(v3, lower, upper)
    assert not needs_rebalance(price_of_sqrt(v3.slot0()[0]), lower, upper)


async def test_v3_rebalance__two_positions__both_removed_in_one_leg_one_band_minted(
    harness: Any,
    v3_session: DexV3,
) -> None:
    h, v3 = v3_harness(harness, v3_session), v3_session
    await act(h, request(AutomationKind.LIQUIDITY_ADD, "v3-seed-a", v3))
    h.published.sent.clear()
    await act(h, request(AutomationKind.LIQUIDITY_ADD, "v3-seed-b", v3))
    assert len(v3.positions(v3.dex.treasury)) == 2
    v3.move_price(MOVE)
    dry = request(AutomationKind.LIQUIDITY_REBALANCE, "v3-band-dry", v3)
    assert await h.decider(NOW, ExecutionMode.DRY_RUN).on_automation(dry)
    await h.settle(h.executor(live=False))
    [preview] = h.automation_actions(AutomationKind.LIQUIDITY_REBALANCE)
    assert preview.status is ExecutionStatus.DRY_RUN, preview.reason
    assert len(preview.details["token_ids"].split(",")) == 2
    assert (preview.details["in_range"], preview.details["needs_rebalance"]) == ("false", "true")
    h.published.sent.clear()
    await act(h, request(AutomationKind.LIQUIDITY_REBALANCE, "v3-band-2", v3))
    [(_, lower, upper, _)] = v3.positions(v3.dex.treasury)
    assert_band_around_the_price(v3, lower, upper)



@pytest.mark.parametrize(
    "point",
    [
        "after_leg_remove",
        "after_leg_swap",
        "after_sign_persist",
        "after_broadcast",
        "after_receipt",
    ],
)
async def test_v3_rebalance__sigkill_mid_rebalance__resumed_once(
    harness: Any,
    v3_session: DexV3,
    executor_life: Any,
    point: str,
) -> None:
    h, v3 = v3_harness(harness, v3_session), v3_session
    await act(h, request(AutomationKind.LIQUIDITY_ADD, "v3-seed", v3))
    v3.move_price(MOVE)
    action = f"liquidity_rebalance-v3-{point}"
    assert await h.decider(NOW, ExecutionMode.LIVE).on_automation(
        request(AutomationKind.LIQUIDITY_REBALANCE, f"v3-{point}", v3)
    )
    killed = await wait(fork(lambda: executor_life(h, point)), 60.0)
    assert killed == -signal.SIGKILL
    if point == "after_leg_remove":  # killed after the remove, before the mint
        assert v3.positions(v3.dex.treasury) == []
    assert await wait(fork(lambda: executor_life(h, None)), 60.0) == 0
    record = await h.repo.load(action)
    assert record.execution.phase is Phase.CONFIRMED, record.outcome
    assert record.execution.published
    for leg in ("remove", "swap", "add"):
        assert len((await h.repo.load(f"{action}.{leg}")).execution.attempts) == 1
    [(_, lower, upper, liquidity)] = v3.positions(v3.dex.treasury)
    assert liquidity > 0
    assert_band_around_the_price(v3, lower, upper)
