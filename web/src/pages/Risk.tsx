import { useState } from "react";
import { StreamState, Payload } from "../stream";
import { SeriesChart } from "../SeriesChart";
import * as f from "../format";
import { ScrollTable, Stat } from "../ui";

const PERIODS: [string, number][] = [["1 h", 3600], ["24 h", 86400], ["7 d", 7 * 86400]];
const CHARTS: [string, string][] = [
  ["reserve_ratio", "Reserve ratio ×"], ["health_score", "Health score pts"],
  ["var", "VaR 95% 1-day $"], ["expected_shortfall", "Expected shortfall $"],
  ["price.PSTR", "PSTR $"], ["nav_per_share", "BASKET NAV $"],
];

export function Risk({ stream, token }: { stream: StreamState; token: string }) {
  const t = stream.latest["treasury.state"];
  const r = stream.latest["risk.report"];
  const l = stream.latest["liquidity.state"];
  const [period, setPeriod] = useState(3600);
  const [series, setSeries] = useState("reserve_ratio");
  return (
    <>
      <section className="card">
        <h2>Holdings</h2>
        <table data-testid="holdings">
          <thead><tr><th>Asset</th><th>Amount</th><th>Price</th><th>Value</th></tr></thead>
          <tbody>
            {(t?.holdings as Payload[] | undefined)?.map((h) => (
              <tr key={h.symbol}><td>{h.symbol}</td><td>{f.tokens(h.amount, h.symbol, 2)}</td><td>{f.price(h.price_usd)}</td><td>{f.usd(h.value_usd)}</td></tr>
            ))}
          </tbody>
        </table>
        <p>Treasury {f.usd(t?.treasury_value_usd)} · reserve ratio {f.ratio(t?.reserve_ratio)} · PUMP concentration {f.pct(t?.pump_concentration)} (limit {f.pct(t?.pump_concentration_limit)})</p>
      </section>
      <section className="card">
        <h2>Risk</h2>
        <div className="stats" data-testid="risk">
          <Stat label="VaR 95% 1-day (historical)" value={f.usd(r?.var_historical_usd)} />
          <Stat label="VaR 95% 1-day (parametric)" value={f.usd(r?.var_parametric_usd)} />
          <Stat label="Expected shortfall" value={f.usd(r?.expected_shortfall_usd)} />
          <Stat label="Daily volatility" value={f.pct(r?.daily_volatility, 2)} />
          <Stat label="Market risk" value={r?.market_risk_level ?? "—"} />
          <Stat label="Portfolio" value={f.usd(r?.portfolio_value_usd)} />
        </div>
      </section>
      <section className="card">
        <h2>History</h2>
        <div className="row wrap">
          <label>Series <select value={series} onChange={(e) => setSeries(e.target.value)}>
            {CHARTS.map(([s, label]) => <option key={s} value={s}>{label}</option>)}
          </select></label>
          <label>Period <select value={period} onChange={(e) => setPeriod(Number(e.target.value))}>
            {PERIODS.map(([label, s]) => <option key={s} value={s}>{label}</option>)}
          </select></label>
        </div>
        <SeriesChart series={series} label={CHARTS.find(([s]) => s === series)?.[1] ?? series} token={token} seconds={period} />
      </section>
      <section className="card">
        <h2>Liquidity positions</h2>
        {!l && <p className="muted">No liquidity state yet.</p>}
        <ScrollTable headers={["Pool", "Value", "Weight (target)", "In range", "IL", "Fees"]}>
          {(l?.positions as Payload[] | undefined)?.map((p) => (
            <tr key={p.pool}><td>{p.pair}</td><td>{f.usd(p.value_usd)}</td><td>{f.pct(p.actual_weight)} ({f.pct(p.target_weight)})</td>
              <td>{p.in_range ? "yes" : "no"}</td><td>{f.pct(p.impermanent_loss, 2)}</td><td>{f.usd(p.fees_earned_usd)}</td></tr>
          ))}
        </ScrollTable>
      </section>
    </>
  );
}
