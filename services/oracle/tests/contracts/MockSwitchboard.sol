// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Test stand-in for Switchboard on-demand's EVM contract: only the read the oracle uses,
/// `latestUpdate(bytes32) -> (feedId, int128 result, uint256 timestamp, uint64 slot)` with an
/// 18-decimal result (REFERENCE.md "Switchboard"). Tests set updates directly.
contract MockSwitchboard {
    struct Update {
        bytes32 feedId;
        int128 result;
        uint256 timestamp;
        uint64 slot;
    }

    mapping(bytes32 => Update) private updates;

    function setUpdate(bytes32 feedId, int128 result, uint256 timestamp, uint64 slot) external {
        updates[feedId] = Update(feedId, result, timestamp, slot);
    }

    function latestUpdate(bytes32 feedId) external view returns (Update memory) {
        Update memory u = updates[feedId];
        require(u.timestamp != 0, "feed not found");
        return u;
    }
}
