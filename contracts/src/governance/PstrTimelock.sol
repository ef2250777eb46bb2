// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title PstrTimelock
/// @notice The TimelockController that executes PstrGovernor's passed proposals after `minDelay`
///         seconds (PSTR seed, "Security Considerations": time-locked operations). It holds the
///         treasury assets and roles governance controls. Declared here only so the compile script
///         emits an artifact for it; it is OpenZeppelin's TimelockController unchanged.
/// @dev Deploy with `proposers = []`, `executors = [address(0)]` (anyone executes once the delay
///      has passed) and `admin = deployer`; then grant PROPOSER_ROLE and CANCELLER_ROLE to the
///      governor and renounce DEFAULT_ADMIN_ROLE, leaving the timelock administered by itself.
contract PstrTimelock is TimelockController {
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
