"""The devnet: deploy the local market (`ballast deploy devnet`) and read what was deployed.

`deploy(rpc_url, out)` is what `ballast up` calls; services read `deployment.json` with
`load(path)` (see schema.py for every key). Beside it, `oracle-devnet.json` lists the oracle
service's sources for the deployed feeds (oracle.py).

    deployer.py  the market: tokens, Uniswap V2 pools, aggregators + MockPyth, accounts
    protocol.py  Core system stand-ins, the StakeBasket suite, governance
    prices.py    the starting numbers and why (reserve ratio 3.0)
    chain.py     pipelined signing and sending; artifacts.py the committed compiler output
"""

from ballast.cli.devnet.deployer import deploy
from ballast.cli.devnet.schema import Deployment, load

__all__ = ["Deployment", "deploy", "load"]
