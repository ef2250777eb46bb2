// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ICoreAgent} from "./interfaces/ICoreAgent.sol";
import {IStakeHub} from "./interfaces/IStakeHub.sol";
import {ILstBTC} from "./interfaces/ILstBTC.sol";

/// @title StakingManager
/// @notice Puts the StakeBasket's assets to work: delegates CORE to validators through Core's
///         CoreAgent and turns coreBTC into lstBTC, keeping target weights per validator (basis
///         points) and per asset (seed "Phase 2: Automated Staking & Management").
/// @dev Why a separate contract: the basket does share accounting, this one talks to the staking
///      system, so swapping mocks for Core's system contracts (or a new lstBTC adapter) never
///      touches the share math. Funds only ever leave towards the CoreAgent, the lstBTC adapter or
///      the basket. `rebalance` and `compound` are OPERATOR_ROLE (the automation engine decides
///      when; the seed triggers a rebalance above a 10% deviation), and both emit before/after
///      figures so every automated action is auditable from events alone.
contract StakingManager is AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    /// @notice Held by the StakeBasket: moves liquidity in and out of staking.
    bytes32 public constant BASKET_ROLE = keccak256("BASKET_ROLE");
    uint16 public constant BPS = 10_000;

    ICoreAgent public immutable coreAgent;
    /// @notice Where rewards are claimed (Core's StakeHub: CoreAgent has no claim function).
    IStakeHub public immutable stakeHub;
    IERC20 public immutable coreBTC;
    ILstBTC public immutable lstBTC;
    address payable public basket;

    address[] private _validators;
    mapping(address validator => uint16 bps) private _targetBps;
    uint16 public targetCoreBps;
    uint16 public targetBtcBps;

    event BasketSet(address indexed oldBasket, address indexed newBasket);
    event ValidatorTargetsSet(address[] validators, uint16[] weightsBps);
    event AssetTargetsSet(uint16 coreBps, uint16 btcBps);
    event CoreDelegated(address indexed validator, uint256 amount);
    event CoreUndelegated(address indexed validator, uint256 amount);
    event CoreTransferred(address indexed from, address indexed to, uint256 amount);
    event BtcStaked(uint256 amount);
    event BtcUnstaked(uint256 amount);
    event Rebalanced(address[] validators, uint256[] stakedBefore, uint256[] stakedAfter);
    event Compounded(uint256 rewardClaimed, uint256 amountDelegated, uint256 totalStakedBefore, uint256 totalStakedAfter);

    error ZeroAddress();
    error InvalidWeights();
    error ValidatorStillStaked(address validator, uint256 staked);
    error NoValidators();
    error InsufficientStake(uint256 requested, uint256 staked);
    error UnexpectedSender(address sender);

    constructor(address admin, ICoreAgent coreAgent_, IStakeHub stakeHub_, IERC20 coreBTC_, ILstBTC lstBTC_) {
        if (admin == address(0) || address(coreAgent_) == address(0)) revert ZeroAddress();
        if (address(stakeHub_) == address(0)) revert ZeroAddress();
        if (address(coreBTC_) == address(0) || address(lstBTC_) == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        coreAgent = coreAgent_;
        stakeHub = stakeHub_;
        coreBTC = coreBTC_;
        lstBTC = lstBTC_;
        targetCoreBps = BPS / 2;
        targetBtcBps = BPS / 2;
    }

    /// @notice Only the CoreAgent (undelegations) and the StakeHub (rewards) send CORE here.
    receive() external payable {
        if (msg.sender != address(coreAgent) && msg.sender != address(stakeHub)) {
            revert UnexpectedSender(msg.sender);
        }
    }

    // ------------------------------------------------------------------ admin

    /// @notice Point at the StakeBasket. It gets BASKET_ROLE (liquidity moves) and OPERATOR_ROLE
    ///         (so its own operator entry points can trigger rebalance/compound).
    function setBasket(address payable basket_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (basket_ == address(0)) revert ZeroAddress();
        address old = basket;
        if (old != address(0)) {
            _revokeRole(BASKET_ROLE, old);
            _revokeRole(OPERATOR_ROLE, old);
        }
        basket = basket_;
        _grantRole(BASKET_ROLE, basket_);
        _grantRole(OPERATOR_ROLE, basket_);
        emit BasketSet(old, basket_);
    }

    /// @notice Replace the validator set and its target weights (must sum to 10,000 bps).
    ///         A validator can only be dropped once its stake has been moved away.
    function setValidatorTargets(address[] calldata validators, uint16[] calldata weightsBps)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (validators.length == 0 || validators.length != weightsBps.length) revert InvalidWeights();
        for (uint256 i = 0; i < _validators.length; i++) _targetBps[_validators[i]] = 0;
        uint256 sum = 0;
        for (uint256 i = 0; i < validators.length; i++) {
            address v = validators[i];
            if (v == address(0)) revert ZeroAddress();
            if (_targetBps[v] != 0 || weightsBps[i] == 0) revert InvalidWeights(); // duplicate or zero
            _targetBps[v] = weightsBps[i];
            sum += weightsBps[i];
        }
        if (sum != BPS) revert InvalidWeights();
        for (uint256 i = 0; i < _validators.length; i++) {
            address old = _validators[i];
            if (_targetBps[old] == 0) {
                uint256 staked = _stakeOf(old);
                if (staked != 0) revert ValidatorStillStaked(old, staked);
            }
        }
        _validators = validators;
        emit ValidatorTargetsSet(validators, weightsBps);
    }

    /// @notice Target split of AUM between CORE and BTC, read by the automation when it deploys liquidity.
    function setAssetTargets(uint16 coreBps, uint16 btcBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (uint256(coreBps) + btcBps != BPS) revert InvalidWeights();
        targetCoreBps = coreBps;
        targetBtcBps = btcBps;
        emit AssetTargetsSet(coreBps, btcBps);
    }

    // ------------------------------------------------------------------ basket liquidity moves

    /// @notice Delegate all of `msg.value` across validators by target weight.
    function delegateCore() external payable onlyRole(BASKET_ROLE) nonReentrant {
        _delegateByTarget(msg.value);
    }

    /// @notice Undelegate `amount` CORE, taking first from the most overweight validators, and
    ///         send it to the basket.
    function undelegateCore(uint256 amount) external onlyRole(BASKET_ROLE) nonReentrant {
        uint256 total = totalStaked();
        if (amount > total) revert InsufficientStake(amount, total);
        uint256 remaining = amount;
        uint256 totalAfter = total - amount;
        // Pass 1: trim each validator down towards its target share of what remains.
        for (uint256 i = 0; i < _validators.length && remaining > 0; i++) {
            address v = _validators[i];
            uint256 staked = _stakeOf(v);
            uint256 target = (totalAfter * _targetBps[v]) / BPS;
            if (staked > target) remaining -= _undelegate(v, _min(staked - target, remaining));
        }
        // Pass 2: rounding dust, from whoever still has stake.
        for (uint256 i = 0; i < _validators.length && remaining > 0; i++) {
            address v = _validators[i];
            remaining -= _undelegate(v, _min(_stakeOf(v), remaining));
        }
        Address.sendValue(basket, amount);
    }

    /// @notice Pull `amount` coreBTC from the basket and convert it 1:1 into lstBTC.
    function stakeBtc(uint256 amount) external onlyRole(BASKET_ROLE) nonReentrant {
        coreBTC.safeTransferFrom(basket, address(this), amount);
        coreBTC.forceApprove(address(lstBTC), amount);
        lstBTC.mint(amount);
        emit BtcStaked(amount);
    }

    /// @notice Redeem `amount` lstBTC 1:1 for coreBTC and send it to the basket.
    function unstakeBtc(uint256 amount) external onlyRole(BASKET_ROLE) nonReentrant {
        lstBTC.redeem(amount);
        coreBTC.safeTransfer(basket, amount);
        emit BtcUnstaked(amount);
    }

    // ------------------------------------------------------------------ operator actions

    /// @notice Move stake between validators (CoreAgent.transferCoin, no unbonding) until each
    ///         holds its target share of the total.
    function rebalance() external onlyRole(OPERATOR_ROLE) nonReentrant {
        uint256 n = _validators.length;
        if (n == 0) revert NoValidators();
        uint256[] memory before = _stakes();
        uint256 total = 0;
        for (uint256 i = 0; i < n; i++) total += before[i];
        uint256[] memory excess = new uint256[](n);
        uint256[] memory deficit = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            uint256 target = (total * _targetBps[_validators[i]]) / BPS;
            if (before[i] > target) excess[i] = before[i] - target;
            else deficit[i] = target - before[i];
        }
        for (uint256 i = 0; i < n; i++) {
            for (uint256 j = 0; j < n && excess[i] > 0; j++) {
                uint256 moved = _min(excess[i], deficit[j]);
                if (moved == 0) continue;
                coreAgent.transferCoin(_validators[i], _validators[j], moved);
                emit CoreTransferred(_validators[i], _validators[j], moved);
                excess[i] -= moved;
                deficit[j] -= moved;
            }
        }
        emit Rebalanced(_validators, before, _stakes());
    }

    /// @notice Claim rewards from the StakeHub (as on Core) and delegate the CORE (and any idle
    ///         CORE) by target weight.
    function compound() external onlyRole(OPERATOR_ROLE) nonReentrant returns (uint256 reward) {
        uint256 stakedBefore = totalStaked();
        (uint256[] memory rewards,) = stakeHub.claimReward();
        for (uint256 i = 0; i < rewards.length; i++) reward += rewards[i];
        uint256 amount = address(this).balance;
        if (amount > 0) _delegateByTarget(amount);
        emit Compounded(reward, amount, stakedBefore, totalStaked());
    }

    // ------------------------------------------------------------------ views

    /// @notice CORE delegated across all validators (CoreAgent realtime amounts).
    function totalStaked() public view returns (uint256 total) {
        for (uint256 i = 0; i < _validators.length; i++) total += _stakeOf(_validators[i]);
    }

    /// @notice CORE earned and not yet compounded: accrued at the CoreAgent plus claimed-but-idle CORE.
    function pendingRewards() public view returns (uint256) {
        (uint256 accrued,) = coreAgent.rewardMap(address(this));
        return accrued + address(this).balance;
    }

    /// @notice lstBTC held (8 decimals, 1:1 with BTC).
    function lstBtcBalance() public view returns (uint256) {
        return lstBTC.balanceOf(address(this));
    }

    /// @notice Stake per validator now, and each one's share of the total in bps.
    function currentAllocation()
        external
        view
        returns (address[] memory validators, uint256[] memory staked, uint256[] memory weightsBps)
    {
        validators = _validators;
        staked = _stakes();
        weightsBps = new uint256[](validators.length);
        uint256 total = 0;
        for (uint256 i = 0; i < staked.length; i++) total += staked[i];
        if (total == 0) return (validators, staked, weightsBps);
        for (uint256 i = 0; i < staked.length; i++) weightsBps[i] = (staked[i] * BPS) / total;
    }

    /// @notice Target weight per validator, and the CORE/BTC asset split, in bps.
    function targetAllocation()
        external
        view
        returns (address[] memory validators, uint16[] memory weightsBps, uint16 coreBps, uint16 btcBps)
    {
        validators = _validators;
        weightsBps = new uint16[](validators.length);
        for (uint256 i = 0; i < validators.length; i++) weightsBps[i] = _targetBps[validators[i]];
        return (validators, weightsBps, targetCoreBps, targetBtcBps);
    }

    /// @notice Largest |current - target| weight over validators, in bps (0 with no stake).
    function maxDeviationBps() external view returns (uint256 maxDev) {
        uint256[] memory staked = _stakes();
        uint256 total = 0;
        for (uint256 i = 0; i < staked.length; i++) total += staked[i];
        if (total == 0) return 0;
        for (uint256 i = 0; i < staked.length; i++) {
            uint256 current = (staked[i] * BPS) / total;
            uint256 target = _targetBps[_validators[i]];
            uint256 dev = current > target ? current - target : target - current;
            if (dev > maxDev) maxDev = dev;
        }
    }

    // ------------------------------------------------------------------ internals

    /// @dev Splits by target weight; the last validator takes the rounding remainder. Core's real
    ///      CoreAgent refuses delegations below `requiredCoinDeposit` (1 CORE), so on mainnet the
    ///      automation must deploy and compound in lots large enough that every part clears it.
    function _delegateByTarget(uint256 amount) private {
        uint256 n = _validators.length;
        if (n == 0) revert NoValidators();
        uint256 left = amount;
        for (uint256 i = 0; i < n && left > 0; i++) {
            address v = _validators[i];
            uint256 part = i == n - 1 ? left : (amount * _targetBps[v]) / BPS;
            if (part == 0) continue;
            left -= part;
            coreAgent.delegateCoin{value: part}(v);
            emit CoreDelegated(v, part);
        }
    }

    function _undelegate(address v, uint256 amount) private returns (uint256) {
        if (amount == 0) return 0;
        coreAgent.undelegateCoin(v, amount);
        emit CoreUndelegated(v, amount);
        return amount;
    }

    function _stakeOf(address v) private view returns (uint256 realtime) {
        (, realtime,,) = coreAgent.getDelegator(v, address(this));
    }

    function _stakes() private view returns (uint256[] memory staked) {
        staked = new uint256[](_validators.length);
        for (uint256 i = 0; i < staked.length; i++) staked[i] = _stakeOf(_validators[i]);
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
