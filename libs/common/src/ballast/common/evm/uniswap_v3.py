"""Uniswap V3's ABI entries the services use (REFERENCE.md "Uniswap V3"): the pool's price and
active liquidity, the NonfungiblePositionManager's positions and their calls, the SwapRouter's
`exactInputSingle`."""

from __future__ import annotations

from typing import Any

from ballast.common.evm.abi import function, struct_function

MAX_UINT128 = 2**128 - 1
"""`collect`'s amount0Max/amount1Max for "everything owed"."""

POSITION_MANAGER_ABI: list[dict[str, Any]] = [
    struct_function(
        "mint",
        "address token0, address token1, uint24 fee, int24 tickLower, int24 tickUpper, "
        "uint256 amount0Desired, uint256 amount1Desired, uint256 amount0Min, uint256 amount1Min, "
        "address recipient, uint256 deadline",
        "uint256 tokenId, uint128 liquidity, uint256 amount0, uint256 amount1",
    ),
    struct_function(
        "decreaseLiquidity",
        "uint256 tokenId, uint128 liquidity, uint256 amount0Min, uint256 amount1Min, "
        "uint256 deadline",
        "uint256 amount0, uint256 amount1",
    ),
    struct_function(
        "collect",
        "uint256 tokenId, address recipient, uint128 amount0Max, uint128 amount1Max",
        "uint256 amount0, uint256 amount1",
    ),
    function("burn", "uint256 tokenId", mutable=True),
    function("multicall", "bytes[] data", "bytes[] results", mutable=True),
    function("balanceOf", "address owner", "uint256"),
    function("tokenOfOwnerByIndex", "address owner, uint256 index", "uint256"),
    function(
        "positions",
        "uint256 tokenId",
        "uint96 nonce, address operator, address token0, address token1, uint24 fee, "
        "int24 tickLower, int24 tickUpper, uint128 liquidity, uint256 feeGrowthInside0, "
        "uint256 feeGrowthInside1, uint128 tokensOwed0, uint128 tokensOwed1",
    ),
]
SWAP_ROUTER_ABI: list[dict[str, Any]] = [
    struct_function(
        "exactInputSingle",
        "address tokenIn, address tokenOut, uint24 fee, address recipient, uint256 deadline, "
        "uint256 amountIn, uint256 amountOutMinimum, uint160 sqrtPriceLimitX96",
        "uint256 amountOut",
    ),
]
POOL_ABI: list[dict[str, Any]] = [
    function(
        "slot0",
        "",
        "uint160 sqrtPriceX96, int24 tick, uint16 observationIndex, "
        "uint16 observationCardinality, uint16 observationCardinalityNext, "
        "uint8 feeProtocol, bool unlocked",
    ),
    function("liquidity", "", "uint128"),
]
