import { StreamState, Payload } from "../stream";
import { useApi } from "../useApi";
import * as f from "../format";
import { formatUnits } from "viem";

const DECIMALS: Record<string, [number, string]> = { "0": [18, "CORE"], "1": [8, "coreBTC"], CORE: [18, "CORE"], CORE_BTC: [8, "coreBTC"] };

function amount(raw: string | undefined, asset: string | undefined): string {
  if (raw == null) return "—";
  const [dec, unit] = DECIMALS[asset ?? "0"] ?? [18, ""];
  return f.tokens(formatUnits(BigInt(raw), dec), unit);
}

export function Etf({ stream, token }: { stream: StreamState; token: string }) {
  const m = stream.latest["etf.metrics"];
  const queue = useApi<Payload[]>("/api/v1/etf/queue", token, stream.version);
  const events = stream.log.filter((fr) => fr.subject.startsWith("etf.events."));
  return (
    <>
      <section className="card">
        <h2>StakeBasket</h2>
        <div className="stats">
          <div className="stat"><div className="label">NAV per share</div><div className="value" data-testid="nav">{f.price(m?.nav_per_share)}</div></div>
          <div className="stat"><div className="label">AUM</div><div className="value">{f.usd(m?.aum_usd)}</div></div>
          <div className="stat"><div className="label">CORE staked</div><div className="value">{f.usd(m?.core_staked_usd)}</div></div>
          <div className="stat"><div className="label">lstBTC</div><div className="value">{f.usd(m?.lstbtc_usd)}</div></div>
          <div className="stat"><div className="label">Rewards</div><div className="value">{f.usd(m?.rewards_usd)}</div></div>
          <div className="stat"><div className="label">Liquidity buffer</div><div className="value">{f.usd(m?.liquidity_usd)}</div></div>
          <div className="stat"><div className="label">Instant withdrawal capacity</div><div className="value">{f.usd(m?.instant_withdrawal_capacity_usd)}</div></div>
          <div className="stat"><div className="label">BASKET supply</div><div className="value">{m ? f.tokens(formatUnits(BigInt(m.basket_supply_raw), 18), "BASKET", 2) : "—"}</div></div>
          <div className="stat"><div className="label">Queue</div><div className="value">{m ? `${m.queue_length} requests` : "—"}</div></div>
        </div>
      </section>
      <section className="card">
        <h2>Deposits and withdrawals</h2>
        {events.length === 0 && <p className="muted">None since this page opened.</p>}
        <ul data-testid="etf-events">
          {events.map((fr) => {
            const e = fr.data;
            return (
              <li key={`${e.tx_hash}-${e.log_index}`}>
                <strong>{e.kind}</strong> {e.args.user ?? e.args.owner ?? ""} · {amount(e.args.amount, e.args.asset)}
                {e.args.shares && ` · ${f.tokens(formatUnits(BigInt(e.args.shares), 18), "BASKET", 4)}`}
                <span className="muted mono small"> {f.shortHash(e.tx_hash)}</span>
              </li>
            );
          })}
        </ul>
      </section>
      <section className="card">
        <h2>Unbonding queue</h2>
        {queue.error && <p className="error">{queue.error}</p>}
        {queue.data?.length === 0 && <p className="muted">Empty.</p>}
        <div className="scroll">
          <table>
            <thead><tr><th>#</th><th>Position</th><th>Owner</th><th>Amount</th><th>Wait</th></tr></thead>
            <tbody>
              {queue.data?.map((q) => (
                <tr key={q.request_id}>
                  <td>{q.request_id}</td><td>{q.position}</td><td className="mono small">{q.owner}</td>
                  <td>{amount(q.amount_raw, q.asset)}</td><td>{f.duration(q.expected_wait_seconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
