// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title StrategyParameters
/// @notice The PSTR strategy's numbers on-chain, owned by the PstrTimelock so that only a passed
///         governance proposal ("Parameter Adjustments", PSTR seed "Governance Integration")
///         changes them. Services read every value at start and follow `ParameterChanged`; an
///         environment value is only a bootstrap default where no such contract exists.
/// @dev Keys are the strategy setting's name in ASCII, right-padded with zero bytes to 32
///      (`trigger_threshold` -> 0x747269676765725f7468726573686f6c6400...). Every value is a
///      fixed-point number with 18 decimals (WAD): 1e18 = 1.0, 0.85 = 85e16; a count or a number
///      of days is scaled the same way (48 hours = 48e18). Each key has inclusive bounds
///      [min, max] fixed when it is defined; `set` outside them reverts. Keys are defined at
///      construction or later by the owner (`defineParameter`, which may also move a key's
///      bounds).
///      A value may be set to what it already is: the event is emitted all the same.
contract StrategyParameters is Ownable {
    struct Bounds {
        uint256 min;
        uint256 max;
        bool defined;
    }

    mapping(bytes32 => uint256) private _values;
    mapping(bytes32 => Bounds) private _bounds;
    bytes32[] private _keys;

    /// @notice A value changed (or was first defined: `oldValue` is then 0).
    event ParameterChanged(bytes32 indexed key, uint256 oldValue, uint256 newValue);
    /// @notice A key was defined, or its bounds moved.
    event ParameterDefined(bytes32 indexed key, uint256 min, uint256 max);

    error UnknownParameter(bytes32 key);
    error ParameterOutOfBounds(bytes32 key, uint256 value, uint256 min, uint256 max);
    error InvalidBounds(bytes32 key, uint256 min, uint256 max);
    error LengthMismatch();

    constructor(
        address initialOwner,
        bytes32[] memory keys_,
        uint256[] memory values_,
        uint256[] memory mins,
        uint256[] memory maxs
    ) Ownable(initialOwner) {
        uint256 n = keys_.length;
        if (values_.length != n || mins.length != n || maxs.length != n) revert LengthMismatch();
        for (uint256 i = 0; i < n; i++) {
            _define(keys_[i], mins[i], maxs[i], values_[i]);
        }
    }

    // ------------------------------------------------------------------ owner

    /// @notice Change one value (inside its bounds).
    function set(bytes32 key, uint256 value) external onlyOwner {
        _set(key, value);
    }

    /// @notice Change several values at once, in order: one proposal can move values that must
    ///         agree with each other (trigger_threshold and tier 1's drawdown) in one transaction.
    function setMany(bytes32[] calldata keys_, uint256[] calldata values_) external onlyOwner {
        if (keys_.length != values_.length) revert LengthMismatch();
        for (uint256 i = 0; i < keys_.length; i++) {
            _set(keys_[i], values_[i]);
        }
    }

    /// @notice Define a new key, or move an existing key's bounds, with its value.
    function defineParameter(bytes32 key, uint256 min, uint256 max, uint256 value)
        external
        onlyOwner
    {
        _define(key, min, max, value);
    }

    // ------------------------------------------------------------------ reads

    function get(bytes32 key) external view returns (uint256) {
        if (!_bounds[key].defined) revert UnknownParameter(key);
        return _values[key];
    }

    function bounds(bytes32 key) external view returns (uint256 min, uint256 max) {
        Bounds memory b = _bounds[key];
        if (!b.defined) revert UnknownParameter(key);
        return (b.min, b.max);
    }

    function isDefined(bytes32 key) external view returns (bool) {
        return _bounds[key].defined;
    }

    /// @notice Every key and its value, in definition order: what a service reads at start.
    function getAll() external view returns (bytes32[] memory keys_, uint256[] memory values_) {
        keys_ = _keys;
        values_ = new uint256[](keys_.length);
        for (uint256 i = 0; i < keys_.length; i++) {
            values_[i] = _values[keys_[i]];
        }
    }

    // ------------------------------------------------------------------ internal

    function _set(bytes32 key, uint256 value) private {
        Bounds memory b = _bounds[key];
        if (!b.defined) revert UnknownParameter(key);
        if (value < b.min || value > b.max) revert ParameterOutOfBounds(key, value, b.min, b.max);
        uint256 old = _values[key];
        _values[key] = value;
        emit ParameterChanged(key, old, value);
    }

    function _define(bytes32 key, uint256 min, uint256 max, uint256 value) private {
        if (min > max) revert InvalidBounds(key, min, max);
        if (!_bounds[key].defined) _keys.push(key);
        _bounds[key] = Bounds(min, max, true);
        emit ParameterDefined(key, min, max);
        _set(key, value);
    }
}
