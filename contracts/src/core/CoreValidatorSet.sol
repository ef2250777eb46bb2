// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {CoreSystem, ICoreCandidateHub} from "./CoreSystem.sol";

/// @title CoreValidatorSet
/// @notice Devnet stand-in for Core DAO's ValidatorSet system contract at
///         0x0000000000000000000000000000000000001000, with the real view ABI
///         (coredao-org/core-genesis-contract abi/ValidatorSet.abi) plus test setters.
/// @dev Install with `anvil_setCode(0x...1000, deployedBytecode)`; all state starts empty and
///      nothing depends on a constructor. As on Core, `validatorMisdemeanor` / `validatorFelony`
///      carry the validator's OPERATOR address (their parameter is named `validator`), while every
///      lookup here is keyed by CONSENSUS address. Rewards are bookkeeping only: `income` is a
///      number, no CORE moves.
contract CoreValidatorSet is CoreSystem {
    struct Validator {
        address operateAddress;
        address consensusAddress;
        address payable feeAddress;
        uint256 commissionThousandths;
        uint256 income;
    }

    /// @notice The validators of the current round (real getter: `currentValidatorSet(uint256)`).
    Validator[] public currentValidatorSet;
    /// @notice consensus address => index in `currentValidatorSet` + 1 (0 = not a validator).
    mapping(address => uint256) public currentValidatorSetMap;
    /// @notice Sum of the validators' `income` this round.
    uint256 public totalInCome;

    event validatorSetUpdated();
    event validatorDeposit(address indexed validator, uint256 amount);
    event validatorMisdemeanor(address indexed validator, uint256 amount);
    event validatorFelony(address indexed validator, uint256 amount);
    event received(address indexed from, uint256 amount);

    receive() external payable {
        if (msg.value != 0) {
            emit received(msg.sender, msg.value);
        }
    }

    /*----------------------------------------------------------- real views */

    /// @notice Whether `addr` is the consensus address of a validator of the current round.
    function isValidator(address addr) public view returns (bool) {
        return currentValidatorSetMap[addr] != 0;
    }

    /// @notice Consensus addresses of the current round's validators.
    function getValidators() external view returns (address[] memory consensusAddrs) {
        uint256 n = currentValidatorSet.length;
        consensusAddrs = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            consensusAddrs[i] = currentValidatorSet[i].consensusAddress;
        }
    }

    /// @notice Operator addresses of the current round's validators, in the same order.
    function getValidatorOps() external view returns (address[] memory operateAddrs) {
        uint256 n = currentValidatorSet.length;
        operateAddrs = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            operateAddrs[i] = currentValidatorSet[i].operateAddress;
        }
    }

    /// @notice Income accrued this round by the validator with consensus address `validator`.
    function getIncoming(address validator) external view returns (uint256) {
        uint256 index = currentValidatorSetMap[validator];
        if (index == 0) {
            return 0;
        }
        return currentValidatorSet[index - 1].income;
    }

    /*------------------------------------------- system entry points (real) */

    /// @notice Replaces the validator set; on Core only CandidateHub calls this, at turn round.
    function updateValidatorSet(
        address[] calldata operateAddrList,
        address[] calldata consensusAddrList,
        address payable[] calldata feeAddrList,
        uint256[] calldata commissionThousandthsList
    ) external onlyCandidate {
        if (consensusAddrList.length == 0) {
            return; // Core keeps the old set when the election is empty
        }
        _replaceSet(operateAddrList, consensusAddrList, feeAddrList, commissionThousandthsList);
    }

    /// @notice Misdemeanor (missed-block count hit the misdemeanor threshold): the validator's
    ///         income this round is forfeited and shared among the other validators.
    function misdemeanor(address validator) external onlySlash {
        uint256 index = currentValidatorSetMap[validator];
        if (index == 0) {
            return;
        }
        index -= 1;
        uint256 income = currentValidatorSet[index].income;
        currentValidatorSet[index].income = 0;
        emit validatorMisdemeanor(currentValidatorSet[index].operateAddress, income);
        uint256 rest = currentValidatorSet.length - 1;
        if (rest == 0) {
            return;
        }
        uint256 share = income / rest;
        for (uint256 i = 0; i < currentValidatorSet.length; i++) {
            if (i != index) {
                currentValidatorSet[i].income += share;
            }
        }
        totalInCome -= income - share * rest;
    }

    /// @notice Felony (count hit the felony threshold): the validator leaves the set, its income is
    ///         shared, and CandidateHub jails it for `felonyRound` rounds and fines `felonyDeposit`.
    function felony(address validator, uint256 felonyRound, uint256 felonyDeposit) external onlySlash {
        uint256 index = currentValidatorSetMap[validator];
        if (index == 0) {
            return;
        }
        index -= 1;
        uint256 income = currentValidatorSet[index].income;
        uint256 rest = currentValidatorSet.length - 1;
        if (rest == 0) {
            // Core never removes its last validator.
            currentValidatorSet[index].income = 0;
            totalInCome -= income;
            return;
        }
        address operateAddress = currentValidatorSet[index].operateAddress;
        emit validatorFelony(operateAddress, income);
        delete currentValidatorSetMap[validator];
        uint256 last = currentValidatorSet.length - 1;
        if (index != last) {
            currentValidatorSet[index] = currentValidatorSet[last];
            currentValidatorSetMap[currentValidatorSet[index].consensusAddress] = index + 1;
        }
        currentValidatorSet.pop();
        uint256 share = income / rest;
        for (uint256 i = 0; i < currentValidatorSet.length; i++) {
            currentValidatorSet[i].income += share;
        }
        totalInCome -= income - share * rest;
        ICoreCandidateHub(CANDIDATE_HUB_ADDR).jailValidator(operateAddress, felonyRound, felonyDeposit);
    }

    /*---------------------------------------------------------- test setters */

    /// @notice Test setter: replace the whole validator set (emits `validatorSetUpdated`).
    function setValidatorSet(
        address[] calldata operateAddrList,
        address[] calldata consensusAddrList,
        address payable[] calldata feeAddrList,
        uint256[] calldata commissionThousandthsList
    ) external {
        _replaceSet(operateAddrList, consensusAddrList, feeAddrList, commissionThousandthsList);
    }

    /// @notice Test setter: set the round income of the validator with consensus address `validator`.
    function setIncome(address validator, uint256 income) external {
        uint256 index = currentValidatorSetMap[validator];
        require(index != 0, "not a validator");
        Validator storage v = currentValidatorSet[index - 1];
        totalInCome = totalInCome - v.income + income;
        v.income = income;
        emit validatorDeposit(validator, income);
    }

    /// @notice Test setter: set a validator's commission (thousandths) in the current set.
    function setCommission(address validator, uint256 commissionThousandths) external {
        uint256 index = currentValidatorSetMap[validator];
        require(index != 0, "not a validator");
        require(commissionThousandths <= 1000, "commissionThousandths out of bound");
        currentValidatorSet[index - 1].commissionThousandths = commissionThousandths;
    }

    /*-------------------------------------------------------------- internal */

    function _replaceSet(
        address[] calldata operateAddrList,
        address[] calldata consensusAddrList,
        address payable[] calldata feeAddrList,
        uint256[] calldata commissionThousandthsList
    ) internal {
        uint256 n = consensusAddrList.length;
        require(
            operateAddrList.length == n && feeAddrList.length == n && commissionThousandthsList.length == n,
            "validator list lengths differ"
        );
        uint256 old = currentValidatorSet.length;
        for (uint256 i = 0; i < old; i++) {
            delete currentValidatorSetMap[currentValidatorSet[i].consensusAddress];
        }
        delete currentValidatorSet;
        for (uint256 i = 0; i < n; i++) {
            require(commissionThousandthsList[i] <= 1000, "commissionThousandths out of bound");
            require(currentValidatorSetMap[consensusAddrList[i]] == 0, "duplicate consensus address");
            currentValidatorSet.push(
                Validator(operateAddrList[i], consensusAddrList[i], feeAddrList[i], commissionThousandthsList[i], 0)
            );
            currentValidatorSetMap[consensusAddrList[i]] = i + 1;
        }
        totalInCome = 0;
        emit validatorSetUpdated();
    }
}
