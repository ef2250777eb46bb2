"""anvil for tests: the session fixture uses these (they live in ballast.devstack.anvil)."""

from ballast.devstack.anvil import (
    CHAIN_ID,
    DEFAULT_MNEMONIC,
    DEFAULT_PRIVATE_KEYS,
    Anvil,
    RpcError,
    anvil_binary,
    rpc_call,
    run_anvil,
)

__all__ = [
    "CHAIN_ID",
    "DEFAULT_MNEMONIC",
    "DEFAULT_PRIVATE_KEYS",
    "Anvil",
    "RpcError",
    "anvil_binary",
    "rpc_call",
    "run_anvil",
]
