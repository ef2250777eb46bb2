// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IAggregatorV3
/// @notice Chainlink's AggregatorV3Interface, written out here because npm @chainlink/contracts
///         does not install offline (REFERENCE.md "Chainlink"). Any feed with these five views
///         can be a PriceFeed source.
interface IAggregatorV3 {
    function decimals() external view returns (uint8);

    function description() external view returns (string memory);

    function version() external view returns (uint256);

    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80 roundId_, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
