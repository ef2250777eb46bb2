// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockCoreBTC
/// @notice Devnet stand-in for coreBTC, Core's bridged BTC: an 8-decimal ERC-20 with an open
///         faucet so tests and the devnet scenario can fund any account.
/// @dev Never deploy outside a devnet: anyone can mint.
contract MockCoreBTC is ERC20 {
    constructor() ERC20("Core Bridged BTC (mock)", "coreBTC") {}

    function decimals() public pure override returns (uint8) {
        return 8;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
