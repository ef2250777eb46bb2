// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {CoreSystem} from "./CoreSystem.sol";

/// @title CoreStakeHub
/// @notice Devnet stand-in for Core DAO's StakeHub system contract at
///         0x0000000000000000000000000000000000001010, with the real view ABI
///         (coredao-org/core-genesis-contract abi/StakeHub.abi) plus test setters.
/// @dev Install with `anvil_setCode`. Scores are keyed by OPERATOR address and read as
///      `getCandidateScores(op) = [total, CORE, hash, BTC]` (empty for an unknown candidate, as on
///      Core). Rewards are set by tests and paid from this contract's balance (fund it with
///      `anvil_setBalance`) by `claimReward()`, which emits `claimedReward` like Core.
/// @dev Core's agent-side claim, called by StakeHub only.
interface IAgentClaim {
    function claimReward(address delegator, uint256 settleRound)
        external
        returns (uint256 reward, int256 rewardUnclaimed, uint256 accStakedAmount);
}

contract CoreStakeHub is CoreSystem {
    /// @notice operator => [total, CORE, hash, BTC] (real getter: `candidateScoresMap(address,uint256)`).
    mapping(address => uint256[]) public candidateScoresMap;
    /// @notice delegator => unclaimed rewards per asset [CORE, hash, BTC].
    mapping(address => uint256[3]) internal _rewards;

    event claimedReward(address indexed delegator, uint256 amount);
    event received(address indexed from, uint256 amount);

    receive() external payable {
        if (msg.value != 0) {
            emit received(msg.sender, msg.value);
        }
    }

    /*----------------------------------------------------------- real views */

    /// @notice [total, CORE, hash, BTC] hybrid score of a candidate (operator address).
    function getCandidateScores(address candidate) external view returns (uint256[] memory) {
        return candidateScoresMap[candidate];
    }

    /// @notice Total hybrid scores of `candidates`; CandidateHub uses them to elect validators.
    ///         Nonpayable on Core (it snapshots state there); kept nonpayable so the ABI matches.
    function getHybridScore(address[] calldata candidates, uint256 /* round */ )
        external
        returns (uint256[] memory scores)
    {
        scores = new uint256[](candidates.length);
        for (uint256 i = 0; i < candidates.length; i++) {
            uint256[] storage s = candidateScoresMap[candidates[i]];
            scores[i] = s.length == 0 ? 0 : s[0];
        }
    }

    /// @notice Core's CoreAgent system contract, whose CORE rewards are claimed through here.
    address public constant CORE_AGENT = 0x0000000000000000000000000000000000001011;

    /// @notice Pay the caller's rewards (per asset [CORE, hash, BTC]) and emit `claimedReward`,
    ///         with the current core-genesis-contract signature (rewards, debtAmount). The CORE
    ///         entry includes what the CoreAgent at 0x...1011 has accrued (its
    ///         `claimReward(delegator, round)`, as Core's StakeHub calls each agent).
    function claimReward() external returns (uint256[] memory rewards, uint256 debtAmount) {
        uint256[3] memory r = _rewards[msg.sender];
        delete _rewards[msg.sender];
        if (CORE_AGENT.code.length != 0) {
            (uint256 agentReward,,) = IAgentClaim(CORE_AGENT).claimReward(msg.sender, block.timestamp / 86400);
            r[0] += agentReward;
        }
        rewards = new uint256[](3);
        uint256 total = 0;
        for (uint256 i = 0; i < 3; i++) {
            rewards[i] = r[i];
            total += r[i];
        }
        debtAmount = 0;
        if (total != 0) {
            (bool ok,) = payable(msg.sender).call{value: total}("");
            require(ok, "reward transfer failed");
            emit claimedReward(msg.sender, total);
        }
    }

    /*---------------------------------------------------------- test setters */

    /// @notice Test setter: a candidate's per-asset scores; the total is their sum.
    function setCandidateScores(address candidate, uint256 coreScore, uint256 hashScore, uint256 btcScore)
        external
    {
        uint256[] storage s = candidateScoresMap[candidate];
        delete candidateScoresMap[candidate];
        s.push(coreScore + hashScore + btcScore);
        s.push(coreScore);
        s.push(hashScore);
        s.push(btcScore);
    }

    /// @notice Test setter: rewards a delegator can claim, per asset.
    function setReward(address delegator, uint256 coreReward, uint256 hashReward, uint256 btcReward) external {
        _rewards[delegator] = [coreReward, hashReward, btcReward];
    }

    /// @notice Unclaimed rewards of a delegator, per asset [CORE, hash, BTC].
    function pendingReward(address delegator) external view returns (uint256[3] memory) {
        return _rewards[delegator];
    }
}
