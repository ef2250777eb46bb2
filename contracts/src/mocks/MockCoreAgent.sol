// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ICoreAgent} from "../etf/interfaces/ICoreAgent.sol";

/// @title MockCoreAgent
/// @notice Devnet stand-in for Core's CoreAgent behind ICoreAgent: holds delegated CORE per
///         (candidate, delegator) and accrues rewards per round at a settable rate, paid in native
///         CORE from this contract's balance (fund it by sending CORE) when the StakeHub claims
///         them for a delegator (`claimReward(delegator, round)`, only from 0x...1010, as on Core).
/// @dev Rounds are explicit (`turnRound`, `setRound`) rather than `block.timestamp / 86400` so
///      tests control accrual exactly. Rewards use a global accumulator: every round adds
///      `rewardRatePerRound` (1e18 = 100% of stake per round) to `accRewardPerStake`, and a
///      delegator earns its total stake × the accumulator's growth since its last settlement. A
///      rate change applies only to rounds turned after it. Any address is accepted as candidate,
///      and stakedAmount equals realtimeAmount (no round-delayed activation): both are
///      simplifications of Core that the StakingManager does not depend on.
contract MockCoreAgent is ICoreAgent {
    struct Delegation {
        uint256 realtimeAmount;
        uint256 transferredAmount;
        uint256 changeRound;
    }

    /// @notice Core's StakeHub system contract: the only caller of `claimReward`.
    address public constant STAKE_HUB = 0x0000000000000000000000000000000000001010;

    uint256 public roundTag;
    uint256 public rewardRatePerRound; // 1e18 fixed point
    uint256 public accRewardPerStake; // 1e18 fixed point

    mapping(address candidate => mapping(address delegator => Delegation)) private _delegations;
    mapping(address candidate => uint256) public candidateStake;
    mapping(address delegator => uint256) public delegatorStake;
    mapping(address delegator => uint256) private _accrued;
    mapping(address delegator => uint256) private _debt;

    event delegatedCoin(address indexed candidate, address indexed delegator, uint256 amount, uint256 realtimeAmount);
    event undelegatedCoin(address indexed candidate, address indexed delegator, uint256 amount);
    event transferredCoin(
        address indexed sourceCandidate,
        address indexed targetCandidate,
        address indexed delegator,
        uint256 amount,
        uint256 realtimeAmount
    );
    event claimedReward(address indexed delegator, uint256 amount);
    event turnedRound(uint256 round);
    event RewardRateSet(uint256 ratePerRound);

    error ZeroAmount();
    error OnlyStakeHub(address caller);
    error InsufficientDelegation(uint256 requested, uint256 delegated);
    error SameCandidate();
    error RoundNotForward(uint256 current, uint256 requested);

    receive() external payable {}

    // ------------------------------------------------------------------ test controls

    function setRewardRatePerRound(uint256 rate) external {
        rewardRatePerRound = rate;
        emit RewardRateSet(rate);
    }

    /// @notice Advance one round, accruing one round of rewards.
    function turnRound() external {
        _advance(roundTag + 1);
    }

    /// @notice Jump forward to `round`, accruing every round in between.
    function setRound(uint256 round) external {
        if (round < roundTag) revert RoundNotForward(roundTag, round);
        _advance(round);
    }

    // ------------------------------------------------------------------ ICoreAgent

    function delegateCoin(address candidate) external payable {
        if (msg.value == 0) revert ZeroAmount();
        _settle(msg.sender);
        Delegation storage d = _delegations[candidate][msg.sender];
        d.realtimeAmount += msg.value;
        d.changeRound = roundTag;
        candidateStake[candidate] += msg.value;
        delegatorStake[msg.sender] += msg.value;
        emit delegatedCoin(candidate, msg.sender, msg.value, d.realtimeAmount);
    }

    function undelegateCoin(address candidate, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Delegation storage d = _delegations[candidate][msg.sender];
        if (amount > d.realtimeAmount) revert InsufficientDelegation(amount, d.realtimeAmount);
        _settle(msg.sender);
        d.realtimeAmount -= amount;
        d.changeRound = roundTag;
        candidateStake[candidate] -= amount;
        delegatorStake[msg.sender] -= amount;
        emit undelegatedCoin(candidate, msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    function transferCoin(address sourceCandidate, address targetCandidate, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (sourceCandidate == targetCandidate) revert SameCandidate();
        Delegation storage src = _delegations[sourceCandidate][msg.sender];
        if (amount > src.realtimeAmount) revert InsufficientDelegation(amount, src.realtimeAmount);
        Delegation storage dst = _delegations[targetCandidate][msg.sender];
        src.realtimeAmount -= amount;
        src.transferredAmount += amount;
        src.changeRound = roundTag;
        dst.realtimeAmount += amount;
        dst.changeRound = roundTag;
        candidateStake[sourceCandidate] -= amount;
        candidateStake[targetCandidate] += amount;
        emit transferredCoin(sourceCandidate, targetCandidate, msg.sender, amount, dst.realtimeAmount);
    }

    function getDelegator(address candidate, address delegator)
        external
        view
        returns (uint256 stakedAmount, uint256 realtimeAmount, uint256 transferredAmount, uint256 changeRound)
    {
        Delegation storage d = _delegations[candidate][delegator];
        return (d.realtimeAmount, d.realtimeAmount, d.transferredAmount, d.changeRound);
    }

    /// @notice Core's CoreAgent.candidateMap: CORE delegated to a candidate (staked, realtime).
    /// The stand-in has no round-delayed stake, so both figures are the realtime amount.
    function candidateMap(address candidate) external view returns (uint256 amount, uint256 realtimeAmount) {
        return (candidateStake[candidate], candidateStake[candidate]);
    }

    function rewardMap(address delegator) external view returns (uint256 reward, uint256 accStakedAmount) {
        return (_accrued[delegator] + _pending(delegator), delegatorStake[delegator]);
    }

    /// @notice Core's CoreAgent.claimReward(delegator, settleRound), callable only by the
    ///         StakeHub (Core's `onlyStakeHub`): settles the delegator and sends its CORE reward to
    ///         the StakeHub, which pays the delegator. Returns (reward, rewardUnclaimed,
    ///         accStakedAmount) as Core's does.
    function claimReward(address delegator, uint256 /* settleRound */ )
        external
        returns (uint256 reward, int256 rewardUnclaimed, uint256 accStakedAmount)
    {
        if (msg.sender != STAKE_HUB) revert OnlyStakeHub(msg.sender);
        _settle(delegator);
        reward = _accrued[delegator];
        _accrued[delegator] = 0;
        emit claimedReward(delegator, reward);
        if (reward > 0) Address.sendValue(payable(msg.sender), reward);
        return (reward, 0, delegatorStake[delegator]);
    }

    // ------------------------------------------------------------------ internals

    function _advance(uint256 round) private {
        accRewardPerStake += rewardRatePerRound * (round - roundTag);
        roundTag = round;
        emit turnedRound(round);
    }

    function _pending(address delegator) private view returns (uint256) {
        return (delegatorStake[delegator] * (accRewardPerStake - _debt[delegator])) / 1e18;
    }

    function _settle(address delegator) private {
        _accrued[delegator] += _pending(delegator);
        _debt[delegator] = accRewardPerStake;
    }
}
