// Safe transaction proposals: what the treasury's owners are asked to sign, who signed, and a
// browser wallet's signature (EIP-712, eth_signTypedData_v4) sent to the gateway, which keeps it
// only if it recovers to an owner of the Safe. `ballast safe sign ID` is the same from a keystore.
import { useState } from "react";
import { Address, createWalletClient, custom, formatUnits, Hex } from "viem";
import { postJson } from "../api";
import { StreamState, Payload } from "../stream";
import { useApi } from "../useApi";
import * as f from "../format";
import { ScrollTable } from "../ui";

interface Eip1193 { request(args: { method: string; params?: unknown[] }): Promise<unknown> }
interface TypedField { name: string; type: string }
interface TypedData {
  types: Record<string, TypedField[]>;
  domain: { chainId: string; verifyingContract: Address };
  message: Record<string, string>;
}

/** The proposal's EIP-712 message as viem signs it: integers (sent as decimal strings) as bigint. */
function typedMessage(td: TypedData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { name, type } of td.types.SafeTx) {
    out[name] = type.startsWith("uint") ? BigInt(td.message[name]) : td.message[name];
  }
  return out;
}

async function signWithWallet(p: Payload): Promise<Hex> {
  const eth = (window as unknown as { ethereum?: Eip1193 }).ethereum;
  if (!eth) throw new Error("No EIP-1193 wallet in this browser: sign with `ballast safe sign` instead.");
  const [account] = (await eth.request({ method: "eth_requestAccounts" })) as Address[];
  if (!account) throw new Error("The wallet gave no account.");
  const td = p.typed_data as TypedData;
  const { EIP712Domain: _domainType, ...types } = td.types;
  const wallet = createWalletClient({ account, transport: custom(eth) });
  return wallet.signTypedData({
    account, types, primaryType: "SafeTx", message: typedMessage(td),
    domain: { chainId: Number(td.domain.chainId), verifyingContract: td.domain.verifyingContract },
  });
}

function ProposalRow({ p, operator, onSign }: { p: Payload; operator: boolean; onSign: (p: Payload) => void }) {
  return (
    <tr data-testid={`proposal-${p.proposal_id}`} data-status={p.status}>
      <td className="mono">{p.proposal_id}<div className="muted small">nonce {p.nonce}</div></td>
      <td>{p.reason || "—"}<div className="muted small">by {p.proposed_by} · {f.time(p.proposed_at)}</div></td>
      <td className="mono small" title={p.data}>to {p.to}{BigInt(p.value) > 0n ? ` · ${formatUnits(BigInt(p.value), 18)} CORE` : ""}</td>
      <td>
        <span data-testid="signatures">{p.signers.length}/{p.threshold}</span>
        {p.signers.map((s: string) => <div key={s} className="mono small">{s}</div>)}
      </td>
      <td>
        <span className="phase" data-testid="status">{p.status}</span>
        {p.exec_tx_hash && <div className="mono small" title={p.exec_tx_hash}>{p.exec_tx_hash}</div>}
        {p.status === "pending" && p.ready && <div className="badge OK">ready to execute</div>}
        {p.status === "pending" && !p.ready && operator && (
          <button type="button" onClick={() => onSign(p)}>Sign with wallet</button>
        )}
        {p.status === "pending" && <div className="muted small mono">ballast safe {p.ready ? "execute" : "sign"} {p.proposal_id}</div>}
      </td>
    </tr>
  );
}

export function Custody({ stream, token, operator }: { stream: StreamState; token: string; operator: boolean }) {
  const [all, setAll] = useState(false);
  const [signed, setSigned] = useState(0);
  const [message, setMessage] = useState<string | null>(null);
  const proposals = useApi<Payload[]>(`/api/v1/proposals${all ? "?all=true" : ""}`, token, stream.version + signed);
  const onSign = (p: Payload) => {
    setMessage(`Signing proposal ${p.proposal_id} in the wallet…`);
    signWithWallet(p)
      .then((signature) => postJson<Payload>(`/api/v1/proposals/${p.proposal_id}/signatures`, token, { signature }))
      .then((r) => setMessage(`Signature ${r.result}: ${r.proposal.signers.length}/${r.proposal.threshold} for proposal ${p.proposal_id}`))
      .catch((e: Error) => setMessage(`Not signed: ${e.message.split("\n")[0]}`))
      .finally(() => setSigned((n) => n + 1));
  };
  return (
    <section className="card">
      <h2>Safe proposals</h2>
      <p className="muted small">
        Calls the bot may not make alone wait here for the treasury Safe's owners. Each owner signs the Safe
        transaction hash (a wallet below, or <span className="mono">ballast safe sign</span>); at the threshold
        <span className="mono"> ballast safe execute</span> runs it once.
      </p>
      <label className="small"><input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> executed and closed ones too</label>
      {message && <p role="status" data-testid="custody-message">{message}</p>}
      {proposals.error && <p className="error">{proposals.error}</p>}
      {proposals.data?.length === 0 && <p className="muted" data-testid="no-proposals">No {all ? "" : "pending "}proposals.</p>}
      <ScrollTable headers={["Proposal", "Why", "Call", "Signatures", "Status"]} testId="proposals">
        {proposals.data?.map((p) => <ProposalRow key={p.proposal_id} p={p} operator={operator} onSign={onSign} />)}
      </ScrollTable>
    </section>
  );
}
