// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Asset} from "./EtfTypes.sol";

/// @title UnbondingQueue
/// @notice The first-in-first-out book of StakeBasket withdrawals that could not be paid from
///         liquidity at once. It records who is owed what and when; the StakeBasket holds the
///         funds and pays (seed "Phase 3: Withdrawal & Queue Management").
/// @dev Design choices, and why:
///      - The amount owed is fixed at request time and the shares are burned then, so a queued
///        holder neither gains nor loses from later NAV moves, and the basket counts unpaid
///        requests as a liability in its AUM.
///      - One line per asset (CORE, coreBTC): a shortage of one asset never holds up the other.
///      - FIFO without head-of-line blocking: a request is payable once it is ready AND the
///        basket's funds cover every request of its asset up to and including it, i.e.
///        `cumulative(id) <= balance + paidSoFar`. That is O(1), lets anyone claim their own ready
///        request without waiting for an earlier owner to act, and still never pays a later request
///        with money an earlier one needs.
///      - readyAt never decreases along a line (shortening the period does not let newcomers
///        overtake), so "ready" is FIFO too.
contract UnbondingQueue is AccessControl {
    /// @notice The StakeBasket: the only caller that may enqueue and settle requests.
    bytes32 public constant BASKET_ROLE = keccak256("BASKET_ROLE");
    /// @notice Upper bound on the unbonding period an admin can set (Core rounds are one day).
    uint64 public constant MAX_UNBONDING_PERIOD = 30 days;

    struct Request {
        uint256 id;
        address owner;
        Asset asset;
        uint256 shares;
        uint256 amount; // base units of `asset`
        uint64 requestedAt;
        uint64 readyAt;
        bool claimed;
        uint256 cumulative; // sum of amounts of this asset's line up to and including this request
    }

    uint64 public unbondingPeriod;
    uint256 public nextId = 1;
    uint256 public queueLength;

    mapping(uint256 id => Request) private _requests;
    mapping(Asset => uint256[]) private _line;
    mapping(Asset => uint256) private _head; // index into _line of the oldest unclaimed request
    mapping(Asset => uint256) private _cumulative; // everything ever queued, per asset
    mapping(Asset => uint256) private _paid; // everything ever paid out, per asset
    mapping(Asset => uint64) private _lastReadyAt;

    event RequestQueued(
        uint256 indexed id, address indexed owner, Asset asset, uint256 shares, uint256 amount, uint64 readyAt
    );
    event RequestClaimed(uint256 indexed id, address indexed owner, Asset asset, uint256 amount);
    event UnbondingPeriodSet(uint64 oldPeriod, uint64 newPeriod);

    error UnknownRequest(uint256 id);
    error AlreadyClaimed(uint256 id);
    error NotReady(uint256 id, uint64 readyAt);
    error InsufficientFunding(uint256 id, uint256 needed, uint256 available);
    error InvalidPeriod(uint64 period);
    error ZeroAmount();

    constructor(address admin, uint64 unbondingPeriod_) {
        if (unbondingPeriod_ > MAX_UNBONDING_PERIOD) revert InvalidPeriod(unbondingPeriod_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        unbondingPeriod = unbondingPeriod_;
        emit UnbondingPeriodSet(0, unbondingPeriod_);
    }

    // ------------------------------------------------------------------ admin

    function setUnbondingPeriod(uint64 period) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (period > MAX_UNBONDING_PERIOD) revert InvalidPeriod(period);
        emit UnbondingPeriodSet(unbondingPeriod, period);
        unbondingPeriod = period;
    }

    // ------------------------------------------------------------------ basket entry points

    /// @notice Record a withdrawal of `amount` of `asset` owed to `owner` for `shares` burned.
    function enqueue(address owner, Asset asset, uint256 shares, uint256 amount)
        external
        onlyRole(BASKET_ROLE)
        returns (uint256 id)
    {
        if (amount == 0) revert ZeroAmount();
        id = nextId++;
        uint64 readyAt = uint64(block.timestamp) + unbondingPeriod;
        if (readyAt < _lastReadyAt[asset]) readyAt = _lastReadyAt[asset];
        _lastReadyAt[asset] = readyAt;
        _cumulative[asset] += amount;
        _requests[id] = Request({
            id: id,
            owner: owner,
            asset: asset,
            shares: shares,
            amount: amount,
            requestedAt: uint64(block.timestamp),
            readyAt: readyAt,
            claimed: false,
            cumulative: _cumulative[asset]
        });
        _line[asset].push(id);
        queueLength += 1;
        emit RequestQueued(id, owner, asset, shares, amount, readyAt);
    }

    /// @notice Mark `id` paid, given the basket's current `balance` of the request's asset.
    ///         Reverts unless the request is ready and funded in FIFO order.
    /// @return owner who must be paid
    /// @return asset what to pay
    /// @return amount how much to pay
    function settle(uint256 id, uint256 balance)
        external
        onlyRole(BASKET_ROLE)
        returns (address owner, Asset asset, uint256 amount)
    {
        Request storage r = _requests[id];
        if (r.id == 0) revert UnknownRequest(id);
        if (r.claimed) revert AlreadyClaimed(id);
        if (block.timestamp < r.readyAt) revert NotReady(id, r.readyAt);
        uint256 funded = balance + _paid[r.asset];
        if (r.cumulative > funded) revert InsufficientFunding(id, r.cumulative - _paid[r.asset], balance);
        r.claimed = true;
        _paid[r.asset] += r.amount;
        queueLength -= 1;
        _advanceHead(r.asset);
        emit RequestClaimed(id, r.owner, r.asset, r.amount);
        return (r.owner, r.asset, r.amount);
    }

    // ------------------------------------------------------------------ views

    function getRequest(uint256 id) external view returns (Request memory) {
        if (_requests[id].id == 0) revert UnknownRequest(id);
        return _requests[id];
    }

    /// @notice Unpaid amount queued for one asset: a liability of the basket.
    function queuedAmount(Asset asset) public view returns (uint256) {
        return _cumulative[asset] - _paid[asset];
    }

    /// @notice Unpaid amounts of both lines, in their own base units.
    function totalQueuedAmount() external view returns (uint256 coreAmount, uint256 coreBtcAmount) {
        return (queuedAmount(Asset.CORE), queuedAmount(Asset.CORE_BTC));
    }

    /// @notice 1-based place of `id` in its asset's line among unclaimed requests; 0 if claimed.
    /// @dev Walks from the line's head: meant for eth_call by UIs and monitors, not for contracts.
    function positionOf(uint256 id) external view returns (uint256) {
        Request storage r = _requests[id];
        if (r.id == 0) revert UnknownRequest(id);
        if (r.claimed) return 0;
        uint256[] storage line = _line[r.asset];
        uint256 position = 0;
        for (uint256 i = _head[r.asset]; i < line.length; i++) {
            if (!_requests[line[i]].claimed) position++;
            if (line[i] == id) break;
        }
        return position;
    }

    /// @notice Seconds until `id` is ready (0 when ready or claimed). Liquidity is not included:
    ///         see `isClaimable` for the full answer at a given basket balance.
    function estimatedWait(uint256 id) external view returns (uint256) {
        Request storage r = _requests[id];
        if (r.id == 0) revert UnknownRequest(id);
        if (r.claimed || block.timestamp >= r.readyAt) return 0;
        return r.readyAt - block.timestamp;
    }

    /// @notice Whether `settle(id, balance)` would succeed now.
    function isClaimable(uint256 id, uint256 balance) external view returns (bool) {
        Request storage r = _requests[id];
        return r.id != 0 && !r.claimed && block.timestamp >= r.readyAt
            && r.cumulative <= balance + _paid[r.asset];
    }

    /// @notice The oldest unclaimed request over both lines; `exists` is false when the queue is empty.
    function oldestPendingRequest() external view returns (bool exists, Request memory request) {
        uint256 a = _headId(Asset.CORE);
        uint256 b = _headId(Asset.CORE_BTC);
        uint256 id = a == 0 ? b : (b == 0 ? a : (a < b ? a : b));
        if (id == 0) return (false, request);
        return (true, _requests[id]);
    }

    // ------------------------------------------------------------------ internals

    function _headId(Asset asset) private view returns (uint256) {
        uint256[] storage line = _line[asset];
        for (uint256 i = _head[asset]; i < line.length; i++) {
            if (!_requests[line[i]].claimed) return line[i];
        }
        return 0;
    }

    /// @dev Skip claimed requests at the front so positionOf/oldest stay cheap.
    function _advanceHead(Asset asset) private {
        uint256[] storage line = _line[asset];
        uint256 h = _head[asset];
        while (h < line.length && _requests[line[h]].claimed) h++;
        _head[asset] = h;
    }
}
