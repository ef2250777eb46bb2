// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {GovernorCountingQuadratic} from "./GovernorCountingQuadratic.sol";

/// @title PstrGovernor
/// @notice Governor of the PSTR protocol (PSTR seed, "Governance Integration"): gPSTR votes with
///         square-root power and a 1.5x staked weight, four proposal types with their own quorum and
///         approval thresholds (see GovernorCountingQuadratic), and every passed proposal executed
///         by a TimelockController after its delay.
/// @dev Timing is in blocks (the token's ERC-6372 clock): voting delay and period are set at
///      deployment and changeable by governance (GovernorSettings); the proposal threshold is in
///      voting power (sqrt of base units: 1 whole token alone = 1e9). Deploy the timelock first, then
///      grant this governor its PROPOSER_ROLE and CANCELLER_ROLE, open EXECUTOR_ROLE to everyone
///      (address(0)) or to keepers, and renounce the deployer's admin role.
///      Events: OpenZeppelin's ProposalCreated / VoteCast / ProposalQueued / ProposalExecuted /
///      ProposalCanceled, plus ProposalTyped(proposalId, proposalType) right after ProposalCreated.
contract PstrGovernor is Governor, GovernorSettings, GovernorCountingQuadratic, GovernorTimelockControl {
    constructor(
        IVotes gPstr,
        TimelockController timelock,
        uint48 votingDelayBlocks,
        uint32 votingPeriodBlocks,
        uint256 proposalThresholdPower
    )
        Governor("PSTR Governor")
        GovernorSettings(votingDelayBlocks, votingPeriodBlocks, proposalThresholdPower)
        GovernorVotes(gPstr)
        GovernorTimelockControl(timelock)
    {}

    // ------------------------------------------------ overrides required by Solidity

    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    function state(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (ProposalState)
    {
        return super.state(proposalId);
    }

    function proposalNeedsQueuing(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (bool)
    {
        return super.proposalNeedsQueuing(proposalId);
    }

    function _propose(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        string memory description,
        address proposer
    ) internal override(Governor, GovernorCountingQuadratic) returns (uint256) {
        return super._propose(targets, values, calldatas, description, proposer);
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
