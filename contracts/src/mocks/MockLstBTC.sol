// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ILstBTC} from "../etf/interfaces/ILstBTC.sol";

/// @title MockLstBTC
/// @notice Devnet stand-in for lstBTC behind the ILstBTC adapter: 8 decimals, minted 1:1 for
///         coreBTC and redeemed 1:1, as lstBTC is 1:1 with staked BTC (its yield is paid in CORE,
///         not through an exchange rate; REFERENCE.md "lstBTC").
contract MockLstBTC is ERC20, ILstBTC {
    using SafeERC20 for IERC20;

    IERC20 public immutable coreBTC;

    event Minted(address indexed account, uint256 amount);
    event Redeemed(address indexed account, uint256 amount);

    constructor(IERC20 coreBTC_) ERC20("Liquid Staked BTC (mock)", "lstBTC") {
        coreBTC = coreBTC_;
    }

    function decimals() public pure override returns (uint8) {
        return 8;
    }

    function mint(uint256 btcAmount) external {
        coreBTC.safeTransferFrom(msg.sender, address(this), btcAmount);
        _mint(msg.sender, btcAmount);
        emit Minted(msg.sender, btcAmount);
    }

    function redeem(uint256 lstAmount) external {
        _burn(msg.sender, lstAmount);
        coreBTC.safeTransfer(msg.sender, lstAmount);
        emit Redeemed(msg.sender, lstAmount);
    }
}
