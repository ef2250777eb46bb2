"""`ballast backtest`: the live policy over a built-in scenario or a CSV of history, into
`--out DIR` (summary.json, report.html; with `--sweep`, sweep.csv and sweep.html)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from ballast.backtest.scenarios import SCENARIOS


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "backtest", help="the live policy over scenarios or CSV history, with a report",
        description="Replay minute bars through the same policy code as the live services "
        "(consensus, VWAP, treasury state, tiers, health, risk, the intervention decision, "
        "accumulation) with a simulated constant-product pool. Strategy settings come from "
        "BALLAST_STRATEGY_* like the services', then with --chain the StrategyParameters "
        "contract's values (what governance has set and the live services decide with), "
        "then --set.")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--scenario", choices=list(SCENARIOS), help="a built-in scenario "
                     "(default calm)")
    src.add_argument("--csv", type=Path, help="minute history: time,symbol,price,volume[,source]")
    p.add_argument("--seed", type=int, default=0, help="scenario seed (default 0)")
    p.add_argument("--days", type=int, default=30, help="scenario days after the warm-up")
    p.add_argument("--warmup-days", type=int, default=30,
                   help="days that only feed the 30-day VWAP (default 30)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="a strategy key (trigger_threshold, max_deployment, ...) or a market "
                   "key (pool_pump, fee_bps, gas_usd, impact_half_life_hours, ...)")
    p.add_argument("--chain", metavar="RPC_URL", help="read the governed strategy values from "
                   "the StrategyParameters contract on this chain (latest block)")
    p.add_argument("--deployment", type=Path, help="with --chain: where the contract's address "
                   "is (default: .ballast/deployment.json)")
    p.add_argument("--sweep", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="run the grid of these values in a process pool")
    p.add_argument("--workers", type=int, help="sweep processes (default: one per core)")
    p.add_argument("--out", type=Path, default=Path("backtest-out"), help="output directory")
    p.add_argument("--verify", action="store_true",
                   help="also evaluate every minute the fast path skips (slow; a self-check)")


def run(args: argparse.Namespace) -> int:
    from ballast.backtest import report  # noqa: PLC0415 - matplotlib is slow to import
    from ballast.backtest.config import Source, resolve, split_sets  # noqa: PLC0415
    from ballast.backtest.engine import Engine  # noqa: PLC0415
    from ballast.backtest.sweep import parse_grid, sweep, write_csv  # noqa: PLC0415

    console = Console(stderr=True)
    source = Source(scenario=args.scenario, csv=args.csv, seed=args.seed, days=args.days,
                    warmup_days=args.warmup_days)
    try:
        sets = split_sets(args.sets)
        params, account = resolve(sets, _governed(args.chain, args.deployment))
        grid = parse_grid(args.sweep)
        if args.workers is not None and args.workers < 1:
            raise ValueError("--workers must be at least 1")
        if args.csv is not None and not args.csv.is_file():
            raise ValueError(f"--csv {args.csv}: no such file")
        tape = source.tape()
    except ValueError as err:
        console.print(f"[red]ballast backtest: {err}[/red]")
        return 2
    if args.chain:
        console.print(f"strategy: the governed values of StrategyParameters on {args.chain} "
                      f"(fingerprint {params.fingerprint()})")
    args.out.mkdir(parents=True, exist_ok=True)
    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"{tape.name}: {tape.length:,} minutes", total=tape.length)
        started = time.perf_counter()
        engine = Engine(tape, params, account, verify=args.verify,
                        progress=lambda i, n: bar.update(task, completed=i))
        result = engine.run()
        took = time.perf_counter() - started
    summary = report.write(result, args.out)
    dd, rr = summary["pstr_max_drawdown"], summary["min_reserve_ratio"]
    console.print(
        f"{tape.name}: {tape.length:,} minutes in {took:.1f}s; PSTR max drawdown "
        f"{float(dd['with_policy']):.1%} with the policy, {float(dd['without_policy']):.1%} "
        f"without; min reserve ratio {_f(rr['with_policy'])} (without {_f(rr['without_policy'])});"
        f" {summary['interventions_confirmed']} intervention(s), PUMP spent "
        f"${float(summary['pump_spent_usd']):,.0f}")
    if grid:
        with Progress(*columns, console=console, transient=True) as bar:
            n = len(list(_points(grid)))
            task = bar.add_task(f"sweep: {n} runs", total=n)
            started = time.perf_counter()
            rows = sweep(source, sets, grid, args.workers,
                         progress=lambda i, _n: bar.update(task, completed=i))
            took = time.perf_counter() - started
        write_csv(rows, list(grid), args.out / "sweep.csv")
        report.write_sweep(rows, grid, f"ballast backtest sweep: {tape.name}", args.out)
        console.print(f"sweep: {len(rows)} runs in {took:.1f}s -> {args.out / 'sweep.csv'}")
    console.print(f"report: {args.out / 'report.html'}")
    print(json.dumps({k: summary[k] for k in ("pstr_max_drawdown", "min_reserve_ratio",
                                              "interventions_confirmed", "pump_spent")}))
    return 0


def _governed(rpc_url: str | None, deployment: Path | None) -> dict[str, int] | None:
    """name -> WAD of every StrategyParameters value now, or None without --chain; ValueError
    (one line) when the file, the contract or the chain cannot be read."""
    if rpc_url is None:
        return None
    import asyncio  # noqa: PLC0415

    from ballast.cli.devnet.command import default_deployment_path  # noqa: PLC0415
    from ballast.common.deployment import DeploymentFile, DeploymentFileError  # noqa: PLC0415
    from ballast.common.evm.parameters import read_parameters_at  # noqa: PLC0415
    from ballast.strategy.onchain import key_name  # noqa: PLC0415

    path = deployment or default_deployment_path()
    try:
        address = DeploymentFile.read(path).address("governance.parameters")
    except DeploymentFileError as err:
        raise ValueError(f"--deployment {err}") from None
    if not address:
        raise ValueError(f"--deployment {path}: no governance.parameters (StrategyParameters)")

    try:
        _, values = asyncio.run(read_parameters_at(rpc_url, address, request_seconds=10,
                                                     retry=False))
    except Exception as err:  # noqa: BLE001 - any failure to read is one line for the user
        raise ValueError(f"--chain {rpc_url}: cannot read StrategyParameters at {address}: "
                         f"{type(err).__name__}: {err}") from None
    return {key_name(k): v for k, v in values.items()}


def _points(grid: dict[str, list[str]]) -> list[dict[str, str]]:
    from ballast.backtest.sweep import points  # noqa: PLC0415

    return points(grid)


def _f(x: str | None) -> str:
    return "n/a" if x is None else f"{float(x):.2f}"
