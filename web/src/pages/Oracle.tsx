// Oracle and validators: per symbol each source's price, status, flags, confidence and age with the
// consensus over them (prices.consensus.*, live); the validators' latest round (the snapshot).
import { useEffect, useState } from "react";
import { formatUnits } from "viem";
import { consensusPrices, StreamState, Payload } from "../stream";
import { useApi } from "../useApi";
import * as f from "../format";
import { ScrollTable, Stat } from "../ui";

// CandidateHub's status word (validator-monitor's domain/status.py)
const STATUS_BITS: [number, string][] = [[1, "candidate"], [2, "inactive"], [4, "jailed"], [8, "margin low"], [16, "validator"]];

function statusWords(bits: number): string {
  const words = STATUS_BITS.filter(([b]) => bits & b).map(([, w]) => w);
  return words.length ? words.join(", ") : "not a candidate";
}

function age(iso: string | null | undefined, now: number): string {
  if (!iso) return "—";
  const s = Math.max(0, (now - new Date(iso).getTime()) / 1000);
  return s < 120 ? `${s.toFixed(0)} s` : f.duration(s);
}

function Consensus({ symbol, p, now }: { symbol: string; p: Payload; now: number }) {
  const sources = (p.sources as Payload[]) ?? [];
  return (
    <section className="card" data-testid={`oracle-${symbol}`}>
      <h2>{symbol} <span className={`badge ${p.status}`}>{p.status}</span></h2>
      <div className="stats">
        <Stat label="Consensus" value={f.price(p.price)} />
        <Stat label="Confidence (±)" value={f.price(p.confidence)} />
        <Stat label="Sources used" value={`${p.sources_used} of ${sources.length}`} />
        <Stat label="Widest deviation" value={f.pct(p.max_deviation, 2)} />
        <Stat label="Computed" value={`${age(p.computed_at, now)} ago`} />
      </div>
      {p.emergency_source && <p className="flag">Quorum failed: consulted the emergency source {p.emergency_source}.</p>}
      {(p.reasons as string[] | undefined)?.length ? <ul className="small">{(p.reasons as string[]).map((r, i) => <li key={i}>{r}</li>)}</ul> : null}
      <ScrollTable headers={["Source", "Price", "Status", "Flags", "Confidence (±)", "Deviation", "Age"]}>
        {sources.map((s) => (
          <tr key={s.source}>
            <td>{s.source}</td><td>{f.price(s.price)}</td><td>{s.used ? "used" : "unused"}</td>
            <td className="flag">{(s.flags as string[]).join(", ") || "—"}</td>
            <td>{f.price(s.confidence)}</td><td>{f.pct(s.deviation, 2)}</td><td>{age(s.published_at, now)}</td>
          </tr>
        ))}
      </ScrollTable>
    </section>
  );
}

export function Oracle({ stream, token }: { stream: StreamState; token: string }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => { const t = setInterval(() => setNow(Date.now()), 1000); return () => clearInterval(t); }, []);
  const prices = consensusPrices(stream.latest);
  const snapshot = useApi<Payload>("/api/v1/snapshot", token, stream.version);
  const validators: Payload[] = snapshot.data?.validators ?? [];
  return (
    <>
      {prices.length === 0 && <section className="card"><h2>Oracle</h2><p className="muted">No consensus yet.</p></section>}
      {prices.map(([symbol, p]) => <Consensus key={symbol} symbol={symbol} p={p} now={now} />)}
      <section className="card">
        <h2>Validators</h2>
        {snapshot.error && <p className="error">{snapshot.error}</p>}
        {validators.length === 0 && <p className="muted">No validator round yet.</p>}
        <ScrollTable headers={["Operator", "Status", "Commission", "Missed blocks (misdemeanour / felony at)", "Our delegation", "APY", "Round"]} testId="validators">
          {validators.map((v) => {
            const missed = Number(v.missed_blocks);
            const over = missed >= Number(v.felony_threshold) ? "felony" : missed >= Number(v.misdemeanor_threshold) ? "misdemeanour" : null;
            return (
              <tr key={v.operator}>
                <td className="mono small">{v.operator}</td>
                <td>{statusWords(Number(v.status_bits))}{v.in_validator_set ? " · in the set" : " · not in the set"}</td>
                <td>{(Number(v.commission_thousandths) / 10).toFixed(1)}%</td>
                <td>{missed} ({v.misdemeanor_threshold} / {v.felony_threshold}){over && <span className="flag"> {over}</span>}</td>
                <td>{v.our_delegation != null ? f.tokens(formatUnits(BigInt(v.our_delegation), 18), "CORE", 2) : "—"}</td>
                <td>{f.pct(v.estimated_apy, 2)}</td>
                <td>{v.round}</td>
              </tr>
            );
          })}
        </ScrollTable>
      </section>
    </>
  );
}
