"""Uniswap V3 (concentrated liquidity) on an anvil, from the npm build artifacts: the factory, the
NonfungiblePositionManager (no token descriptor: tokenURI is not used here) and the SwapRouter,
and pools created, initialised at a price and seeded with one wide position.

Used by the devnet deployer (the pools of prices.V3_POOLS) and by the tests that need a V3 pool
on their own anvil (ballast.testing.dex_v3). The sender must hold the seed amounts.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, Context, Decimal, localcontext

from eth_utils.address import to_checksum_address

from ballast.common.deployment import ConcentratedPoolInfo, UniswapV3Info
from ballast.common.evm.artifacts import Artifact
from ballast.devnet.chain import Sender, contract

ZERO = "0x" + "00" * 20
Q96 = 2**96
MAX_UINT = 2**256 - 1
DEADLINE = 2**40
SEED_WIDTH = 4
"""The seed position spans price / 4 .. price x 4: deep around the price, and wide enough that
the scenarios' moves (35%) never leave it."""
_CONTEXT = Context(prec=60)


def deploy_uniswap_v3(sender: Sender, art: Callable[[str], Artifact], weth: str) -> UniswapV3Info:
    factory = sender.deploy(art("UniswapV3Factory"))
    manager = sender.deploy(art("NonfungiblePositionManager"), factory, weth, ZERO)
    router = sender.deploy(art("SwapRouter"), factory, weth)
    return UniswapV3Info(factory=factory, position_manager=manager, router=router)


def sqrt_price_x96(amount0: int, amount1: int) -> int:
    """The sqrtPriceX96 of the price amount1 / amount0 (raw units)."""
    with localcontext(_CONTEXT):
        root = (Decimal(amount1) / Decimal(amount0)).sqrt() * Q96
        return int(root.to_integral_value(rounding=ROUND_DOWN))


def tick_of(price: Decimal) -> int:
    """The tick at or below a raw price (1.0001^tick <= price)."""
    with localcontext(_CONTEXT):
        return int((price.ln() / Decimal("1.0001").ln()).to_integral_value(rounding="ROUND_FLOOR"))


def seed_pool(
    sender: Sender,
    art: Callable[[str], Artifact],
    v3: UniswapV3Info,
    a: tuple[str, int],
    b: tuple[str, int],
    fee: int,
) -> ConcentratedPoolInfo:
    """Create the pool of tokens a and b at the price their amounts make, and add both amounts
    (what fits) as one position from price / SEED_WIDTH to price x SEED_WIDTH, owned by the
    sender."""
    (t0, n0), (t1, n1) = sorted((a, b), key=lambda pair: pair[0].lower())
    w3 = sender.w3
    manager = contract(w3, art("NonfungiblePositionManager"), v3.position_manager)
    sender.call(manager, "createAndInitializePoolIfNecessary", t0, t1, fee, sqrt_price_x96(n0, n1))
    sender.pipe.wait()
    factory = contract(w3, art("UniswapV3Factory"), v3.factory)
    spacing = int(factory.functions.feeAmountTickSpacing(fee).call())
    pool = to_checksum_address(factory.functions.getPool(t0, t1, fee).call())
    price = Decimal(n1) / Decimal(n0)
    lower = tick_of(price / SEED_WIDTH) // spacing * spacing
    upper = -(-tick_of(price * SEED_WIDTH) // spacing) * spacing
    for token in (t0, t1):
        sender.call(contract(w3, art("TestToken"), token), "approve", v3.position_manager, MAX_UINT)
    sender.call(
        manager, "mint", (t0, t1, fee, lower, upper, n0, n1, 0, 0, sender.address, DEADLINE)
    )
    sender.pipe.wait()
    return ConcentratedPoolInfo(
        pool=pool,
        token0=to_checksum_address(t0),
        token1=to_checksum_address(t1),
        fee=fee,
        tick_spacing=spacing,
    )
