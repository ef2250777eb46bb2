// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IAggregatorV3} from "../etf/interfaces/IAggregatorV3.sol";

/// @title TestAggregator
/// @notice A Chainlink AggregatorV3-compatible feed for local tests and the devnet, moved by
///         `setAnswer` (a fresh round now) or `setRoundData` (any round, any timestamps, to make
///         stale or odd rounds on purpose).
/// @dev Setters are open: devnet only. Written here because @chainlink/contracts does not install
///      offline (REFERENCE.md "Chainlink").
contract TestAggregator is IAggregatorV3 {
    struct Round {
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
        uint80 answeredInRound;
    }

    uint8 public immutable decimals;
    string public description;
    uint256 public constant version = 4;
    uint80 public latestRound;
    mapping(uint80 roundId => Round) private _rounds;

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    error NoDataPresent();

    constructor(uint8 decimals_, string memory description_, int256 initialAnswer) {
        decimals = decimals_;
        description = description_;
        if (initialAnswer != 0) setAnswer(initialAnswer);
    }

    /// @notice Publish `answer` as a new round stamped with the current block time.
    function setAnswer(int256 answer) public {
        uint80 id = latestRound + 1;
        _rounds[id] = Round(answer, block.timestamp, block.timestamp, id);
        latestRound = id;
        emit AnswerUpdated(answer, id, block.timestamp);
    }

    /// @notice Write round `roundId` verbatim; it becomes the latest when it is the newest id.
    function setRoundData(uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
        external
    {
        _rounds[roundId] = Round(answer, startedAt, updatedAt, answeredInRound);
        if (roundId >= latestRound) latestRound = roundId;
        emit AnswerUpdated(answer, roundId, updatedAt);
    }

    function getRoundData(uint80 roundId) public view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = _rounds[roundId];
        if (r.updatedAt == 0) revert NoDataPresent();
        return (roundId, r.answer, r.startedAt, r.updatedAt, r.answeredInRound);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(latestRound);
    }
}
