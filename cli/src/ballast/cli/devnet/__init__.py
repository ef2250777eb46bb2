"""`ballast deploy devnet` (command.py); the deployer itself is the ballast.devnet library."""
