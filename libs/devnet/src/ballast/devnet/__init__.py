"""The devnet deployer: the local market on anvil, as a library (`ballast deploy devnet`, `ballast
up` and the test plugin's fixtures all call `deploy`).

`deploy(rpc_url, out)` writes `deployment.json` (its model: ballast.common.deployment, which the
services read); beside it, `oracle-devnet.json` lists the oracle service's sources for the
deployed feeds (oracle.py).

    deployer.py  the market: tokens, Uniswap V2 pools, aggregators + MockPyth, accounts
    protocol.py  Core system stand-ins, the StakeBasket suite, governance
    custody.py   the treasury Safe and the bot's Roles modifier (`--safe`)
    control.py   last: the ETF's admin to the timelock, its pause to the guardian
    prices.py    the starting numbers and why (reserve ratio 3.0)
    chain.py     pipelined signing and sending

The compiled contracts are read by ballast.common.evm.artifacts.
"""

from ballast.common.deployment import Deployment, load
from ballast.devnet.deployer import deploy

__all__ = ["Deployment", "deploy", "load"]
