"""EVM chain access shared by the services, the devnet deployer and the tests.

    provider.py   `connect(rpc_url, timeout)`: an AsyncWeb3 over a lock-free HTTP provider
                  (needs the `evm` extra: web3)
    multicall.py  `Multicall3`: many view calls at one block in one eth_call, over any node
                  client (needs eth_abi only)
    artifacts.py  compiled contracts (contracts/artifacts) and ABI JSON files beside a module

Nothing is imported here, so a service without web3 may use multicall and artifacts.
"""
