"""`summary.json` and a self-contained `report.html` (plots as inline base64 PNG, no external file).

Plots: PSTR with and without the policy against its 30-day VWAP and the trigger line
(trigger_threshold x VWAP), each intervention marked; the reserve ratio with the 1.5 (emergency
stop) and 2.0 (reduced deployment) lines; the health score with its level bounds; the treasury
value with and without the policy.
"""

from __future__ import annotations

import base64
import html
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend is chosen first
from matplotlib.figure import Figure  # noqa: E402

from ballast.backtest.results import Result  # noqa: E402
from ballast.strategy.health import LEVELS  # noqa: E402


def png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")  # pyright: ignore[reportUnknownMemberType]
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def figure(result: Result) -> Figure:
    """The four panels of a run, one above the other, sharing the time axis."""
    s, p = result.samples, result.settings
    trigger = float(Decimal(p["trigger_threshold"]))
    fig, axes = plt.subplots(4, 1, figsize=(11, 12), sharex=True)  # pyright: ignore[reportUnknownMemberType]
    ax = axes[0]
    ax.plot(s.t, s.base_price, color="#999999", lw=0.8, label="PSTR without the policy")
    ax.plot(s.t, s.price, color="#1f77b4", lw=1.0, label="PSTR with the policy")
    ax.plot(s.t, s.vwap, color="#2ca02c", lw=1.0, label="30-day VWAP")
    ax.plot(s.t, [None if v is None else v * trigger for v in s.vwap], color="#d62728",
            lw=0.8, ls="--", label=f"trigger ({trigger:.0%} of VWAP)")
    for x in result.interventions:
        colour = "#ff7f0e" if not x.reverted else "#7f7f7f"
        ax.axvline(x.decided_at, color=colour, lw=0.8, alpha=0.7)
        ax.annotate(f"T{x.tier}", (x.decided_at, float(x.price_before)), color=colour,  # pyright: ignore[reportUnknownMemberType]
                    fontsize=8, xytext=(2, 4), textcoords="offset points")
    ax.set_ylabel("USD")
    ax.set_title(f"{result.name}: PSTR, VWAP and trigger; interventions marked (T = tier)")
    ax.set_yscale("log")
    ax.legend(loc="upper right", fontsize=8)
    ax = axes[1]
    ax.plot(s.t, s.rr, color="#1f77b4", lw=1.0, label="reserve ratio")
    ax.axhline(float(Decimal(p["min_rr_threshold"])), color="#d62728", ls="--", lw=0.8,
               label="emergency stop (1.5)")
    ax.axhline(float(Decimal(p["reduced_rr_threshold"])), color="#ff7f0e", ls="--", lw=0.8,
               label="reduced deployment (2.0)")
    ax.set_ylabel("treasury / market cap")
    ax.legend(loc="upper right", fontsize=8)
    ax = axes[2]
    ax.plot(s.health_t, s.health, color="#9467bd", lw=1.0, label="health score")
    for bound, level, _ in LEVELS:
        ax.axhline(float(bound), color="#cccccc", lw=0.6)
        ax.text(s.health_t[0] if s.health_t else s.t[0], float(bound), level.value,  # pyright: ignore[reportUnknownMemberType]
                fontsize=7, color="#777777", va="bottom")
    ax.set_ylabel("score")
    ax.legend(loc="upper right", fontsize=8)
    ax = axes[3]
    ax.plot(s.t, [v / 1e6 for v in s.treasury_value], color="#1f77b4", lw=1.0,
            label="treasury value (with the policy)")
    ax.plot(s.t, [v / 1e6 for v in s.treasury_value_without], color="#999999", lw=0.8,
            label="without the policy")
    ax.set_ylabel("USD million")
    ax.legend(loc="upper right", fontsize=8)
    fig.autofmt_xdate()
    return fig


def _rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    dd, rr = summary["pstr_max_drawdown"], summary["min_reserve_ratio"]
    return [
        ("PSTR max drawdown, with / without the policy",
         f"{_pct(dd['with_policy'])} / {_pct(dd['without_policy'])}"),
        ("minimum reserve ratio, with / without",
         f"{_num(rr['with_policy'])} / {_num(rr['without_policy'])}"),
        ("interventions confirmed / reverted",
         f"{summary['interventions_confirmed']} / {summary['interventions_reverted']}"),
        ("PUMP spent", f"{_num(summary['pump_spent'], 0)} (${_num(summary['pump_spent_usd'], 0)})"),
        ("execution cost (price impact + fee + gas)", f"${_num(summary['execution_cost_usd'], 0)}"),
        ("days in safety mode", ", ".join(f"{k} {_num(v, 2)}"
                                         for k, v in summary["days_in_safety_mode"].items())),
        ("hours at each health level", ", ".join(
            f"{k} {v}" for k, v in summary["health_hours_by_level"].items())),
        ("accumulation", f"{summary['accumulation']['buys']} buys, "
                         f"${_num(summary['accumulation']['spent_usd'], 0)}"),
    ]


def _num(x: str | None, places: int = 3) -> str:
    return "n/a" if x is None else f"{Decimal(x):,.{places}f}"


def _pct(x: str) -> str:
    return f"{Decimal(x):.1%}"


def page(title: str, summary: dict[str, Any], images: list[str], extra: str = "") -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                   for k, v in _rows(summary))
    ivs = "".join(
        f"<tr><td>{html.escape(x['decided_at'])}</td><td>{x['tier']}</td>"
        f"<td>{_num(x['amount_usd'], 0)}</td><td>{'reverted' if x['reverted'] else 'ok'}</td>"
        f"<td>{_num(x['price_before'], 4)}</td><td>{_num(x['price_after'], 4)}</td>"
        f"<td>{_num(x['roi'], 3)}</td><td>{_num(x['cost_usd'], 0)}</td></tr>"
        for x in summary["interventions"])
    imgs = "".join(f'<img alt="plots" src="data:image/png;base64,{b}">' for b in images)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}td,th{{padding:2px 8px;
text-align:left;border-bottom:1px solid #eee}}img{{max-width:100%}}</style></head><body>
<h1>{html.escape(title)}</h1><p>{html.escape(summary['start'])} to {html.escape(summary['end'])},
strategy fingerprint {html.escape(summary['strategy_fingerprint'])}</p>
<table>{rows}</table>{imgs}
<h2>Interventions</h2><table><tr><th>decided</th><th>tier</th><th>USD</th><th>execution</th>
<th>price before</th><th>after</th><th>ROI</th><th>cost USD</th></tr>{ivs}</table>{extra}
<h2>Settings</h2><pre>{html.escape(json.dumps(summary['strategy'], indent=1))}
{html.escape(json.dumps(summary['market'], indent=1))}</pre></body></html>"""


def write(result: Result, out: Path) -> dict[str, Any]:
    """summary.json, report.html and its plots alone as report.png into `out`; the summary."""
    out.mkdir(parents=True, exist_ok=True)
    summary = result.summary()
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    title = f"ballast backtest: {result.name}"
    plots = png(figure(result))
    (out / "report.html").write_text(page(title, summary, [plots]))
    (out / "report.png").write_bytes(base64.b64decode(plots))
    return summary


def heatmaps(rows: list[dict[str, Any]], grid: dict[str, list[str]]) -> Figure:
    """Drawdown, minimum RR and cost over the first two keys of the grid."""
    kx, ky = list(grid)[:2]
    xs, ys = grid[kx], grid[ky]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))  # pyright: ignore[reportUnknownMemberType]
    for ax, (column, label) in zip(axes, (("drawdown_with", "PSTR max drawdown"),
                                          ("min_rr", "minimum reserve ratio"),
                                          ("cost_usd", "execution cost (USD)")), strict=True):
        grid_values: list[list[float]] = []
        for y in ys:
            line: list[float] = []
            for x in xs:
                row = next((r for r in rows if r[kx] == x and r[ky] == y), None)
                value = row.get(column) if row else None
                line.append(float(value) if value not in (None, "") else float("nan"))
            grid_values.append(line)
        image = ax.imshow(grid_values, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(xs)), xs, rotation=45, fontsize=8)
        ax.set_yticks(range(len(ys)), ys, fontsize=8)
        ax.set_xlabel(kx)
        ax.set_ylabel(ky)
        ax.set_title(label)
        fig.colorbar(image, ax=ax)  # pyright: ignore[reportUnknownMemberType]
        for j, line in enumerate(grid_values):
            for i, v in enumerate(line):
                ax.text(i, j, f"{v:.3g}", ha="center", va="center", fontsize=7, color="white")  # pyright: ignore[reportUnknownMemberType]
    fig.tight_layout()
    return fig


def write_sweep(rows: list[dict[str, Any]], grid: dict[str, list[str]], title: str,
                out: Path) -> None:
    """sweep.csv is written by ballast.backtest.sweep; this is sweep.html (table + heatmap)."""
    keys = list(grid)
    columns = [*keys, "drawdown_with", "drawdown_without", "min_rr", "interventions",
               "pump_spent_usd", "cost_usd", "error"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>"
                                    for c in columns) + "</tr>" for r in rows)
    image = ""
    if len(keys) >= 2:
        image = f'<img alt="heatmap" src="data:image/png;base64,{png(heatmaps(rows, grid))}">'
        if len(keys) > 2:
            image = "<p>heatmap of the first two keys (the first value of the others)</p>" + image
    (out / "sweep.html").write_text(
        f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 8px;border-bottom:1px solid
#eee}}img{{max-width:100%}}</style></head><body><h1>{html.escape(title)}</h1>{image}
<table><tr>{head}</tr>{body}</table></body></html>""")
