"""The devnet: deploy the local market (`ballast deploy devnet`) and read what was deployed.

`deploy(rpc_url, out)` is what `ballast up` calls; services read `deployment.json` with
`load(path)` (see schema.py for every key).
"""

from ballast.cli.devnet.deployer import deploy
from ballast.cli.devnet.schema import Deployment, load

__all__ = ["Deployment", "deploy", "load"]
