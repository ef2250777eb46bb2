import { consensusPrices, StreamState, Payload } from "../stream";
import { useApi } from "../useApi";
import * as f from "../format";
import { SeriesChart } from "../SeriesChart";
import { useControl } from "../control";
import { Stat } from "../ui";

export function Overview({ stream, token, operator }: { stream: StreamState; token: string; operator: boolean }) {
  const { message, send } = useControl(token);
  const { latest } = stream;
  const t = latest["treasury.state"];
  const h = latest["health.score"];
  const d = latest["intervention.decided"];
  const prices = consensusPrices(latest);
  const alerts = useApi<Payload[]>("/api/v1/alerts", token, stream.version);
  return (
    <>
      <section className="card">
        <h2>Treasury</h2>
        <div className="stats">
          <Stat label="Health (1.00 pts = on target)" testId="health" value={h ? `${h.level} · ${f.score(h.score)}` : "—"} />
          <Stat label="Reserve-ratio component" value={h ? f.score(h.reserve_ratio_component) : "—"} />
          <Stat label="Intervention-capacity component" value={h ? f.score(h.intervention_capacity_component) : "—"} />
          <Stat label="Diversification component" value={h ? f.score(h.diversification_component) : "—"} />
          <Stat label="Reserve ratio" testId="reserve-ratio" value={f.ratio(t?.reserve_ratio)} />
          <Stat label="Safety mode" value={t?.safety_mode ?? "—"} />
          <Stat label="Tier" testId="tier" value={t ? String(t.tier) : "—"} />
          <Stat label="Treasury value" value={f.usd(t?.treasury_value_usd)} />
          <Stat label="Drawdown vs 30-day VWAP" value={f.pct(t?.drawdown)} />
        </div>
      </section>
      <section className="card">
        <h2>Consensus prices</h2>
        {prices.length === 0 && <p className="muted">No price yet.</p>}
        {prices.map(([symbol, p]) => (
          <div key={symbol} className="price-row">
            <div>
              <strong>{symbol}</strong>{" "}
              <span data-testid={`price-${symbol}`} className="big">{f.price(p.price)}</span>{" "}
              <span className={`badge ${p.status}`}>{p.status}</span>
            </div>
            <ul className="sources">
              {(p.sources as Payload[]).map((s) => (
                <li key={s.source}>
                  {s.source}: {f.price(s.price)} {s.used ? "used" : "unused"}
                  {s.deviation != null && ` · dev ${f.pct(s.deviation, 2)}`}
                  {(s.flags as string[]).length > 0 && <span className="flag"> {(s.flags as string[]).join(", ")}</span>}
                </li>
              ))}
            </ul>
          </div>
        ))}
        <SeriesChart series="price.PSTR" label="PSTR $, last hour" token={token}
          live={latest["prices.consensus.PSTR"] && { t: latest["prices.consensus.PSTR"].computed_at, value: latest["prices.consensus.PSTR"].price }} />
      </section>
      <section className="card">
        <h2>Latest decision</h2>
        {d ? (
          <div data-testid="latest-decision">
            <strong>{d.action}</strong> ({d.strategy}) at {f.time(d.decided_at)}: {f.usd(d.amount_usd)}
            {d.requires_approval && <span className="badge WARN"> needs approval</span>}
            <ul>{(d.reasons as string[]).map((r, i) => <li key={i}>{r}</li>)}</ul>
          </div>
        ) : <p className="muted">No decision yet.</p>}
      </section>
      <section className="card">
        <h2>Open alerts</h2>
        {alerts.error && <p className="error">{alerts.error}</p>}
        {message && <p role="status" data-testid="alert-message">{message}</p>}
        {alerts.data?.length === 0 && <p className="muted">None firing.</p>}
        <ul>
          {alerts.data?.map((a) => (
            <li key={a.key} data-key={a.key} data-testid={`alert-${a.rule}`}><span className={`badge ${a.severity}`}>{a.severity}</span> {a.summary || a.rule} <span className="muted">since {f.time(a.starts_at)}</span>
              {a.acknowledged && <span className="badge info" data-testid="acknowledged"> acknowledged by {a.acknowledged_by}</span>}
              {operator && <div className="row wrap">
                {!a.acknowledged && <button type="button" onClick={() => send("ack", { target: a.key, reason: "acknowledged in the console" })}>Acknowledge</button>}
                <button type="button" onClick={() => send("silence", { target: a.key, duration_seconds: 7200, reason: "silenced in the console" })}>Silence 2 h</button>
              </div>}
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
