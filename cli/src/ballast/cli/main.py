"""The `ballast` command."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ballast", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run NATS, Postgres, anvil and every service, with a live view")
    up.add_argument("--no-services", action="store_true", help="infrastructure only")
    sub.add_parser("status", help="print the view of a stack that is already up, once")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    from ballast.cli import up  # noqa: PLC0415 - keep `ballast --help` fast

    if args.command == "up":
        sys.exit(up.up(with_services=not args.no_services))
    if args.command == "status":
        sys.exit(up.status())


if __name__ == "__main__":
    main()
