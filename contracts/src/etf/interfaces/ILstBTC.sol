// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title ILstBTC
/// @notice What the StakingManager needs from a liquid staked BTC token: lstBTC is minted 1:1
///         for BTC staked on Core, carries 8 decimals and earns its yield in CORE (no exchange
///         rate), per REFERENCE.md "lstBTC".
/// @dev On Core mainnet, lstBTC (0x...10001) is minted by BitcoinLSTStake against a Bitcoin
///      staking transaction, not from coreBTC. This two-call adapter (`mint` pulls coreBTC,
///      `redeem` returns it) is the boundary a production wrapper must implement; the devnet uses
///      MockLstBTC behind it.
interface ILstBTC is IERC20 {
    /// @notice Pull `btcAmount` coreBTC from the caller and mint the same amount of lstBTC to it.
    function mint(uint256 btcAmount) external;

    /// @notice Burn `lstAmount` lstBTC of the caller and return the same amount of coreBTC.
    function redeem(uint256 lstAmount) external;
}
