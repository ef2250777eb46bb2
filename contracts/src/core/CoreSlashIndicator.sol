// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {CoreSystem, ICoreValidatorSet} from "./CoreSystem.sol";

/// @title CoreSlashIndicator
/// @notice Devnet stand-in for Core DAO's SlashIndicator system contract at
///         0x0000000000000000000000000000000000001001, with the real view ABI
///         (coredao-org/core-genesis-contract abi/SlashIndicator.abi) plus test setters.
/// @dev Install with `anvil_setCode`. Indicators are keyed by CONSENSUS address. `slash(validator)`
///      follows Core: it ignores non-validators, counts one missed block, and when the count reaches
///      a multiple of `felonyThreshold()` (150) resets it and calls ValidatorSet.felony (which jails
///      in CandidateHub); otherwise at a multiple of `misdemeanorThreshold()` (50) it calls
///      ValidatorSet.misdemeanor. Core lets only the block producer call `slash`; here anyone may.
///      Thresholds fall back to Core's initial values until a setter stores them.
contract CoreSlashIndicator is CoreSystem {
    uint256 public constant MISDEMEANOR_THRESHOLD = 50;
    uint256 public constant FELONY_THRESHOLD = 150;
    uint256 public constant DECREASE_RATE = 4;
    uint256 public constant INIT_FELONY_DEPOSIT = 1e21;
    uint256 public constant INIT_FELONY_ROUND = 2;

    struct Indicator {
        uint256 height;
        uint256 count;
        bool exist;
    }

    /// @notice Consensus addresses with an indicator, in first-slashed order.
    address[] public validators;
    /// @notice consensus address => (last slashed block, missed-block count, exist).
    mapping(address => Indicator) public indicators;

    bool public alreadyInit;
    uint256 internal _misdemeanorThreshold;
    uint256 internal _felonyThreshold;
    uint256 internal _felonyDeposit;
    uint256 internal _felonyRound;

    event validatorSlashed(address indexed validator);
    event indicatorCleaned();

    /// @notice Stores Core's initial thresholds (idempotent).
    function init() public {
        if (alreadyInit) {
            return;
        }
        _misdemeanorThreshold = MISDEMEANOR_THRESHOLD;
        _felonyThreshold = FELONY_THRESHOLD;
        _felonyDeposit = INIT_FELONY_DEPOSIT;
        _felonyRound = INIT_FELONY_ROUND;
        alreadyInit = true;
    }

    /*----------------------------------------------------------- real views */

    /// @notice (height of the last slash, missed-block count) of a consensus address.
    function getSlashIndicator(address validator) external view returns (uint256, uint256) {
        Indicator memory indicator = indicators[validator];
        return (indicator.height, indicator.count);
    }

    function misdemeanorThreshold() public view returns (uint256) {
        return alreadyInit ? _misdemeanorThreshold : MISDEMEANOR_THRESHOLD;
    }

    function felonyThreshold() public view returns (uint256) {
        return alreadyInit ? _felonyThreshold : FELONY_THRESHOLD;
    }

    /// @notice Rounds a felony jails for.
    function felonyRound() public view returns (uint256) {
        return alreadyInit ? _felonyRound : INIT_FELONY_ROUND;
    }

    /// @notice Margin a felony fines.
    function felonyDeposit() public view returns (uint256) {
        return alreadyInit ? _felonyDeposit : INIT_FELONY_DEPOSIT;
    }

    /*------------------------------------------- system entry points (real) */

    /// @notice Count one missed block for `validator` (consensus address); see the contract notes.
    function slash(address validator) public {
        init();
        if (!ICoreValidatorSet(VALIDATOR_CONTRACT_ADDR).isValidator(validator)) {
            return;
        }
        Indicator memory indicator = indicators[validator];
        if (indicator.exist) {
            indicator.count++;
        } else {
            indicator.exist = true;
            indicator.count = 1;
            validators.push(validator);
        }
        indicator.height = block.number;
        if (indicator.count % _felonyThreshold == 0) {
            indicator.count = 0;
            indicators[validator] = indicator;
            ICoreValidatorSet(VALIDATOR_CONTRACT_ADDR).felony(validator, _felonyRound, _felonyDeposit);
        } else {
            indicators[validator] = indicator;
            if (indicator.count % _misdemeanorThreshold == 0) {
                ICoreValidatorSet(VALIDATOR_CONTRACT_ADDR).misdemeanor(validator);
            }
        }
        emit validatorSlashed(validator);
    }

    /// @notice At turn round, every count drops by felonyThreshold / 4; counts at or below that
    ///         are deleted. On Core only CandidateHub calls this.
    function clean() external onlyCandidate {
        init();
        uint256 decrease = _felonyThreshold / DECREASE_RATE;
        uint256 i = 0;
        while (i < validators.length) {
            address v = validators[i];
            Indicator storage indicator = indicators[v];
            if (indicator.count > decrease) {
                indicator.count -= decrease;
                i++;
            } else {
                delete indicators[v];
                validators[i] = validators[validators.length - 1];
                validators.pop();
            }
        }
        emit indicatorCleaned();
    }

    /*---------------------------------------------------------- test setters */

    /// @notice Test setter: set the missed-block count without triggering any punishment; the next
    ///         `slash()` continues from it.
    function setSlashIndicator(address validator, uint256 count) external {
        init();
        Indicator storage indicator = indicators[validator];
        if (!indicator.exist) {
            indicator.exist = true;
            validators.push(validator);
        }
        indicator.count = count;
        indicator.height = block.number;
    }

    /// @notice Test helper: `slash(validator)` `times` times in one transaction.
    function slashTimes(address validator, uint256 times) external {
        for (uint256 i = 0; i < times; i++) {
            slash(validator);
        }
    }

    function setThresholds(uint256 misdemeanor, uint256 felony) external {
        require(misdemeanor != 0 && misdemeanor < felony, "misdemeanor must be in (0, felony)");
        init();
        _misdemeanorThreshold = misdemeanor;
        _felonyThreshold = felony;
    }

    function setFelonyPenalty(uint256 round, uint256 deposit) external {
        init();
        _felonyRound = round;
        _felonyDeposit = deposit;
    }
}
