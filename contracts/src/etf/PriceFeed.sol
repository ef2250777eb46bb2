// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IPyth} from "@pythnetwork/pyth-sdk-solidity/IPyth.sol";
import {PythStructs} from "@pythnetwork/pyth-sdk-solidity/PythStructs.sol";
import {IAggregatorV3} from "./interfaces/IAggregatorV3.sol";

/// @title PriceFeed
/// @notice USD prices for the StakeBasket's assets, as 18-decimal integers, from a Chainlink-style
///         aggregator and/or a Pyth price id per asset, tried in a configured order.
/// @dev Why per-source limits: staleness and sanity bounds are properties of one feed, not of an
///      asset (REFERENCE.md "Incidents": LUNA's feed sat at its floor while the market fell;
///      heartbeats differ per feed and chain). Each source therefore carries its own max age and
///      min/max bounds, and Pyth sources also a confidence limit. A source that is unset, reverts,
///      is stale, non-positive, too uncertain or out of bounds is skipped in favour of the fallback;
///      when no source passes, `getPrice` reverts with the primary source's reason so callers
///      (deposits, withdrawals, NAV) never act on a bad price.
contract PriceFeed is Ownable {
    /// @notice Which source `getPrice` tries first.
    enum Order {
        AggregatorFirst,
        PythFirst
    }

    /// @notice Which source produced a price (also used in errors).
    enum Source {
        None,
        Aggregator,
        Pyth
    }

    /// @notice Everything configured for one asset. Zero aggregator / zero pythId = source unused.
    struct FeedConfig {
        address aggregator;
        uint64 aggregatorMaxAge; // seconds
        uint256 aggregatorMin; // 18-decimal USD bounds, inclusive
        uint256 aggregatorMax;
        bytes32 pythId;
        uint64 pythMaxAge; // seconds
        uint256 pythMin;
        uint256 pythMax;
        uint16 pythMaxConfBps; // conf / price limit in basis points; 0 = no limit
        Order order;
    }

    uint16 internal constant BPS = 10_000;

    /// @notice The Pyth contract every pythId is read from.
    IPyth public immutable pyth;

    mapping(bytes32 symbol => FeedConfig) private _feeds;
    bytes32[] private _symbols;

    event FeedConfigured(bytes32 indexed symbol, FeedConfig config);
    event FeedRemoved(bytes32 indexed symbol);

    error FeedNotConfigured(bytes32 symbol);
    error InvalidFeedConfig(bytes32 symbol);
    error SourceUnavailable(bytes32 symbol, Source source);
    error InvalidPrice(bytes32 symbol, Source source, int256 raw);
    error StalePrice(bytes32 symbol, Source source, uint256 updatedAt, uint256 maxAge);
    error PriceOutOfBounds(bytes32 symbol, Source source, uint256 price, uint256 min, uint256 max);
    error PriceTooUncertain(bytes32 symbol, uint256 price, uint256 conf, uint16 maxConfBps);

    constructor(address initialOwner, IPyth pyth_) Ownable(initialOwner) {
        pyth = pyth_;
    }

    // ------------------------------------------------------------------ configuration (owner)

    /// @notice Add or replace the sources of `symbol` (e.g. bytes32("CORE"), bytes32("BTC")).
    function setFeed(bytes32 symbol, FeedConfig calldata config) external onlyOwner {
        bool hasAgg = config.aggregator != address(0);
        bool hasPyth = config.pythId != bytes32(0);
        if (symbol == bytes32(0) || (!hasAgg && !hasPyth)) revert InvalidFeedConfig(symbol);
        // A feed address without code would make getPrice revert outright (ABI decoding of empty
        // return data cannot be caught), so it is refused here rather than discovered later.
        if (hasAgg && (config.aggregatorMaxAge == 0 || config.aggregatorMin > config.aggregatorMax)) {
            revert InvalidFeedConfig(symbol);
        }
        if (hasAgg && config.aggregator.code.length == 0) revert InvalidFeedConfig(symbol);
        if (hasPyth && (config.pythMaxAge == 0 || config.pythMin > config.pythMax)) {
            revert InvalidFeedConfig(symbol);
        }
        if (hasPyth && address(pyth).code.length == 0) revert InvalidFeedConfig(symbol);
        if (!_isConfigured(symbol)) _symbols.push(symbol);
        _feeds[symbol] = config;
        emit FeedConfigured(symbol, config);
    }

    /// @notice Stop pricing `symbol`; every later `getPrice(symbol)` reverts.
    function removeFeed(bytes32 symbol) external onlyOwner {
        if (!_isConfigured(symbol)) revert FeedNotConfigured(symbol);
        delete _feeds[symbol];
        uint256 n = _symbols.length;
        for (uint256 i = 0; i < n; i++) {
            if (_symbols[i] == symbol) {
                _symbols[i] = _symbols[n - 1];
                _symbols.pop();
                break;
            }
        }
        emit FeedRemoved(symbol);
    }

    // ------------------------------------------------------------------ views

    function feedConfig(bytes32 symbol) external view returns (FeedConfig memory) {
        return _feeds[symbol];
    }

    function symbols() external view returns (bytes32[] memory) {
        return _symbols;
    }

    /// @notice The first valid price of `symbol` in the configured order.
    /// @return price18 USD per whole token, 18 decimals
    /// @return updatedAt the source's timestamp of that price
    function getPrice(bytes32 symbol) external view returns (uint256 price18, uint256 updatedAt) {
        (bool ok, uint256 price, uint256 at,, bytes memory reason) = _resolve(symbol);
        if (!ok) {
            assembly {
                revert(add(reason, 32), mload(reason))
            }
        }
        return (price, at);
    }

    /// @notice Non-reverting form of `getPrice` for monitors: which source answered, or why none did.
    function tryGetPrice(bytes32 symbol)
        external
        view
        returns (bool ok, uint256 price18, uint256 updatedAt, Source source, bytes memory reason)
    {
        return _resolve(symbol);
    }

    // ------------------------------------------------------------------ internals

    function _isConfigured(bytes32 symbol) private view returns (bool) {
        FeedConfig storage c = _feeds[symbol];
        return c.aggregator != address(0) || c.pythId != bytes32(0);
    }

    function _resolve(bytes32 symbol)
        private
        view
        returns (bool ok, uint256 price, uint256 at, Source source, bytes memory reason)
    {
        FeedConfig memory c = _feeds[symbol];
        if (c.aggregator == address(0) && c.pythId == bytes32(0)) {
            return (false, 0, 0, Source.None, abi.encodeWithSelector(FeedNotConfigured.selector, symbol));
        }
        Source first = c.order == Order.AggregatorFirst ? Source.Aggregator : Source.Pyth;
        Source second = first == Source.Aggregator ? Source.Pyth : Source.Aggregator;
        bytes memory firstReason;
        if (_has(c, first)) {
            (ok, price, at, firstReason) = _read(symbol, c, first);
            if (ok) return (true, price, at, first, "");
        }
        if (_has(c, second)) {
            bytes memory secondReason;
            (ok, price, at, secondReason) = _read(symbol, c, second);
            if (ok) return (true, price, at, second, "");
            if (firstReason.length == 0) firstReason = secondReason;
        }
        return (false, 0, 0, Source.None, firstReason);
    }

    function _has(FeedConfig memory c, Source s) private pure returns (bool) {
        return s == Source.Aggregator ? c.aggregator != address(0) : c.pythId != bytes32(0);
    }

    function _read(bytes32 symbol, FeedConfig memory c, Source s)
        private
        view
        returns (bool ok, uint256 price, uint256 at, bytes memory reason)
    {
        uint256 maxAge;
        uint256 lo;
        uint256 hi;
        if (s == Source.Aggregator) {
            (ok, price, at, reason) = _readAggregator(symbol, c.aggregator);
            (maxAge, lo, hi) = (c.aggregatorMaxAge, c.aggregatorMin, c.aggregatorMax);
        } else {
            (ok, price, at, reason) = _readPyth(symbol, c.pythId, c.pythMaxConfBps);
            (maxAge, lo, hi) = (c.pythMaxAge, c.pythMin, c.pythMax);
        }
        if (!ok) return (false, 0, 0, reason);
        // A timestamp in the future is as untrustworthy as an old one.
        if (at > block.timestamp || block.timestamp - at > maxAge) {
            return (false, 0, 0, abi.encodeWithSelector(StalePrice.selector, symbol, s, at, maxAge));
        }
        if (price < lo || price > hi) {
            return (false, 0, 0, abi.encodeWithSelector(PriceOutOfBounds.selector, symbol, s, price, lo, hi));
        }
        return (true, price, at, "");
    }

    function _readAggregator(bytes32 symbol, address aggregator)
        private
        view
        returns (bool ok, uint256 price, uint256 at, bytes memory reason)
    {
        (bool callOk, uint8 dec, int256 answer, uint256 updatedAt) = _callAggregator(aggregator);
        if (!callOk) return (false, 0, 0, abi.encodeWithSelector(SourceUnavailable.selector, symbol, Source.Aggregator));
        if (answer <= 0 || updatedAt == 0 || dec > 36) {
            return (false, 0, 0, abi.encodeWithSelector(InvalidPrice.selector, symbol, Source.Aggregator, answer));
        }
        return (true, _scale(uint256(answer), -int256(uint256(dec))), updatedAt, "");
    }

    /// @dev A feed that reverts (or is not a feed) must not make getPrice revert before the fallback.
    function _callAggregator(address aggregator)
        private
        view
        returns (bool ok, uint8 dec, int256 answer, uint256 updatedAt)
    {
        try IAggregatorV3(aggregator).decimals() returns (uint8 d) {
            dec = d;
        } catch {
            return (false, 0, 0, 0);
        }
        try IAggregatorV3(aggregator).latestRoundData() returns (uint80, int256 a, uint256, uint256 u, uint80) {
            return (true, dec, a, u);
        } catch {
            return (false, 0, 0, 0);
        }
    }

    function _readPyth(bytes32 symbol, bytes32 id, uint16 maxConfBps)
        private
        view
        returns (bool ok, uint256 price, uint256 at, bytes memory reason)
    {
        (bool callOk, PythStructs.Price memory p) = _callPyth(id);
        if (!callOk) return (false, 0, 0, abi.encodeWithSelector(SourceUnavailable.selector, symbol, Source.Pyth));
        if (p.price <= 0 || p.expo < -36 || p.expo > 18) {
            return (false, 0, 0, abi.encodeWithSelector(InvalidPrice.selector, symbol, Source.Pyth, int256(p.price)));
        }
        uint256 raw = uint256(uint64(p.price));
        price = _scale(raw, p.expo);
        if (maxConfBps != 0 && uint256(p.conf) * BPS > raw * maxConfBps) {
            uint256 conf = _scale(uint256(p.conf), p.expo);
            return (false, 0, 0, abi.encodeWithSelector(PriceTooUncertain.selector, symbol, price, conf, maxConfBps));
        }
        return (true, price, p.publishTime, "");
    }

    /// @dev getPriceUnsafe + our own age check: Pyth's getPriceNoOlderThan would revert with Pyth's
    ///      error instead of letting us fall back and report a uniform StalePrice.
    function _callPyth(bytes32 id) private view returns (bool ok, PythStructs.Price memory p) {
        try pyth.getPriceUnsafe(id) returns (PythStructs.Price memory got) {
            return (true, got);
        } catch {
            return (false, p);
        }
    }

    /// @dev value × 10^expo expressed with 18 decimals (expo is negative for fractional feeds).
    function _scale(uint256 value, int256 expo) private pure returns (uint256) {
        int256 shift = 18 + expo;
        if (shift >= 0) return value * 10 ** uint256(shift);
        return value / 10 ** uint256(-shift);
    }
}
