// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title CoreSystem
/// @notice Fixed Core DAO system-contract addresses shared by the devnet stand-ins, and the
///         caller checks the real contracts use between one another (System.sol in
///         coredao-org/core-genesis-contract).
/// @dev The stand-ins are installed with `anvil_setCode`, which copies runtime code only: nothing
///      here may depend on a constructor. Test setters are deliberately unrestricted (devnet only);
///      the system-to-system entry points keep the real caller checks so the call graph matches Core.
abstract contract CoreSystem {
    address internal constant VALIDATOR_CONTRACT_ADDR = 0x0000000000000000000000000000000000001000;
    address internal constant SLASH_CONTRACT_ADDR = 0x0000000000000000000000000000000000001001;
    address internal constant SYSTEM_REWARD_ADDR = 0x0000000000000000000000000000000000001002;
    address internal constant CANDIDATE_HUB_ADDR = 0x0000000000000000000000000000000000001005;
    address internal constant STAKE_HUB_ADDR = 0x0000000000000000000000000000000000001010;

    /// @dev One round is one UTC day on Core: `roundTag = block.timestamp / 86400`.
    uint256 internal constant ROUND_INTERVAL = 86400;

    modifier onlyValidatorSet() {
        require(msg.sender == VALIDATOR_CONTRACT_ADDR, "the msg sender must be validatorSet contract");
        _;
    }

    modifier onlySlash() {
        require(msg.sender == SLASH_CONTRACT_ADDR, "the msg sender must be slash contract");
        _;
    }

    modifier onlyCandidate() {
        require(msg.sender == CANDIDATE_HUB_ADDR, "the msg sender must be candidate contract");
        _;
    }
}

/// @notice The slice of ValidatorSet (0x...1000) the other stand-ins call.
interface ICoreValidatorSet {
    function isValidator(address addr) external view returns (bool);
    function misdemeanor(address validator) external;
    function felony(address validator, uint256 felonyRound, uint256 felonyDeposit) external;
    function updateValidatorSet(
        address[] calldata operateAddrList,
        address[] calldata consensusAddrList,
        address payable[] calldata feeAddrList,
        uint256[] calldata commissionThousandthsList
    ) external;
}

/// @notice The slice of CandidateHub (0x...1005) the other stand-ins call.
interface ICoreCandidateHub {
    function jailValidator(address operateAddress, uint256 round, uint256 fine) external;
    function getRoundTag() external view returns (uint256);
}

/// @notice The slice of SlashIndicator (0x...1001) the other stand-ins call.
interface ICoreSlashIndicator {
    function clean() external;
}

/// @notice The slice of StakeHub (0x...1010) the other stand-ins call.
interface ICoreStakeHub {
    function getHybridScore(address[] calldata candidates, uint256 round) external returns (uint256[] memory scores);
}
