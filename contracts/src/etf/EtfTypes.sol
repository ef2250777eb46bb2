// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice The two assets the StakeBasket accepts and pays out. Encoded as uint8 in the ABI:
///         0 = native CORE (18 decimals), 1 = coreBTC (ERC-20, 8 decimals).
enum Asset {
    CORE,
    CORE_BTC
}
