// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IStakeHub
/// @notice The slice of Core DAO's StakeHub (system contract 0x...1010) that claims staking
///         rewards: `claimReward() returns (uint256[] rewards, uint256 debtAmount)` as in current
///         coredao-org/core-genesis-contract StakeHub.sol (REFERENCE.md "Rewards are claimed from
///         StakeHub"), one entry per asset [CORE, hash, BTC], paid to the caller in native CORE.
///         CoreAgent has no claim function of its own.
interface IStakeHub {
    function claimReward() external returns (uint256[] memory rewards, uint256 debtAmount);
}
