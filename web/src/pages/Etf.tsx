import { StreamState, Payload } from "../stream";
import { useApi } from "../useApi";
import * as f from "../format";
import { formatUnits } from "viem";
import { ScrollTable, Stat } from "../ui";

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
          <Stat label="NAV per share" testId="nav" value={f.price(m?.nav_per_share)} />
          <Stat label="AUM" value={f.usd(m?.aum_usd)} />
          <Stat label="CORE staked" value={f.usd(m?.core_staked_usd)} />
          <Stat label="lstBTC" value={f.usd(m?.lstbtc_usd)} />
          <Stat label="Rewards" value={f.usd(m?.rewards_usd)} />
          <Stat label="Liquidity buffer" value={f.usd(m?.liquidity_usd)} />
          <Stat label="Instant withdrawal capacity" value={f.usd(m?.instant_withdrawal_capacity_usd)} />
          <Stat label="BASKET supply" value={m ? f.tokens(formatUnits(BigInt(m.basket_supply_raw), 18), "BASKET", 2) : "—"} />
          <Stat label="Queue" value={m ? `${m.queue_length} requests` : "—"} />
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
        <ScrollTable headers={["#", "Position", "Owner", "Amount", "Wait"]}>
          {queue.data?.map((q) => (
            <tr key={q.request_id}>
              <td>{q.request_id}</td><td>{q.position}</td><td className="mono small">{q.owner}</td>
              <td>{amount(q.amount_raw, q.asset)}</td><td>{f.duration(q.expected_wait_seconds)}</td>
            </tr>
          ))}
        </ScrollTable>
      </section>
    </>
  );
}
