// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {ERC20Wrapper} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Wrapper.sol";
import {Votes} from "@openzeppelin/contracts/governance/utils/Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title GovernanceToken (gPSTR)
/// @notice PSTR wrapped 1:1 for governance: `depositFor` PSTR to get gPSTR, `withdrawTo` to get it
///         back. gPSTR is ERC20Votes (block-number clock) with two changes and a staked balance:
///         - every holder votes with its own balance without having to call `delegate` first
///           (an unset delegate means "self"; `delegate(address(0))` returns to self);
///         - `stake(amount)` locks gPSTR in this contract and records it in a per-account
///           checkpointed staked balance; `unstake(amount)` returns it. The governor weights staked
///           tokens 1.5x (PSTR seed, "Governance Integration": staking multiplier).
/// @dev Staked tokens are held by this contract, so they leave the holder's (delegated) liquid
///      votes and appear in `getPastStaked` instead; the staked weight always belongs to the staker
///      and cannot be delegated. Both histories are block-number checkpoints, read by the governor
///      at each proposal's snapshot, so staking after a proposal's snapshot does not change its vote.
contract GovernanceToken is ERC20, ERC20Permit, ERC20Votes, ERC20Wrapper {
    using Checkpoints for Checkpoints.Trace208;

    mapping(address account => Checkpoints.Trace208) private _stakedCheckpoints;
    Checkpoints.Trace208 private _totalStakedCheckpoints;

    event Staked(address indexed account, uint256 amount, uint256 stakedBalance);
    event Unstaked(address indexed account, uint256 amount, uint256 stakedBalance);

    error InsufficientStake(address account, uint256 staked, uint256 requested);

    constructor(IERC20 pstr) ERC20("Governance PSTR", "gPSTR") ERC20Permit("Governance PSTR") ERC20Wrapper(pstr) {}

    /*--------------------------------------------------------------- staking */

    /// @notice Lock `amount` of the caller's gPSTR as staked (weighted 1.5x by the governor).
    function stake(uint256 amount) external {
        _transfer(msg.sender, address(this), amount);
        uint256 staked = stakedOf(msg.sender) + amount;
        _stakedCheckpoints[msg.sender].push(clock(), SafeCast.toUint208(staked));
        _totalStakedCheckpoints.push(clock(), SafeCast.toUint208(totalStaked() + amount));
        emit Staked(msg.sender, amount, staked);
    }

    /// @notice Unlock `amount` of the caller's staked gPSTR back to its liquid balance.
    function unstake(uint256 amount) external {
        uint256 current = stakedOf(msg.sender);
        if (amount > current) {
            revert InsufficientStake(msg.sender, current, amount);
        }
        uint256 staked = current - amount;
        _stakedCheckpoints[msg.sender].push(clock(), SafeCast.toUint208(staked));
        _totalStakedCheckpoints.push(clock(), SafeCast.toUint208(totalStaked() - amount));
        _transfer(address(this), msg.sender, amount);
        emit Unstaked(msg.sender, amount, staked);
    }

    /// @notice Current staked balance of `account`.
    function stakedOf(address account) public view returns (uint256) {
        return _stakedCheckpoints[account].latest();
    }

    /// @notice Current total staked.
    function totalStaked() public view returns (uint256) {
        return _totalStakedCheckpoints.latest();
    }

    /// @notice Staked balance of `account` at the end of block `timepoint` (must be in the past).
    function getPastStaked(address account, uint256 timepoint) public view returns (uint256) {
        return _stakedCheckpoints[account].upperLookupRecent(_pastTimepoint(timepoint));
    }

    /// @notice Total staked at the end of block `timepoint` (must be in the past).
    function getPastTotalStaked(uint256 timepoint) public view returns (uint256) {
        return _totalStakedCheckpoints.upperLookupRecent(_pastTimepoint(timepoint));
    }

    /*------------------------------------------------------ self-delegation */

    /// @notice The delegate of `account`; an account that never delegated votes for itself.
    function delegates(address account) public view override returns (address) {
        address delegatee = super.delegates(account);
        return delegatee == address(0) ? account : delegatee;
    }

    function _delegate(address account, address delegatee) internal override {
        super._delegate(account, delegatee == address(0) ? account : delegatee);
    }

    /*----------------------------------------------------- solidity plumbing */

    function _pastTimepoint(uint256 timepoint) private view returns (uint48) {
        uint48 currentTimepoint = clock();
        if (timepoint >= currentTimepoint) {
            revert Votes.ERC5805FutureLookup(timepoint, currentTimepoint);
        }
        return SafeCast.toUint48(timepoint);
    }

    function decimals() public view override(ERC20, ERC20Wrapper) returns (uint8) {
        return super.decimals();
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
