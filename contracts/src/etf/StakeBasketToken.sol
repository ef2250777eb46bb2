// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title StakeBasketToken (BASKET)
/// @notice The ERC-20 shares of the StakeBasket ETF: each BASKET is a pro-rata claim on the
///         basket's AUM (seed "NAV per Share = Total AUM in USD / Total BASKET Supply").
/// @dev Only the StakeBasket may mint and burn, because minting at any price other than NAV
///      dilutes holders. The token and the basket reference each other, so the binding is a
///      one-shot `bindBasket` by the deployer right after both exist; after that nobody, the
///      deployer included, can change who mints.
contract StakeBasketToken is ERC20 {
    /// @notice The StakeBasket allowed to mint and burn; zero until bound.
    address public basket;
    address private immutable _deployer;

    event BasketBound(address indexed basket);

    error OnlyBasket(address caller);
    error AlreadyBound();
    error NotDeployer(address caller);
    error ZeroAddress();

    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {
        _deployer = msg.sender;
    }

    modifier onlyBasket() {
        if (msg.sender != basket || basket == address(0)) revert OnlyBasket(msg.sender);
        _;
    }

    /// @notice Name the StakeBasket that mints and burns. Callable once, by the deployer.
    function bindBasket(address basket_) external {
        if (msg.sender != _deployer) revert NotDeployer(msg.sender);
        if (basket != address(0)) revert AlreadyBound();
        if (basket_ == address(0)) revert ZeroAddress();
        basket = basket_;
        emit BasketBound(basket_);
    }

    function mint(address to, uint256 amount) external onlyBasket {
        _mint(to, amount);
    }

    /// @notice Burn `amount` of `from`'s shares. The basket burns only shares its caller redeems.
    function burn(address from, uint256 amount) external onlyBasket {
        _burn(from, amount);
    }
}
