"""`ballast custody roles [--apply]`: the bot's Roles v2 permission set, generated from the strategy
settings (`BALLAST_STRATEGY_*`, ballast.strategy.settings) by ballast.devnet.bot_role.bot_role.

Without `--apply` it prints the plan as JSON: every target and function the bot may call through
the treasury Safe's Roles modifier, each condition as the modifier stores it, and the daily
allowances. With `--apply` the Safe's owners send it to the modifier (one Safe transaction per
Roles call, signed by the devnet owner keys): the chain then enforces what the policy says.
Applying sets each scoped function and allowance afresh (an allowance starts full again); a
function dropped from the plan is not revoked.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eth_utils.address import to_checksum_address

from ballast.common.deployment import Deployment
from ballast.common.evm.artifacts import load_artifact
from ballast.common.evm.roles import RolePlan


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    custody = sub.add_parser("custody", help="the treasury Safe and the bot's on-chain role")
    what = custody.add_subparsers(dest="what", required=True)
    roles = what.add_parser("roles", help="print (or --apply) the bot's role, generated from the "
                            "strategy settings")
    roles.add_argument("--deployment", type=Path, help="default: .ballast/deployment.json")
    roles.add_argument("--rpc-url", help="default: the running stack's anvil, else :8545")
    roles.add_argument("--pump-held", type=int,
                       help="PUMP base units the Safe holds (default: read from the chain)")
    roles.add_argument("--apply", action="store_true",
                       help="send it to the Roles modifier through the Safe (devnet owner keys)")


def plan_for(deployment: Deployment, pump_held: int) -> RolePlan:
    """The bot's role for this deployment under the environment's strategy settings."""
    from ballast.devnet.bot_role import bot_role, targets  # noqa: PLC0415
    from ballast.strategy.settings import strategy_from_env  # noqa: PLC0415

    bot = deployment.custody.bot if deployment.custody else deployment.treasury
    return bot_role(strategy_from_env().params(), targets(deployment), bot, pump_held)


def run(args: argparse.Namespace) -> int:
    from ballast.cli.devnet.command import default_deployment_path, default_rpc_url  # noqa: PLC0415
    from ballast.devnet.chain import Sender, connect, contract  # noqa: PLC0415

    deployment = Deployment.load(args.deployment or default_deployment_path())
    w3 = connect(args.rpc_url or default_rpc_url())
    holder = deployment.custody.safe if deployment.custody else deployment.treasury
    pump_held = args.pump_held
    if pump_held is None:
        pump = contract(w3, load_artifact("TestToken"), deployment.tokens["PUMP"].address)
        pump_held = int(pump.functions.balanceOf(to_checksum_address(holder)).call())
    try:
        plan = plan_for(deployment, pump_held)
    except ValueError as err:
        print(f"strategy settings: {err}")
        return 2
    print(plan.to_json())
    if not args.apply:
        return 0
    if deployment.custody is None:
        print("this deployment has no Safe (deploy with `ballast deploy devnet --safe`)")
        return 2
    from ballast.devnet.custody import OWNER_KEYS, SafeOwners, role_calls  # noqa: PLC0415
    from ballast.devnet.deployer import DEPLOYER_KEY  # noqa: PLC0415

    payer = Sender(w3, DEPLOYER_KEY)
    safe = contract(w3, load_artifact("SafeL2"), deployment.custody.safe)
    owners = SafeOwners(w3, safe, OWNER_KEYS, payer)
    roles = contract(w3, load_artifact("Roles"), deployment.custody.roles)
    calls = role_calls(roles, plan)
    for data in calls:
        owners.execute(roles.address, data)
    payer.settle()
    print(f"applied: {len(calls)} Roles call(s) through Safe {deployment.custody.safe}")
    return 0
