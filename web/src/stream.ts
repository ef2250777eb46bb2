// One WebSocket to the gateway (react-use-websocket reconnects); the latest payload per subject,
// plus the recent payloads of event-like subjects, for every page.
import { useMemo, useRef, useState } from "react";
// the hook by its module: the package's CommonJS index re-exports it as a getter that Vite's
// interop does not see as a default export
import { useWebSocket } from "react-use-websocket/dist/lib/use-websocket";
import { ReadyState } from "react-use-websocket/dist/lib/constants";
import { streamUrl } from "./api";

export const SUBJECTS = [
  "prices.consensus.*", "treasury.state", "health.score", "risk.report", "liquidity.state",
  "etf.metrics",
  "etf.events.*", "intervention.decided", "intervention.executed", "automation.executed",
  "alerts.*", "custody.proposals",
];
const KEEP = 50;
const LOGGED = ["etf.events.", "intervention.", "automation.", "alerts."];

export type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export interface Frame { subject: string; data: Payload; received_at: string }
export interface StreamState {
  status: "connected" | "connecting" | "reconnecting" | "no token";
  latest: Record<string, Payload>;
  log: Frame[]; // newest first, event-like subjects only
  version: number; // bumps on every frame: pages refetch their lists on it
}

export function useGatewayStream(token: string): StreamState {
  const latest = useRef<Record<string, Payload>>({});
  const log = useRef<Frame[]>([]);
  const [version, setVersion] = useState(0);
  const opened = useRef(false);
  const url = useMemo(() => (token ? streamUrl(SUBJECTS, token) : null), [token]);
  const { readyState } = useWebSocket(url, {
    shouldReconnect: () => true,
    reconnectAttempts: Number.MAX_SAFE_INTEGER,
    reconnectInterval: (n) => Math.min(500 * 2 ** n, 5000),
    retryOnError: true,
    onOpen: () => { opened.current = true; },
    onMessage: (ev: MessageEvent) => {
      let frame: Frame;
      try {
        const raw = JSON.parse(ev.data as string);
        frame = { ...raw, data: typeof raw.data === "string" ? JSON.parse(raw.data) : raw.data };
      } catch {
        return;
      }
      latest.current = { ...latest.current, [frame.subject]: frame.data };
      if (LOGGED.some((p) => frame.subject.startsWith(p))) {
        log.current = [frame, ...log.current].slice(0, KEEP);
      }
      setVersion((v) => v + 1);
    },
  });
  const status: StreamState["status"] = !token ? "no token"
    : readyState === ReadyState.OPEN ? "connected"
    : opened.current ? "reconnecting" : "connecting";
  return { status, latest: latest.current, log: log.current, version };
}

/** The latest consensus per symbol (prices.consensus.<symbol>), by symbol. */
export function consensusPrices(latest: Record<string, Payload>): [string, Payload][] {
  return Object.entries(latest)
    .filter(([s]) => s.startsWith("prices.consensus."))
    .map(([s, p]) => [s.slice("prices.consensus.".length), p] as [string, Payload])
    .sort(([a], [b]) => a.localeCompare(b));
}
