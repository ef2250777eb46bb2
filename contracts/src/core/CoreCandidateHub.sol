// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {CoreSystem, ICoreValidatorSet, ICoreSlashIndicator, ICoreStakeHub} from "./CoreSystem.sol";

/// @title CoreCandidateHub
/// @notice Devnet stand-in for Core DAO's CandidateHub system contract at
///         0x0000000000000000000000000000000000001005, with the real view ABI
///         (coredao-org/core-genesis-contract abi/CandidateHub.abi) plus test setters.
/// @dev Install with `anvil_setCode`. Storage starts zeroed, so parameters fall back to Core's
///      initial values (21 validators, 10,000 CORE margin, 100 CORE dues) until `init()` or a setter
///      stores them. Candidates are keyed by OPERATOR address; `jailMap` holds the release round.
///      `turnRound()` follows Core's workflow: take the next round tag, elect the top
///      `validatorCount()` candidates whose status is exactly "candidate" by StakeHub hybrid score
///      (commission forced to 1000 for a zero score, as Core does), push them to ValidatorSet, clean
///      SlashIndicator, release expired jails and emit `statusChanged` / `turnedRound`. The real round
///      tag is `block.timestamp / 86400`; here it is `block.timestamp / 86400 + roundTagOffset`, and a
///      turn that would not advance the tag bumps the offset, so tests can turn rounds without
///      waiting a day. Margins are bookkeeping only (no CORE is held or moved).
contract CoreCandidateHub is CoreSystem {
    uint256 public constant INIT_REQUIRED_MARGIN = 1e22;
    uint256 public constant INIT_DUES = 1e20;
    uint256 public constant INIT_VALIDATOR_COUNT = 21;
    uint256 public constant MAX_COMMISSION_CHANGE = 10;

    uint256 public constant SET_CANDIDATE = 1;
    uint256 public constant SET_INACTIVE = 2;
    uint256 public constant DEL_INACTIVE = 0xFF - SET_INACTIVE;
    uint256 public constant SET_JAIL = 4;
    uint256 public constant DEL_JAIL = 0xFF - SET_JAIL;
    uint256 public constant SET_MARGIN = 8;
    uint256 public constant DEL_MARGIN = 0xFF - SET_MARGIN;
    uint256 public constant SET_VALIDATOR = 16;
    uint256 public constant DEL_VALIDATOR = 0xFF - SET_VALIDATOR;
    uint256 public constant ACTIVE_STATUS = SET_CANDIDATE | SET_VALIDATOR;

    struct Candidate {
        address operateAddr;
        address consensusAddr;
        address payable feeAddr;
        uint256 commissionThousandths;
        uint256 margin;
        uint256 status;
        uint256 commissionLastChangeRound;
        uint256 commissionLastRoundValue;
    }

    /// @notice All candidates (real getter: `candidateSet(uint256)`).
    Candidate[] public candidateSet;
    /// @notice operator address => index in `candidateSet` + 1 (0 = not a candidate).
    mapping(address => uint256) public operateMap;
    mapping(address => uint256) internal consensusMap;
    /// @notice operator address => round in which the jail ends (0 = not jailed).
    mapping(address => uint256) public jailMap;

    bool public alreadyInit;
    uint256 internal _roundTag;
    uint256 internal _validatorCount;
    uint256 internal _requiredMargin;
    uint256 internal _dues;
    /// @notice Added to `block.timestamp / 86400` to form the round tag (test clock control).
    uint256 public roundTagOffset;

    event registered(
        address indexed operateAddr,
        address indexed consensusAddr,
        address indexed feeAddress,
        uint256 commissionThousandths,
        uint256 margin
    );
    event unregistered(address indexed operateAddr, address indexed consensusAddr);
    event updated(
        address indexed operateAddr, address indexed consensusAddr, address indexed feeAddress, uint256 commissionThousandths
    );
    event deductedMargin(address indexed operateAddr, uint256 margin, uint256 totalMargin);
    event statusChanged(address indexed operateAddr, uint256 oldStatus, uint256 newStatus);
    event turnedRound(uint256 round);

    /*--------------------------------------------------------------- init */

    /// @notice Stores Core's initial parameters and the current round tag (idempotent).
    function init() public {
        if (alreadyInit) {
            return;
        }
        _roundTag = block.timestamp / ROUND_INTERVAL + roundTagOffset;
        _validatorCount = INIT_VALIDATOR_COUNT;
        _requiredMargin = INIT_REQUIRED_MARGIN;
        _dues = INIT_DUES;
        alreadyInit = true;
    }

    /*----------------------------------------------------------- real views */

    /// @notice The current round (a UTC day index on Core).
    function getRoundTag() public view returns (uint256) {
        return alreadyInit ? _roundTag : block.timestamp / ROUND_INTERVAL + roundTagOffset;
    }

    /// @notice Same as `getRoundTag()` (Core exposes both).
    function roundTag() external view returns (uint256) {
        return getRoundTag();
    }

    function getRoundInterval() external pure returns (uint256) {
        return ROUND_INTERVAL;
    }

    function roundInterval() external pure returns (uint256) {
        return ROUND_INTERVAL;
    }

    /// @notice How many validators each round elects (governed on Core; initially 21).
    function validatorCount() public view returns (uint256) {
        return alreadyInit ? _validatorCount : INIT_VALIDATOR_COUNT;
    }

    function requiredMargin() public view returns (uint256) {
        return alreadyInit ? _requiredMargin : INIT_REQUIRED_MARGIN;
    }

    function dues() public view returns (uint256) {
        return alreadyInit ? _dues : INIT_DUES;
    }

    /// @notice Operator addresses of all candidates.
    function getCandidates() external view returns (address[] memory opAddrs) {
        uint256 n = candidateSet.length;
        opAddrs = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            opAddrs[i] = candidateSet[i].operateAddr;
        }
    }

    /// @notice Whether the operator is jailed: its release round has not yet passed.
    function isJailed(address operateAddr) external view returns (bool) {
        uint256 releaseRound = jailMap[operateAddr];
        return releaseRound != 0 && releaseRound >= getRoundTag();
    }

    function isCandidateByOperate(address operateAddr) external view returns (bool) {
        return operateMap[operateAddr] != 0;
    }

    function isCandidateByConsensus(address consensusAddr) external view returns (bool) {
        return consensusMap[consensusAddr] != 0;
    }

    /// @notice Whether the candidate is a validator this round (status bit 16).
    function isValidator(address candidate) external view returns (bool) {
        uint256 index = operateMap[candidate];
        return index != 0 && candidateSet[index - 1].status & SET_VALIDATOR != 0;
    }

    /// @notice Whether the candidate accepts delegation (status is 1 or 17).
    function canDelegate(address agent) external view returns (bool) {
        uint256 index = operateMap[agent];
        if (index == 0) {
            return false;
        }
        uint256 status = candidateSet[index - 1].status;
        return status == (status & ACTIVE_STATUS);
    }

    /*------------------------------------------- system entry points (real) */

    /// @notice Jail an operator for `round` rounds and fine `fine` from its margin; on Core only
    ///         ValidatorSet calls this on a felony. A margin that cannot pay dues + fine removes the
    ///         candidate, as on Core.
    function jailValidator(address operateAddress, uint256 round, uint256 fine) external onlyValidatorSet {
        init();
        uint256 index = operateMap[operateAddress];
        if (index == 0) {
            return;
        }
        Candidate storage c = candidateSet[index - 1];
        uint256 margin = c.margin;
        if (margin >= _dues && margin - _dues >= fine) {
            uint256 status = c.status | SET_JAIL;
            uint256 current = jailMap[operateAddress];
            jailMap[operateAddress] = current > 0 ? current + round : _roundTag + round;
            uint256 totalMargin = margin - fine;
            c.margin = totalMargin;
            emit deductedMargin(operateAddress, fine, totalMargin);
            if (totalMargin < _requiredMargin) {
                status |= SET_MARGIN;
            }
            _changeStatus(c, status);
        } else {
            _removeCandidate(index);
            emit deductedMargin(operateAddress, margin, 0);
        }
    }

    /// @notice Start the next round (see the contract notes). Anyone may call it on the devnet.
    function turnRound() external {
        init();
        uint256 next = block.timestamp / ROUND_INTERVAL + roundTagOffset;
        if (next <= _roundTag) {
            roundTagOffset += _roundTag + 1 - next;
            next = _roundTag + 1;
        }
        _roundTag = next;

        uint256 n = candidateSet.length;
        uint256[] memory statusList = new uint256[](n);
        uint256 eligible = 0;
        for (uint256 i = 0; i < n; i++) {
            statusList[i] = candidateSet[i].status & DEL_VALIDATOR;
            if (statusList[i] == SET_CANDIDATE) {
                eligible++;
            }
        }
        address[] memory candidates = new address[](eligible);
        uint256 j = 0;
        for (uint256 i = 0; i < n; i++) {
            if (statusList[i] == SET_CANDIDATE) {
                candidates[j++] = candidateSet[i].operateAddr;
            }
        }
        uint256[] memory scores = ICoreStakeHub(STAKE_HUB_ADDR).getHybridScore(candidates, next);
        uint256 count = _sortByScore(candidates, scores, _validatorCount);

        address[] memory ops = new address[](count);
        address[] memory cons = new address[](count);
        address payable[] memory fees = new address payable[](count);
        uint256[] memory commissions = new uint256[](count);
        for (uint256 i = 0; i < count; i++) {
            uint256 index = operateMap[candidates[i]];
            Candidate storage c = candidateSet[index - 1];
            ops[i] = c.operateAddr;
            cons[i] = c.consensusAddr;
            fees[i] = c.feeAddr;
            commissions[i] = scores[i] == 0 ? 1000 : c.commissionThousandths;
            statusList[index - 1] |= SET_VALIDATOR;
        }
        ICoreValidatorSet(VALIDATOR_CONTRACT_ADDR).updateValidatorSet(ops, cons, fees, commissions);
        ICoreSlashIndicator(SLASH_CONTRACT_ADDR).clean();

        for (uint256 i = 0; i < n; i++) {
            address op = candidateSet[i].operateAddr;
            uint256 releaseRound = jailMap[op];
            if (releaseRound != 0 && releaseRound <= next) {
                statusList[i] &= DEL_JAIL;
                delete jailMap[op];
            }
        }
        for (uint256 i = 0; i < n; i++) {
            _changeStatus(candidateSet[i], statusList[i]);
        }
        emit turnedRound(next);
    }

    /*---------------------------------------------------------- test setters */

    /// @notice Test setter: register a candidate with an explicit status (e.g. 17 = validator).
    ///         The commission is recorded as last changed in the current round.
    function registerCandidate(
        address operateAddr,
        address consensusAddr,
        address payable feeAddr,
        uint256 commissionThousandths,
        uint256 margin,
        uint256 status
    ) external {
        init();
        require(operateMap[operateAddr] == 0, "candidate already exists");
        require(consensusMap[consensusAddr] == 0, "consensus already exists");
        require(operateAddr != address(0) && consensusAddr != address(0), "zero address");
        require(commissionThousandths <= 1000, "commissionThousandths out of bound");
        candidateSet.push(
            Candidate(
                operateAddr, consensusAddr, feeAddr, commissionThousandths, margin, status, _roundTag, commissionThousandths
            )
        );
        uint256 index = candidateSet.length;
        operateMap[operateAddr] = index;
        consensusMap[consensusAddr] = index;
        emit registered(operateAddr, consensusAddr, feeAddr, commissionThousandths, margin);
    }

    /// @notice Test setter: remove a candidate (as `unregister()` does on Core).
    function removeCandidate(address operateAddr) external {
        uint256 index = operateMap[operateAddr];
        require(index != 0, "candidate does not exist");
        _removeCandidate(index);
    }

    /// @notice Test setter: overwrite the status bits (emits `statusChanged` when they change).
    function setStatus(address operateAddr, uint256 status) external {
        _changeStatus(_candidate(operateAddr), status);
    }

    /// @notice Test setter: jail until `releaseRound` (inclusive) and set the jail bit.
    function jail(address operateAddr, uint256 releaseRound) external {
        Candidate storage c = _candidate(operateAddr);
        jailMap[operateAddr] = releaseRound;
        _changeStatus(c, c.status | SET_JAIL);
    }

    /// @notice Test setter: release from jail now and clear the jail bit.
    function release(address operateAddr) external {
        Candidate storage c = _candidate(operateAddr);
        delete jailMap[operateAddr];
        _changeStatus(c, c.status & DEL_JAIL);
    }

    /// @notice Test setter: change the commission the way Core's `update()` records it: the first
    ///         change in a round saves the previous value as `commissionLastRoundValue`.
    function setCommission(address operateAddr, uint256 commissionThousandths) external {
        init();
        Candidate storage c = _candidate(operateAddr);
        require(commissionThousandths <= 1000, "commissionThousandths out of bound");
        if (c.commissionLastChangeRound != _roundTag) {
            c.commissionLastChangeRound = _roundTag;
            c.commissionLastRoundValue = c.commissionThousandths;
        }
        c.commissionThousandths = commissionThousandths;
        emit updated(operateAddr, c.consensusAddr, c.feeAddr, commissionThousandths);
    }

    /// @notice Test setter: set the margin; the margin-low bit follows `requiredMargin()`.
    function setMargin(address operateAddr, uint256 margin) external {
        init();
        Candidate storage c = _candidate(operateAddr);
        c.margin = margin;
        uint256 status = margin < _requiredMargin ? c.status | SET_MARGIN : c.status & DEL_MARGIN;
        _changeStatus(c, status);
    }

    function setValidatorCount(uint256 count) external {
        init();
        _validatorCount = count;
    }

    function setRequiredMargin(uint256 margin, uint256 dues_) external {
        init();
        _requiredMargin = margin;
        _dues = dues_;
    }

    /// @notice Test setter: shift the round clock; takes effect at the next `turnRound()` (or at
    ///         once if nothing has been initialised yet).
    function setRoundTagOffset(uint256 offset) external {
        roundTagOffset = offset;
    }

    /*-------------------------------------------------------------- internal */

    function _candidate(address operateAddr) internal view returns (Candidate storage) {
        uint256 index = operateMap[operateAddr];
        require(index != 0, "candidate does not exist");
        return candidateSet[index - 1];
    }

    function _changeStatus(Candidate storage c, uint256 newStatus) internal {
        uint256 oldStatus = c.status;
        if (oldStatus != newStatus) {
            c.status = newStatus;
            emit statusChanged(c.operateAddr, oldStatus, newStatus);
        }
    }

    function _removeCandidate(uint256 index) internal {
        Candidate storage c = candidateSet[index - 1];
        emit unregistered(c.operateAddr, c.consensusAddr);
        delete operateMap[c.operateAddr];
        delete consensusMap[c.consensusAddr];
        uint256 last = candidateSet.length;
        if (index != last) {
            candidateSet[index - 1] = candidateSet[last - 1];
            operateMap[candidateSet[index - 1].operateAddr] = index;
            consensusMap[candidateSet[index - 1].consensusAddr] = index;
        }
        candidateSet.pop();
    }

    /// @dev Sorts candidates by score, highest first (stable for ties), in place; returns how
    ///      many are elected. Candidate lists on a devnet are small, so insertion sort is enough.
    function _sortByScore(address[] memory candidates, uint256[] memory scores, uint256 count)
        internal
        pure
        returns (uint256)
    {
        for (uint256 i = 1; i < candidates.length; i++) {
            address a = candidates[i];
            uint256 s = scores[i];
            uint256 k = i;
            while (k > 0 && scores[k - 1] < s) {
                candidates[k] = candidates[k - 1];
                scores[k] = scores[k - 1];
                k--;
            }
            candidates[k] = a;
            scores[k] = s;
        }
        return count < candidates.length ? count : candidates.length;
    }
}
