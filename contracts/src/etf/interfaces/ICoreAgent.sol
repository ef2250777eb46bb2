// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title ICoreAgent
/// @notice The slice of Core DAO's CoreAgent (system contract 0x...1011) that the StakingManager
///         uses to delegate CORE. Signatures of `delegateCoin`, `undelegateCoin`, `transferCoin`,
///         `getDelegator` and `rewardMap` follow coredao-org/core-genesis-contract CoreAgent.sol
///         (REFERENCE.md "CoreAgent"), so the manager can point at the real contract.
/// @dev Rewards are claimed through StakeHub (IStakeHub), as on Core: this interface has no
///      claim. One deliberate simplification: on Core, `rewardMap` only holds rewards settled by
///      the delegator's last action; the local stand-in also includes rounds not yet settled,
///      which is what NAV needs.
interface ICoreAgent {
    /// @notice Delegate `msg.value` CORE from the caller to `candidate` (an operator address).
    function delegateCoin(address candidate) external payable;

    /// @notice Undelegate `amount` CORE from `candidate`; the CORE is sent back to the caller.
    function undelegateCoin(address candidate, uint256 amount) external;

    /// @notice Move `amount` of the caller's stake from one candidate to another without unbonding.
    function transferCoin(address sourceCandidate, address targetCandidate, uint256 amount) external;

    /// @notice The caller-independent view of one delegation.
    /// @return stakedAmount stake that earns in the current round
    /// @return realtimeAmount stake including changes made during the current round
    /// @return transferredAmount stake moved in this round (still earning at the source)
    /// @return changeRound the round of the last change
    function getDelegator(address candidate, address delegator)
        external
        view
        returns (uint256 stakedAmount, uint256 realtimeAmount, uint256 transferredAmount, uint256 changeRound);

    /// @notice Rewards accrued to `delegator` and not yet claimed, in CORE wei.
    function rewardMap(address delegator) external view returns (uint256 reward, uint256 accStakedAmount);
}
