import { useControl } from "../control";
import { StreamState, Payload } from "../stream";
import { useApi } from "../useApi";
import * as f from "../format";
import { ScrollTable } from "../ui";

function DecisionRow({ d, executed, canApprove, onApprove }: {
  d: Payload; executed?: Payload; canApprove: boolean; onApprove: (id: string) => void;
}) {
  const pending = d.requires_approval && !d.approved_by && d.action === "act" && !d.mined_hash
    && !["confirmed", "failed", "expired", "cancelled"].includes(d.phase);
  const hash = d.mined_hash ?? executed?.tx_hash;
  const reasons: string[] = d.payload?.reasons ?? [];
  return (
    <tr data-testid={`decision-${d.decision_id}`} data-phase={d.phase}>
      <td>{f.time(d.decided_at)}</td>
      <td>{d.kind}{d.strategy ? ` · ${d.strategy}` : ""}</td>
      <td><strong>{d.action}</strong> {f.usd(d.amount_usd)}<div className="muted small">{reasons.join("; ")}</div></td>
      <td>
        <span className="phase" data-testid="phase">{d.phase ?? "—"}</span>
        {d.approved_by && <div className="small">approved by {d.approved_by}</div>}
        {pending && <div className="badge WARN">pending approval</div>}
        {pending && canApprove && (
          <button type="button" onClick={() => onApprove(d.decision_id)}>Approve</button>
        )}
      </td>
      <td className="mono" data-testid="tx-hash" title={hash ?? ""}>{hash ?? "—"}</td>
    </tr>
  );
}

export function Interventions({ stream, token, operator }: { stream: StreamState; token: string; operator: boolean }) {
  const decisions = useApi<Payload[]>("/api/v1/interventions?limit=20", token, stream.version);
  const automation = useApi<Payload[]>("/api/v1/automation?limit=20", token, stream.version);
  const { message, send: control } = useControl(token);
  const executed = new Map<string, Payload>();
  for (const fr of stream.log) {
    if (fr.subject === "intervention.executed" || fr.subject === "automation.executed") {
      if (!executed.has(fr.data.decision_id)) executed.set(fr.data.decision_id, fr.data);
    }
  }
  const table = (rows: Payload[] | null) => (
    <ScrollTable headers={["When", "Kind", "Decision and why", "Phase", "Transaction"]}>
      {rows?.map((d) => (
        <DecisionRow key={d.decision_id} d={d} executed={executed.get(d.decision_id)} canApprove={operator}
          onApprove={(id) => control("approve", { decision_id: id, reason: "approved in the console" })} />
      ))}
    </ScrollTable>
  );
  return (
    <>
      <section className="card">
        <h2>Interventions</h2>
        {operator && (
          <div className="row">
            <button type="button" onClick={() => control("pause", { target: "intervention", reason: "console" })}>Pause</button>
            <button type="button" onClick={() => control("resume", { target: "intervention", reason: "console" })}>Resume</button>
          </div>
        )}
        {message && <p role="status" data-testid="control-message">{message}</p>}
        {decisions.error && <p className="error">{decisions.error}</p>}
        {table(decisions.data)}
      </section>
      <section className="card">
        <h2>Automation</h2>
        {automation.error && <p className="error">{automation.error}</p>}
        {table(automation.data)}
      </section>
    </>
  );
}
