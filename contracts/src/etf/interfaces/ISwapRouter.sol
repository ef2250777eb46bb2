// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title ISwapRouter
/// @notice The part of a Uniswap V2 router (UniswapV2Router02) the StakeBasket uses to trade one
///         of its assets for the other: an exact-input swap along a path, and the wrapped native
///         token the router pairs native CORE as (WCORE on Core, Uniswap's WETH9 on the devnet).
interface ISwapRouter {
    function WETH() external view returns (address);

    function swapExactTokensForTokens(
        uint256 amountIn,
        uint256 amountOutMin,
        address[] calldata path,
        address to,
        uint256 deadline
    ) external returns (uint256[] memory amounts);
}

/// @notice Wrapped native CORE (WETH9's interface): deposit native for tokens, withdraw back.
interface IWrappedNative is IERC20 {
    function deposit() external payable;

    function withdraw(uint256 amount) external;
}
