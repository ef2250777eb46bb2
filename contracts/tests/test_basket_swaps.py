"""StakeBasket.swapAssets on anvil: the basket trades free liquidity of one asset for the other
through a Uniswap V2 router (the npm build artifacts) and a WCORE/coreBTC pair seeded at the
suite's oracle prices (CORE $1, BTC $60,000). The operator's minOut bounds the trade; the
contract bounds minOut against the oracle; queued withdrawals' money is never traded.
"""

from __future__ import annotations

import pytest
from etf_suite import ASSET_CORE, ASSET_CORE_BTC, E8, E18, Etf
from web3.contract import Contract

pytestmark = pytest.mark.integration

POOL_BTC = 100 * E8
POOL_CORE = 6_000_000 * E18  # 100 BTC at $60,000 = 6,000,000 CORE at $1
DEADLINE = 2**40


def _router(etf: Etf) -> tuple[Contract, Contract]:
    """Factory, router and a seeded WCORE/coreBTC pair; returns (router, wcore)."""
    admin = etf.admin
    etf.anvil.rpc("anvil_setBalance", admin, hex(10 * POOL_CORE))
    wcore = etf.deploy("uniswap/WETH9")
    factory = etf.deploy("uniswap/UniswapV2Factory", admin)
    router = etf.deploy("uniswap/UniswapV2Router02", factory.address, wcore.address)
    etf.send(etf.core_btc.functions.mint(admin, POOL_BTC), admin)
    etf.send(etf.core_btc.functions.approve(router.address, POOL_BTC), admin)
    etf.send(
        router.functions.addLiquidityETH(etf.core_btc.address, POOL_BTC, 0, 0, admin, DEADLINE),
        admin,
        value=POOL_CORE,
    )
    return router, wcore


def _quote(router: Contract, amount: int, path: list[str]) -> int:
    return int(router.functions.getAmountsOut(amount, path).call()[-1])


@pytest.fixture
def swapping(etf: Etf) -> tuple[Etf, Contract, Contract]:
    router, wcore = _router(etf)
    etf.anvil.rpc("anvil_setBalance", etf.users[0], hex(100_000 * E18))
    receipt = etf.send(etf.basket.functions.setSwapRouter(router.address), etf.admin)
    assert etf.events(etf.basket, "SwapRouterSet", receipt) == [
        {"router": router.address, "wrappedCore": wcore.address}
    ]
    return etf, router, wcore


def test_swap__core_for_btc__pool_quote_received_and_nav_kept_within_fee(
    swapping: tuple[Etf, Contract, Contract],
) -> None:
    etf, router, wcore = swapping
    alice = etf.users[0]
    etf.deposit_core(alice, 9_000 * E18)
    aum_before = etf.aum()
    amount = 6_000 * E18  # $6,000: 0.1 BTC at the oracle price
    quoted = _quote(router, amount, [wcore.address, etf.core_btc.address])
    min_out = quoted * 98 // 100

    receipt = etf.send(
        etf.basket.functions.swapAssets(ASSET_CORE, amount, min_out, DEADLINE), etf.operator
    )

    [event] = etf.events(etf.basket, "AssetsSwapped", receipt)
    assert event == {"from": ASSET_CORE, "amountIn": amount, "amountOut": quoted, "minOut": min_out}
    assert etf.core_btc.functions.balanceOf(etf.basket.address).call() == quoted
    assert etf.core_balance(etf.basket.address) == 3_000 * E18
    assert wcore.functions.balanceOf(etf.basket.address).call() == 0
    # what the trade cost (0.3% fee plus price impact) is all the AUM lost
    lost = aum_before - etf.aum()
    assert 0 < lost < amount * 1 // 100
    print(f"gas swapAssets CORE->coreBTC: {receipt['gasUsed']}")


def test_swap__btc_for_core__unwrapped_to_native_core(
    swapping: tuple[Etf, Contract, Contract],
) -> None:
    etf, router, wcore = swapping
    etf.deposit_btc(etf.users[0], 2 * E8)
    amount = E8 // 2
    quoted = _quote(router, amount, [etf.core_btc.address, wcore.address])

    receipt = etf.send(
        etf.basket.functions.swapAssets(ASSET_CORE_BTC, amount, quoted, DEADLINE), etf.operator
    )

    assert etf.events(etf.basket, "AssetsSwapped", receipt)[0]["amountOut"] == quoted
    assert etf.core_balance(etf.basket.address) == quoted  # native CORE, not WCORE
    assert wcore.functions.balanceOf(etf.basket.address).call() == 0
    assert etf.core_btc.functions.balanceOf(etf.basket.address).call() == 2 * E8 - amount
    print(f"gas swapAssets coreBTC->CORE: {receipt['gasUsed']}")


def test_swap__min_out_above_pool__router_reverts_and_nothing_moves(
    swapping: tuple[Etf, Contract, Contract],
) -> None:
    etf, router, wcore = swapping
    etf.deposit_core(etf.users[0], 10_000 * E18)
    amount = 6_000 * E18
    quoted = _quote(router, amount, [wcore.address, etf.core_btc.address])
    with pytest.raises(Exception, match="INSUFFICIENT_OUTPUT_AMOUNT"):
        etf.send(
            etf.basket.functions.swapAssets(ASSET_CORE, amount, quoted + 1, DEADLINE), etf.operator
        )
    assert etf.core_balance(etf.basket.address) == 10_000 * E18


def test_swap__min_out_far_below_oracle__reverts_min_out_below_oracle(
    swapping: tuple[Etf, Contract, Contract],
) -> None:
    etf, _, _ = swapping
    etf.deposit_core(etf.users[0], 10_000 * E18)
    amount = 6_000 * E18  # 0.1 BTC at the oracle; the default tolerance is 5%
    floor = (10**7 * 9_500 + 9_999) // 10_000
    data = etf.expect_revert(
        etf.basket,
        "MinOutBelowOracle",
        lambda: etf.send(
            etf.basket.functions.swapAssets(ASSET_CORE, amount, 0, DEADLINE), etf.operator
        ),
    )
    assert int(data[10 + 64 : 10 + 128], 16) == floor
    etf.send(etf.basket.functions.setSwapTolerance(2_000), etf.admin)
    etf.expect_revert(
        etf.basket,
        "InvalidTolerance",
        lambda: etf.send(etf.basket.functions.setSwapTolerance(2_001), etf.admin),
    )


def test_swap__queued_liquidity_and_roles__refused(
    swapping: tuple[Etf, Contract, Contract],
) -> None:
    etf, _, _ = swapping
    alice, stranger = etf.users[0], etf.users[5]
    etf.deposit_core(alice, 1_000 * E18)
    etf.deploy_all_liquidity()
    etf.withdraw(alice, 500 * E18)  # nothing free: queued, and the recall is owed to alice
    etf.send(etf.basket.functions.recallLiquidity(500 * E18, 0), etf.operator)
    etf.expect_revert(
        etf.basket,
        "InsufficientLiquidity",
        lambda: etf.send(
            etf.basket.functions.swapAssets(ASSET_CORE, E18, 0, DEADLINE), etf.operator
        ),
    )
    unauthorized = "AccessControlUnauthorizedAccount"
    etf.expect_revert(
        etf.basket,
        unauthorized,
        lambda: etf.send(etf.basket.functions.swapAssets(ASSET_CORE, E18, 0, DEADLINE), stranger),
    )
    etf.expect_revert(
        etf.basket,
        unauthorized,
        lambda: etf.send(etf.basket.functions.setSwapRouter(stranger), etf.operator),
    )
    etf.send(etf.basket.functions.pause(), etf.pauser)
    etf.expect_revert(
        etf.basket,
        "EnforcedPause",
        lambda: etf.send(
            etf.basket.functions.swapAssets(ASSET_CORE, E18, 0, DEADLINE), etf.operator
        ),
    )


def test_swap__no_router__reverts(etf: Etf) -> None:
    etf.deposit_core(etf.users[0], 10 * E18)
    etf.expect_revert(
        etf.basket,
        "NoSwapRouter",
        lambda: etf.send(
            etf.basket.functions.swapAssets(ASSET_CORE, E18, 0, DEADLINE), etf.operator
        ),
    )
    etf.expect_revert(
        etf.basket, "UnexpectedSender", lambda: etf.send_value(etf.basket.address, 1, etf.users[5])
    )
