"""The `ballast` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ballast", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run NATS, Postgres, anvil and every service, with a live view")
    up.add_argument("--no-services", action="store_true", help="infrastructure only")
    up.add_argument("--no-safe", dest="safe", action="store_false",
                    help="hold the treasury in an account whose key the intervention service "
                    "holds, instead of (the default) a Safe of 2 of 3 devnet owners that the "
                    "service reaches only through a Zodiac Roles modifier with the strategy's role")
    up.add_argument("--scenario", default="calm",
                    help="market scenario driving the devnet (default calm; 'none' for none)")
    sub.add_parser("status", help="print the view of a stack that is already up, once")
    deploy = sub.add_parser("deploy", help="deploy contracts").add_subparsers(
        dest="target", required=True)
    devnet = deploy.add_parser("devnet", help="the local market on anvil -> deployment.json")
    devnet.add_argument("--rpc-url", help="default: the running stack's anvil, else :8545")
    devnet.add_argument("--out", type=Path, help="default: .ballast/deployment.json")
    devnet.add_argument("--safe", action="store_true",
                        help="hold the treasury in a Safe (2 of 3 devnet owners); the bot acts "
                        "through a Zodiac Roles modifier with the strategy's role")
    scenario = sub.add_parser("scenario", help="drive the devnet market: calm, crash, slow-bleed, "
                              "flash-spike, oracle-attack, stale-feed, pump")
    scenario.add_argument("name")
    scenario.add_argument("--rpc-url", help="default: the running stack's anvil, else :8545")
    scenario.add_argument("--deployment", type=Path, help="default: .ballast/deployment.json")
    scenario.add_argument("--seed", type=int, default=0)
    scenario.add_argument("--speed", type=float, default=1.0,
                          help="chain seconds per wall second: 1 (default) is real time, more "
                          "compresses time (services judging staleness by the wall clock then "
                          "see chain times ahead of theirs), 0 runs without waiting")
    scenario.add_argument("--steps", type=int, help="default: per scenario")
    scenario.add_argument("--interval", type=int, default=5,
                          help="chain seconds per step (default 5)")
    from ballast.cli.backtest import add_parser  # noqa: PLC0415
    from ballast.cli.custody import add_parser as add_custody  # noqa: PLC0415

    add_parser(sub)
    from ballast.cli.control import add_parser as add_control  # noqa: PLC0415

    add_control(sub)
    add_custody(sub)
    from ballast.cli.safe import add_parser as add_safe  # noqa: PLC0415

    add_safe(sub)
    report = sub.add_parser("report", help="the status report from Postgres, in one page")
    report.add_argument("--since", default="24h", help="the period: 6h, 24h, 7d (default 24h)")
    report.add_argument("--format", choices=("text", "markdown", "html"), default="text")
    report.add_argument("--database-url", help="default: DATABASE_URL, else the local stack's")
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "backtest":
        from ballast.cli.backtest import run  # noqa: PLC0415

        sys.exit(run(args))
    if args.command == "control":
        from ballast.cli.control import run as control  # noqa: PLC0415
        from ballast.cli.infra import data_dir_for  # noqa: PLC0415
        from ballast.devstack.processes import repo_root  # noqa: PLC0415

        sys.exit(control(args, data_dir_for(repo_root())))
    if args.command == "custody":
        from ballast.cli.custody import run as custody  # noqa: PLC0415

        sys.exit(custody(args))
    if args.command == "safe":
        from ballast.cli.safe import run as safe  # noqa: PLC0415

        sys.exit(safe(args))
    from ballast.cli import up  # noqa: PLC0415 - keep `ballast --help` fast

    if args.command == "up":
        scenario = None if args.scenario == "none" else args.scenario
        if scenario is not None:
            from ballast.cli.scenarios.generators import SCENARIOS  # noqa: PLC0415

            if scenario not in SCENARIOS:
                parser.error(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
        sys.exit(up.up(with_services=not args.no_services, scenario=scenario,
                       safe=args.safe))
    if args.command == "status":
        from ballast.cli.status import status  # noqa: PLC0415

        sys.exit(status())
    if args.command == "report":
        from ballast.cli.infra import data_dir_for  # noqa: PLC0415
        from ballast.cli.report import report_command  # noqa: PLC0415
        from ballast.devstack.processes import repo_root  # noqa: PLC0415

        sys.exit(report_command(args.since, args.format, args.database_url,
                                data_dir_for(repo_root())))
    if args.command == "deploy":
        from ballast.cli.devnet.command import deploy_devnet  # noqa: PLC0415

        sys.exit(deploy_devnet(args.rpc_url, args.out, safe=args.safe))
    if args.command == "scenario":
        from ballast.cli.scenarios.command import scenario_command  # noqa: PLC0415

        sys.exit(scenario_command(args.name, rpc_url=args.rpc_url, deployment=args.deployment,
                                  seed=args.seed, speed=args.speed, steps=args.steps,
                                  interval=args.interval))


if __name__ == "__main__":
    main()
