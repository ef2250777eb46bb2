// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Asset} from "./EtfTypes.sol";
import {ISwapRouter, IWrappedNative} from "./interfaces/ISwapRouter.sol";
import {PriceFeed} from "./PriceFeed.sol";
import {StakeBasketToken} from "./StakeBasketToken.sol";
import {StakingManager} from "./StakingManager.sol";
import {UnbondingQueue} from "./UnbondingQueue.sol";

/// @title StakeBasket
/// @notice The StakeBasket ETF: takes CORE (native) and coreBTC, mints BASKET shares at NAV, and
///         pays withdrawals at NAV, instantly from liquidity or through the UnbondingQueue.
/// @dev NAV, from the seed ("NAV Calculation Formula"):
///        NAV per share = total AUM in USD / BASKET supply
///        AUM = staked CORE × CORE price + lstBTC × BTC price + staking rewards (CORE) × CORE price
///              + available liquidity (CORE and coreBTC held here, at price)
///              - unpaid queued withdrawals (already-burned shares' claims, a liability)
///      All USD figures are 18-decimal integers; lstBTC and coreBTC are priced as BTC (1:1).
///
///      Rounding always favours the vault: AUM is rounded up when minting (fewer shares out) and
///      down when redeeming (less value out), liabilities the other way, and every share/asset
///      conversion uses Math.mulDiv with Rounding.Floor towards the user.
///
///      First-depositor (inflation/donation) attack: anyone can raise AUM without minting by
///      sending coreBTC here, so with an empty vault an attacker could mint 1 share-wei and donate
///      to round the next depositor's shares down to zero. Shares are therefore priced against a
///      virtual position of VIRTUAL_SHARES shares backed by VIRTUAL_ASSETS USD-wei (the
///      OpenZeppelin ERC-4626 offset technique): shares = value × (supply + 1e9) / (AUM + 1e9).
///      A donation is then shared with 1e9 virtual shares the attacker does not own, so to cost a
///      victim one share-wei of rounding the attacker must give away about 1e9 times that much.
///      VIRTUAL_SHARES == VIRTUAL_ASSETS keeps the first NAV at exactly $1 per BASKET, and the
///      distortion of NAV is below 1e-9 relative once a single whole BASKET exists.
///
///      Asset rebalancing (seed phase 2, "Rebalance if needed (>10% deviation)"): when the split
///      of AUM between CORE and BTC drifts from the StakingManager's asset targets, an operator
///      trades free liquidity of one asset for the other through the admin-set Uniswap V2 router
///      (`swapAssets`). The operator's `minOut` bounds the trade against the pool, and the
///      contract bounds `minOut` itself against the oracle (`swapToleranceBps` below the
///      PriceFeed value of the input), so neither a manipulated pool quote nor a careless
///      operator can sell the basket's assets far below their price.
///
///      Roles (issue 21 "Control"): DEFAULT_ADMIN_ROLE, the governor's timelock, sets the router
///      and tolerance, grants roles and is the only one who unpauses; OPERATOR_ROLE runs the
///      automation calls; PAUSER_ROLE, the guardian (a Safe), pauses at once and can do no more.
contract StakeBasket is AccessControl, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using Math for uint256;

    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    /// @notice May `pause`, and nothing else: not `unpause`, not a setter (those are
    ///         DEFAULT_ADMIN_ROLE's, held by the governor's timelock).
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    bytes32 public constant CORE_SYMBOL = "CORE";
    bytes32 public constant BTC_SYMBOL = "BTC";
    uint256 public constant VIRTUAL_SHARES = 1e9;
    uint256 public constant VIRTUAL_ASSETS = 1e9;
    uint256 private constant CORE_UNIT = 1e18;
    uint256 private constant BTC_UNIT = 1e8;
    uint256 private constant BPS = 10_000;
    uint16 public constant MAX_SWAP_TOLERANCE_BPS = 2_000;

    StakeBasketToken public immutable token;
    PriceFeed public immutable priceFeed;
    StakingManager public immutable stakingManager;
    UnbondingQueue public immutable queue;
    IERC20 public immutable coreBTC;

    /// @notice The Uniswap V2 router `swapAssets` trades through (unset: no swaps), and the
    ///         wrapped CORE it pairs native CORE as.
    ISwapRouter public swapRouter;
    IWrappedNative public wrappedCore;
    /// @notice How far below the oracle value of the input a swap's `minOut` may be, in bps.
    uint16 public swapToleranceBps = 500;

    /// @notice The parts of AUM, all 18-decimal USD except the two prices (USD per whole token).
    struct AumBreakdown {
        uint256 corePrice;
        uint256 btcPrice;
        uint256 coreStakedUsd;
        uint256 lstBtcUsd;
        uint256 rewardsUsd;
        uint256 liquidityUsd;
        uint256 queuedLiabilityUsd;
        uint256 totalUsd;
    }

    event Deposited(
        address indexed user, Asset asset, uint256 amount, uint256 valueUsd, uint256 shares, uint256 navPerShare
    );
    event Withdrawn(
        address indexed user, Asset asset, uint256 shares, uint256 amount, uint256 valueUsd, uint256 navPerShare
    );
    event WithdrawalQueued(
        address indexed user, uint256 indexed requestId, Asset asset, uint256 shares, uint256 amount, uint256 valueUsd
    );
    event WithdrawalClaimed(address indexed user, uint256 indexed requestId, Asset asset, uint256 amount);
    event LiquidityDeployed(uint256 coreAmount, uint256 coreBtcAmount);
    event LiquidityRecalled(uint256 coreAmount, uint256 coreBtcAmount);
    event Rebalanced(uint256 maxDeviationBeforeBps, uint256 maxDeviationAfterBps, uint256 totalStaked);
    event Compounded(uint256 rewardClaimed, uint256 totalStakedBefore, uint256 totalStakedAfter);
    event SwapRouterSet(address indexed router, address indexed wrappedCore);
    event SwapToleranceSet(uint16 toleranceBps);
    event AssetsSwapped(Asset indexed from, uint256 amountIn, uint256 amountOut, uint256 minOut);

    error ZeroAmount();
    error ZeroShares();
    error SlippageExceeded(uint256 got, uint256 minimum);
    error InsufficientLiquidity(Asset asset, uint256 requested, uint256 available);
    error UnexpectedSender(address sender);
    error ZeroAddress();
    error NoSwapRouter();
    error InvalidTolerance();
    error MinOutBelowOracle(uint256 minOut, uint256 floor);

    constructor(
        address admin,
        StakeBasketToken token_,
        PriceFeed priceFeed_,
        StakingManager stakingManager_,
        UnbondingQueue queue_,
        IERC20 coreBTC_
    ) {
        if (admin == address(0) || address(token_) == address(0) || address(priceFeed_) == address(0)) {
            revert ZeroAddress();
        }
        if (address(stakingManager_) == address(0) || address(queue_) == address(0) || address(coreBTC_) == address(0)) {
            revert ZeroAddress();
        }
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        token = token_;
        priceFeed = priceFeed_;
        stakingManager = stakingManager_;
        queue = queue_;
        coreBTC = coreBTC_;
    }

    /// @notice CORE comes back only from the StakingManager and from unwrapping WCORE after a
    ///         swap; deposits go through `deposit`.
    receive() external payable {
        if (msg.sender != address(stakingManager) && msg.sender != address(wrappedCore)) {
            revert UnexpectedSender(msg.sender);
        }
    }

    // ------------------------------------------------------------------ user flows

    /// @notice Deposit `msg.value` CORE and receive BASKET at the current NAV.
    /// @param minShares revert unless at least this many shares are minted (slippage guard)
    function deposit(uint256 minShares) external payable nonReentrant whenNotPaused returns (uint256 shares) {
        uint256 amount = msg.value;
        if (amount == 0) revert ZeroAmount();
        // msg.value is already in the balance: value the vault as it was before it arrived.
        AumBreakdown memory b = _breakdown(amount, Math.Rounding.Ceil);
        uint256 value = amount.mulDiv(b.corePrice, CORE_UNIT, Math.Rounding.Floor);
        shares = _mintShares(value, b.totalUsd, minShares);
        emit Deposited(msg.sender, Asset.CORE, amount, value, shares, _nav(b.totalUsd, token.totalSupply() - shares));
    }

    /// @notice Deposit `amount` coreBTC (8 decimals; approve first) and receive BASKET at NAV.
    function depositCoreBTC(uint256 amount, uint256 minShares)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 shares)
    {
        if (amount == 0) revert ZeroAmount();
        AumBreakdown memory b = _breakdown(0, Math.Rounding.Ceil);
        uint256 before = coreBTC.balanceOf(address(this));
        coreBTC.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = coreBTC.balanceOf(address(this)) - before;
        uint256 value = received.mulDiv(b.btcPrice, BTC_UNIT, Math.Rounding.Floor);
        shares = _mintShares(value, b.totalUsd, minShares);
        emit Deposited(msg.sender, Asset.CORE_BTC, received, value, shares, _nav(b.totalUsd, token.totalSupply() - shares));
    }

    /// @notice Redeem `shares` for `asset` at NAV. Paid now when free liquidity of that asset
    ///         covers it, otherwise queued in the UnbondingQueue (claim later with `claimWithdrawal`).
    /// @param minAmountOut revert unless the amount owed is at least this (slippage guard)
    /// @return amount the amount paid or owed, in `asset` base units
    /// @return requestId 0 when paid instantly, else the queue request id
    function withdraw(uint256 shares, Asset asset, uint256 minAmountOut)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 amount, uint256 requestId)
    {
        if (shares == 0) revert ZeroShares();
        AumBreakdown memory b = _breakdown(0, Math.Rounding.Floor);
        uint256 supply = token.totalSupply();
        uint256 value = shares.mulDiv(b.totalUsd + VIRTUAL_ASSETS, supply + VIRTUAL_SHARES, Math.Rounding.Floor);
        (uint256 price, uint256 unit) = asset == Asset.CORE ? (b.corePrice, CORE_UNIT) : (b.btcPrice, BTC_UNIT);
        amount = value.mulDiv(unit, price, Math.Rounding.Floor);
        if (amount == 0) revert ZeroAmount();
        if (amount < minAmountOut) revert SlippageExceeded(amount, minAmountOut);

        token.burn(msg.sender, shares);
        if (amount <= _freeLiquidity(asset)) {
            _pay(msg.sender, asset, amount);
            emit Withdrawn(msg.sender, asset, shares, amount, value, _nav(b.totalUsd, supply));
        } else {
            requestId = queue.enqueue(msg.sender, asset, shares, amount);
            emit WithdrawalQueued(msg.sender, requestId, asset, shares, amount, value);
        }
    }

    /// @notice Pay queued request `id` to its owner once it is ready and funded (FIFO per asset).
    ///         Anyone may call it; the money always goes to the request's owner.
    function claimWithdrawal(uint256 id) external nonReentrant whenNotPaused {
        UnbondingQueue.Request memory r = queue.getRequest(id);
        (address owner, Asset asset, uint256 amount) = queue.settle(id, _balance(r.asset));
        _pay(owner, asset, amount);
        emit WithdrawalClaimed(owner, id, asset, amount);
    }

    // ------------------------------------------------------------------ operator actions

    /// @notice Send free liquidity to staking: CORE is delegated, coreBTC becomes lstBTC.
    function deployLiquidity(uint256 coreAmount, uint256 coreBtcAmount)
        external
        onlyRole(OPERATOR_ROLE)
        nonReentrant
        whenNotPaused
    {
        _requireFree(Asset.CORE, coreAmount);
        _requireFree(Asset.CORE_BTC, coreBtcAmount);
        if (coreAmount > 0) stakingManager.delegateCore{value: coreAmount}();
        if (coreBtcAmount > 0) {
            coreBTC.forceApprove(address(stakingManager), coreBtcAmount);
            stakingManager.stakeBtc(coreBtcAmount);
        }
        emit LiquidityDeployed(coreAmount, coreBtcAmount);
    }

    /// @notice Bring staked assets back as liquidity (to fund the queue or instant withdrawals).
    function recallLiquidity(uint256 coreAmount, uint256 coreBtcAmount) external onlyRole(OPERATOR_ROLE) nonReentrant {
        if (coreAmount > 0) stakingManager.undelegateCore(coreAmount);
        if (coreBtcAmount > 0) stakingManager.unstakeBtc(coreBtcAmount);
        emit LiquidityRecalled(coreAmount, coreBtcAmount);
    }

    /// @notice Move CORE stake between validators back to their target weights.
    function rebalance() external onlyRole(OPERATOR_ROLE) nonReentrant {
        uint256 before = stakingManager.maxDeviationBps();
        stakingManager.rebalance();
        emit Rebalanced(before, stakingManager.maxDeviationBps(), stakingManager.totalStaked());
    }

    /// @notice Claim staking rewards and delegate them again.
    function compound() external onlyRole(OPERATOR_ROLE) nonReentrant returns (uint256 reward) {
        uint256 before = stakingManager.totalStaked();
        reward = stakingManager.compound();
        emit Compounded(reward, before, stakingManager.totalStaked());
    }

    /// @notice Trade `amountIn` of free `from` liquidity for the other asset through the swap
    ///         router (native CORE is wrapped to WCORE and back), getting at least `minOut`.
    /// @param minOut the least accepted; it must itself be within `swapToleranceBps` of the
    ///        oracle value of `amountIn`
    /// @param deadline the router's deadline (unix seconds)
    /// @return amountOut what the basket received, in the other asset's base units
    function swapAssets(Asset from, uint256 amountIn, uint256 minOut, uint256 deadline)
        external
        onlyRole(OPERATOR_ROLE)
        nonReentrant
        whenNotPaused
        returns (uint256 amountOut)
    {
        if (address(swapRouter) == address(0)) revert NoSwapRouter();
        if (amountIn == 0) revert ZeroAmount();
        _requireFree(from, amountIn);
        uint256 floor = _oracleOut(from, amountIn).mulDiv(BPS - swapToleranceBps, BPS, Math.Rounding.Ceil);
        if (minOut < floor) revert MinOutBelowOracle(minOut, floor);
        amountOut = _swap(from == Asset.CORE, amountIn, minOut, deadline);
        if (amountOut < minOut) revert SlippageExceeded(amountOut, minOut);
        emit AssetsSwapped(from, amountIn, amountOut, minOut);
    }

    /// @notice Stop deposits, withdrawals, claims and liquidity deployment. Recalls, rebalance
    ///         and compound stay available on purpose: during an incident operators must still be
    ///         able to pull stake back and de-risk, and none of them moves value to users.
    /// @dev PAUSER_ROLE (the guardian) pauses at once, without a vote or a delay.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resume the paused flows. Only the admin (DEFAULT_ADMIN_ROLE: the governor's
    ///         timelock once deployed) may, so a pauser can stop the basket but never restart it:
    ///         a guardian key, alone or stolen, cannot undo a pause or reopen after an incident
    ///         without a passed proposal and the timelock's delay.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    // ------------------------------------------------------------------ admin

    /// @notice The Uniswap V2 router `swapAssets` trades through; its WETH() is wrapped CORE.
    function setSwapRouter(ISwapRouter router) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (address(router) == address(0)) revert ZeroAddress();
        address wcore = router.WETH();
        if (wcore == address(0)) revert ZeroAddress();
        swapRouter = router;
        wrappedCore = IWrappedNative(wcore);
        emit SwapRouterSet(address(router), wcore);
    }

    /// @notice How far under the oracle value a swap's `minOut` may be (at most 20%).
    function setSwapTolerance(uint16 toleranceBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (toleranceBps > MAX_SWAP_TOLERANCE_BPS) revert InvalidTolerance();
        swapToleranceBps = toleranceBps;
        emit SwapToleranceSet(toleranceBps);
    }

    // ------------------------------------------------------------------ views

    /// @notice Total AUM in 18-decimal USD (reverts when a price is stale or out of bounds).
    function totalAUM() external view returns (uint256) {
        return _breakdown(0, Math.Rounding.Floor).totalUsd;
    }

    /// @notice AUM and its parts, as used for redemptions.
    function aumBreakdown() external view returns (AumBreakdown memory) {
        return _breakdown(0, Math.Rounding.Floor);
    }

    /// @notice USD per whole BASKET, 18 decimals ($1 before the first deposit).
    function navPerShare() external view returns (uint256) {
        return _nav(_breakdown(0, Math.Rounding.Floor).totalUsd, token.totalSupply());
    }

    /// @notice Liquidity held here and not owed to the queue, per asset, and its USD value.
    function availableLiquidity() external view returns (uint256 coreAmount, uint256 coreBtcAmount, uint256 valueUsd) {
        AumBreakdown memory b = _breakdown(0, Math.Rounding.Floor);
        coreAmount = _freeLiquidity(Asset.CORE);
        coreBtcAmount = _freeLiquidity(Asset.CORE_BTC);
        valueUsd = coreAmount.mulDiv(b.corePrice, CORE_UNIT) + coreBtcAmount.mulDiv(b.btcPrice, BTC_UNIT);
    }

    /// @notice The most shares that `withdraw` would pay out instantly, per payout asset.
    function instantWithdrawalCapacity() external view returns (uint256 coreShares, uint256 coreBtcShares) {
        AumBreakdown memory b = _breakdown(0, Math.Rounding.Floor);
        uint256 supply = token.totalSupply();
        coreShares = _sharesFor(_freeLiquidity(Asset.CORE).mulDiv(b.corePrice, CORE_UNIT), b.totalUsd, supply);
        coreBtcShares = _sharesFor(_freeLiquidity(Asset.CORE_BTC).mulDiv(b.btcPrice, BTC_UNIT), b.totalUsd, supply);
    }

    // ------------------------------------------------------------------ internals

    /// @dev AUM with assets rounded `r` and the queued liability rounded the other way.
    ///      `excludeCore` removes CORE that arrived with the current call from liquidity.
    function _breakdown(uint256 excludeCore, Math.Rounding r) private view returns (AumBreakdown memory b) {
        (b.corePrice,) = priceFeed.getPrice(CORE_SYMBOL);
        (b.btcPrice,) = priceFeed.getPrice(BTC_SYMBOL);
        Math.Rounding inv = r == Math.Rounding.Floor ? Math.Rounding.Ceil : Math.Rounding.Floor;

        b.coreStakedUsd = stakingManager.totalStaked().mulDiv(b.corePrice, CORE_UNIT, r);
        b.lstBtcUsd = stakingManager.lstBtcBalance().mulDiv(b.btcPrice, BTC_UNIT, r);
        b.rewardsUsd = stakingManager.pendingRewards().mulDiv(b.corePrice, CORE_UNIT, r);
        b.liquidityUsd = (address(this).balance - excludeCore).mulDiv(b.corePrice, CORE_UNIT, r)
            + coreBTC.balanceOf(address(this)).mulDiv(b.btcPrice, BTC_UNIT, r);
        (uint256 qCore, uint256 qBtc) = queue.totalQueuedAmount();
        b.queuedLiabilityUsd = qCore.mulDiv(b.corePrice, CORE_UNIT, inv) + qBtc.mulDiv(b.btcPrice, BTC_UNIT, inv);

        uint256 gross = b.coreStakedUsd + b.lstBtcUsd + b.rewardsUsd + b.liquidityUsd;
        b.totalUsd = gross > b.queuedLiabilityUsd ? gross - b.queuedLiabilityUsd : 0;
    }

    /// @dev The router trade of `swapAssets`: WCORE in or out, the received amount measured.
    function _swap(bool sellCore, uint256 amountIn, uint256 minOut, uint256 deadline)
        private
        returns (uint256 amountOut)
    {
        IWrappedNative wcore = wrappedCore;
        IERC20 tokenIn = sellCore ? IERC20(address(wcore)) : coreBTC;
        IERC20 tokenOut = sellCore ? coreBTC : IERC20(address(wcore));
        if (sellCore) wcore.deposit{value: amountIn}();
        address[] memory path = new address[](2);
        (path[0], path[1]) = (address(tokenIn), address(tokenOut));
        uint256 before = tokenOut.balanceOf(address(this));
        tokenIn.forceApprove(address(swapRouter), amountIn);
        swapRouter.swapExactTokensForTokens(amountIn, minOut, path, address(this), deadline);
        amountOut = tokenOut.balanceOf(address(this)) - before;
        if (!sellCore) wcore.withdraw(amountOut);
    }

    /// @dev What `amountIn` of `from` is worth in the other asset at the oracle's prices.
    function _oracleOut(Asset from, uint256 amountIn) private view returns (uint256) {
        (uint256 corePrice,) = priceFeed.getPrice(CORE_SYMBOL);
        (uint256 btcPrice,) = priceFeed.getPrice(BTC_SYMBOL);
        if (from == Asset.CORE) return amountIn.mulDiv(corePrice * BTC_UNIT, btcPrice * CORE_UNIT);
        return amountIn.mulDiv(btcPrice * CORE_UNIT, corePrice * BTC_UNIT);
    }

    function _mintShares(uint256 value, uint256 aum, uint256 minShares) private returns (uint256 shares) {
        shares = value.mulDiv(token.totalSupply() + VIRTUAL_SHARES, aum + VIRTUAL_ASSETS, Math.Rounding.Floor);
        if (shares == 0) revert ZeroShares();
        if (shares < minShares) revert SlippageExceeded(shares, minShares);
        token.mint(msg.sender, shares);
    }

    function _sharesFor(uint256 value, uint256 aum, uint256 supply) private pure returns (uint256) {
        uint256 shares = value.mulDiv(supply + VIRTUAL_SHARES, aum + VIRTUAL_ASSETS, Math.Rounding.Floor);
        return shares < supply ? shares : supply;
    }

    function _nav(uint256 aum, uint256 supply) private pure returns (uint256) {
        return (aum + VIRTUAL_ASSETS).mulDiv(1e18, supply + VIRTUAL_SHARES, Math.Rounding.Floor);
    }

    function _balance(Asset asset) private view returns (uint256) {
        return asset == Asset.CORE ? address(this).balance : coreBTC.balanceOf(address(this));
    }

    /// @dev Balance not owed to queued withdrawals: queued claimants are paid before anyone else.
    function _freeLiquidity(Asset asset) private view returns (uint256) {
        uint256 balance = _balance(asset);
        uint256 owed = queue.queuedAmount(asset);
        return balance > owed ? balance - owed : 0;
    }

    function _requireFree(Asset asset, uint256 amount) private view {
        uint256 free = _freeLiquidity(asset);
        if (amount > free) revert InsufficientLiquidity(asset, amount, free);
    }

    function _pay(address to, Asset asset, uint256 amount) private {
        if (asset == Asset.CORE) Address.sendValue(payable(to), amount);
        else coreBTC.safeTransfer(to, amount);
    }
}
