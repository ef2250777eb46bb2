// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @notice What the counting module reads from the token besides ERC-5805 votes.
interface IStakedVotes {
    function getPastStaked(address account, uint256 timepoint) external view returns (uint256);
    function getPastTotalStaked(uint256 timepoint) external view returns (uint256);
}

/// @title GovernorCountingQuadratic
/// @notice Vote counting for PSTR governance (PSTR seed, "Governance Integration"): square-root
///         voting power, a 1.5x weight for staked tokens, and four proposal types, each with its own
///         quorum and approval threshold.
///
///         Weight and power. At a proposal's snapshot an account has
///             weight = votes + 1.5 * staked        (token base units, rounded down)
///             power  = floor(sqrt(weight))         (sqrt(base units): 1 token alone = 1e9)
///         where `votes` are its ERC20Votes liquid votes (own balance plus delegations) and `staked`
///         its own staked gPSTR. We weight first and take one square root (rather than
///         sqrt(liquid) + 1.5 * sqrt(staked)) because the sum of two roots pays a holder for
///         splitting tokens between the buckets: with x tokens, sqrt(l) + 1.5 * sqrt(s) peaks at
///         l/s = 1/2.25 and beats staking everything (1.80 vs 1.50 * sqrt(x)), so the "multiplier"
///         would punish full staking. sqrt(l + 1.5 s) is monotone in staking, has no split optimum,
///         treats a staked token as 1.5 tokens, and then applies the seed's square-root scaling for
///         large holders to the result. (A fully staked holder's power is therefore sqrt(1.5) =
///         1.22x that of a liquid one; the 1.5x applies to tokens, before scaling.) Delegated liquid
///         votes are pooled in the delegate and rooted together.
///
///         Tally. `forVotes` / `againstVotes` / `abstainVotes` are sums of power. A proposal passes
///         when quorum is reached and forVotes * 10000 >= approvalThresholdBps * (forVotes +
///         againstVotes), with forVotes > 0 (so exactly at the threshold passes).
///
///         Quorum basis. Quorum is turnout measured in WEIGHT, not power: the weight of For and
///         Abstain voters (as in OpenZeppelin's simple counting, Against does not count, so voting
///         against never helps a proposal reach quorum) must reach quorumBps of the total weight
///         at the snapshot, totalSupply + 0.5 * totalStaked. Weight is used because square roots
///         are sub-additive: against sqrt(total supply) a single holder of 1% of the supply would
///         already meet a "10%" quorum. In weight, 10% means what it says: tokens worth 10% of the
///         supply took part.
///
///         Types (quorum / approval, in basis points), bounded by the seed's 10-25% and 51-75%:
///         Parameter Adjustment 1000 / 5100, Treasury Strategy 1500 / 6000, Emergency Action
///         2000 / 6667, Protocol Upgrade 2500 / 7500. Each proposal keeps the numbers of its type as
///         they were when it was created. An untyped `propose` is a Protocol Upgrade, the strictest
///         type, so leaving the type out can never lower the bar.
abstract contract GovernorCountingQuadratic is GovernorVotes {
    enum ProposalType {
        ParameterAdjustment,
        TreasuryStrategy,
        ProtocolUpgrade,
        EmergencyAction
    }

    struct TypeParams {
        uint16 quorumBps;
        uint16 approvalBps;
    }

    struct ProposalTally {
        uint256 againstVotes;
        uint256 forVotes;
        uint256 abstainVotes;
        uint256 quorumWeight;
        ProposalType proposalType;
        uint16 quorumBps;
        uint16 approvalBps;
        mapping(address voter => bool) hasVoted;
    }

    uint256 public constant BPS = 10_000;
    uint256 public constant MIN_QUORUM_BPS = 1000;
    uint256 public constant MAX_QUORUM_BPS = 2500;
    uint256 public constant MIN_APPROVAL_BPS = 5100;
    uint256 public constant MAX_APPROVAL_BPS = 7500;

    mapping(ProposalType => TypeParams) private _typeParams;
    mapping(uint256 proposalId => ProposalTally) private _tallies;
    /// @dev Type requested by `proposeTyped` for the proposal being created; 0 = none.
    uint8 private _pendingType;

    /// @notice Emitted with every ProposalCreated: the type that sets the proposal's thresholds.
    event ProposalTyped(uint256 indexed proposalId, ProposalType proposalType);
    event ProposalTypeParamsSet(ProposalType indexed proposalType, uint256 quorumBps, uint256 approvalBps);

    error GovernorInvalidTypeParams(uint256 quorumBps, uint256 approvalBps);

    constructor() {
        _setTypeParams(ProposalType.ParameterAdjustment, 1000, 5100);
        _setTypeParams(ProposalType.TreasuryStrategy, 1500, 6000);
        _setTypeParams(ProposalType.ProtocolUpgrade, 2500, 7500);
        _setTypeParams(ProposalType.EmergencyAction, 2000, 6667);
    }

    /*-------------------------------------------------------------- propose */

    /// @notice `propose` with an explicit proposal type.
    function proposeTyped(
        ProposalType kind,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory description
    ) public virtual returns (uint256) {
        _pendingType = uint8(kind) + 1;
        return propose(targets, values, calldatas, description);
    }

    function _propose(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory description,
        address proposer
    ) internal virtual override returns (uint256 proposalId) {
        proposalId = super._propose(targets, values, calldatas, description, proposer);
        ProposalType kind = _pendingType == 0 ? ProposalType.ProtocolUpgrade : ProposalType(_pendingType - 1);
        _pendingType = 0;
        ProposalTally storage tally = _tallies[proposalId];
        TypeParams memory params = _typeParams[kind];
        tally.proposalType = kind;
        tally.quorumBps = params.quorumBps;
        tally.approvalBps = params.approvalBps;
        emit ProposalTyped(proposalId, kind);
    }

    /*------------------------------------------------------------- settings */

    /// @notice Change a type's thresholds (only through a governance proposal). Open proposals
    ///         keep the thresholds they were created with.
    function setProposalTypeParams(ProposalType kind, uint256 quorumBps_, uint256 approvalBps_)
        public
        virtual
        onlyGovernance
    {
        _setTypeParams(kind, quorumBps_, approvalBps_);
    }

    /// @notice Current (quorumBps, approvalBps) of a proposal type.
    function typeParams(ProposalType kind) public view returns (uint256 quorumBps_, uint256 approvalBps_) {
        TypeParams memory params = _typeParams[kind];
        return (params.quorumBps, params.approvalBps);
    }

    function _setTypeParams(ProposalType kind, uint256 quorumBps_, uint256 approvalBps_) internal {
        if (
            quorumBps_ < MIN_QUORUM_BPS || quorumBps_ > MAX_QUORUM_BPS || approvalBps_ < MIN_APPROVAL_BPS
                || approvalBps_ > MAX_APPROVAL_BPS
        ) {
            revert GovernorInvalidTypeParams(quorumBps_, approvalBps_);
        }
        _typeParams[kind] = TypeParams(uint16(quorumBps_), uint16(approvalBps_));
        emit ProposalTypeParamsSet(kind, quorumBps_, approvalBps_);
    }

    /*---------------------------------------------------- weight and power */

    /// @notice Pre-root weight of `account` at `timepoint`: votes + 1.5 * staked (rounded down).
    function votingWeight(address account, uint256 timepoint) public view returns (uint256) {
        uint256 votes = token().getPastVotes(account, timepoint);
        uint256 staked = IStakedVotes(address(token())).getPastStaked(account, timepoint);
        return (2 * votes + 3 * staked) / 2;
    }

    /// @notice Total weight at `timepoint`: totalSupply + 0.5 * totalStaked (rounded down). Staked
    ///         tokens are part of the supply, so this is liquid + 1.5 * staked over all holders.
    function totalVotingWeight(uint256 timepoint) public view returns (uint256) {
        uint256 supply = token().getPastTotalSupply(timepoint);
        uint256 staked = IStakedVotes(address(token())).getPastTotalStaked(timepoint);
        return (2 * supply + staked) / 2;
    }

    /// @dev Voting power: floor(sqrt(weight)). Equals floor(sqrt(votes + 1.5 * staked)) exactly,
    ///      because floor(sqrt(floor(x))) == floor(sqrt(x)).
    function _getVotes(address account, uint256 timepoint, bytes memory /* params */ )
        internal
        view
        virtual
        override
        returns (uint256)
    {
        return Math.sqrt(votingWeight(account, timepoint));
    }

    /*------------------------------------------------------- per-proposal */

    // solhint-disable-next-line func-name-mixedcase
    function COUNTING_MODE() public pure virtual override returns (string memory) {
        return "support=bravo&quorum=for,abstain&power=sqrt";
    }

    function hasVoted(uint256 proposalId, address account) public view virtual override returns (bool) {
        return _tallies[proposalId].hasVoted[account];
    }

    /// @notice (against, for, abstain) power, in OpenZeppelin's GovernorCountingSimple order.
    function proposalVotes(uint256 proposalId)
        public
        view
        virtual
        returns (uint256 againstVotes_, uint256 forVotes_, uint256 abstainVotes_)
    {
        ProposalTally storage tally = _tallies[proposalId];
        return (tally.againstVotes, tally.forVotes, tally.abstainVotes);
    }

    function proposalType(uint256 proposalId) public view returns (ProposalType) {
        _requireExists(proposalId);
        return _tallies[proposalId].proposalType;
    }

    function forVotes(uint256 proposalId) public view returns (uint256) {
        return _tallies[proposalId].forVotes;
    }

    function againstVotes(uint256 proposalId) public view returns (uint256) {
        return _tallies[proposalId].againstVotes;
    }

    function abstainVotes(uint256 proposalId) public view returns (uint256) {
        return _tallies[proposalId].abstainVotes;
    }

    /// @notice Weight (not power) of the For and Abstain voters so far; compare with quorumRequired.
    function quorumWeight(uint256 proposalId) public view returns (uint256) {
        return _tallies[proposalId].quorumWeight;
    }

    function quorumBps(uint256 proposalId) public view returns (uint256) {
        _requireExists(proposalId);
        return _tallies[proposalId].quorumBps;
    }

    function approvalThresholdBps(uint256 proposalId) public view returns (uint256) {
        _requireExists(proposalId);
        return _tallies[proposalId].approvalBps;
    }

    /// @notice Weight the For and Abstain voters must reach: quorumBps * totalVotingWeight(snapshot)
    ///         / 10000. Before the snapshot block has passed it is estimated from the latest block.
    function quorumRequired(uint256 proposalId) public view returns (uint256) {
        _requireExists(proposalId);
        uint256 timepoint = proposalSnapshot(proposalId);
        uint256 latest = clock() - 1;
        if (timepoint > latest) {
            timepoint = latest;
        }
        return Math.mulDiv(totalVotingWeight(timepoint), _tallies[proposalId].quorumBps, BPS);
    }

    /// @notice The requirement of an untyped (Protocol Upgrade) proposal at `timepoint`. The
    ///         authoritative, per-proposal figure is `quorumRequired(proposalId)`.
    function quorum(uint256 timepoint) public view virtual override returns (uint256) {
        return Math.mulDiv(totalVotingWeight(timepoint), _typeParams[ProposalType.ProtocolUpgrade].quorumBps, BPS);
    }

    /*-------------------------------------------------------------- counting */

    function _quorumReached(uint256 proposalId) internal view virtual override returns (bool) {
        return _tallies[proposalId].quorumWeight >= quorumRequired(proposalId);
    }

    function _voteSucceeded(uint256 proposalId) internal view virtual override returns (bool) {
        ProposalTally storage tally = _tallies[proposalId];
        uint256 forPower = tally.forVotes;
        return forPower > 0 && forPower * BPS >= uint256(tally.approvalBps) * (forPower + tally.againstVotes);
    }

    /// @dev `totalWeight` is the voter's power (from `_getVotes`); the quorum counts its weight.
    function _countVote(uint256 proposalId, address account, uint8 support, uint256 totalWeight, bytes memory)
        internal
        virtual
        override
        returns (uint256)
    {
        ProposalTally storage tally = _tallies[proposalId];
        if (tally.hasVoted[account]) {
            revert GovernorAlreadyCastVote(account);
        }
        tally.hasVoted[account] = true;
        if (support == 0) {
            tally.againstVotes += totalWeight;
        } else if (support == 1) {
            tally.forVotes += totalWeight;
            tally.quorumWeight += votingWeight(account, proposalSnapshot(proposalId));
        } else if (support == 2) {
            tally.abstainVotes += totalWeight;
            tally.quorumWeight += votingWeight(account, proposalSnapshot(proposalId));
        } else {
            revert GovernorInvalidVoteType();
        }
        return totalWeight;
    }

    function _requireExists(uint256 proposalId) private view {
        if (proposalSnapshot(proposalId) == 0) {
            revert GovernorNonexistentProposal(proposalId);
        }
    }
}
