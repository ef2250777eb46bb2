// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title SingletonFactory: the interface and behaviour of ERC-2470's factory, for the devnet.
/// @notice Zodiac Roles v2 writes its packed permission data as contract code through the ERC-2470
/// factory at 0xce0042B868300000d44A59004Da54A005ffdcf9f (its WriteOnce store) and reads it back
/// at the CREATE2 address that factory gives. Mainnets have that factory from its keyless
/// deployment; the devnet installs this runtime at the same address with `anvil_setCode`, and as
/// CREATE2 addresses depend only on (factory address, salt, init code), they match.
contract SingletonFactory {
    /// @notice Deploys `_initCode` with CREATE2 and `_salt`; returns the address (zero on failure).
    function deploy(bytes memory _initCode, bytes32 _salt) public returns (address payable createdContract) {
        assembly {
            createdContract := create2(0, add(_initCode, 0x20), mload(_initCode), _salt)
        }
    }
}
