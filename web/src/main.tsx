import { lazy, StrictMode, Suspense, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { getJson, initialToken, saveToken } from "./api";
import { useGatewayStream } from "./stream";
import { Overview } from "./pages/Overview";
import { Interventions } from "./pages/Interventions";
import { Etf } from "./pages/Etf";
import { Risk } from "./pages/Risk";
import { Oracle } from "./pages/Oracle";
import "./styles.css";

// the investor page carries the chain client (viem): loaded when opened
const Invest = lazy(() => import("./pages/Invest").then((m) => ({ default: m.Invest })));
const Custody = lazy(() => import("./pages/Custody").then((m) => ({ default: m.Custody })));

const PAGES = [
  ["overview", "Overview"], ["risk", "Treasury & risk"], ["interventions", "Interventions & automation"], ["oracle", "Oracle & validators"], ["etf", "ETF"], ["custody", "Custody"], ["invest", "Invest"],
] as const;
type Page = (typeof PAGES)[number][0];

function currentPage(): Page {
  const h = window.location.hash.replace(/^#\/?/, "");
  return (PAGES.find(([p]) => p === h)?.[0] ?? "overview") as Page;
}

function App() {
  const [token, setToken] = useState(initialToken);
  const [draft, setDraft] = useState(token);
  const [page, setPage] = useState<Page>(currentPage);
  const [operator, setOperator] = useState(false);
  const stream = useGatewayStream(token);
  useEffect(() => {
    const on = () => setPage(currentPage());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  useEffect(() => {
    // an operator token may read the control log; a viewer's gets 403
    if (!token) { setOperator(false); return; }
    getJson("/api/v1/control?limit=1", token).then(() => setOperator(true)).catch(() => setOperator(false));
  }, [token]);
  return (
    <>
      <header>
        <h1>Ballast</h1>
        <nav>
          {PAGES.map(([p, label]) => (
            <a key={p} href={`#/${p}`} aria-current={p === page ? "page" : undefined}>{label}</a>
          ))}
        </nav>
        <span className={`conn ${stream.status.replace(" ", "-")}`} data-testid="connection" role="status">{stream.status}</span>
        <form onSubmit={(e) => { e.preventDefault(); saveToken(draft); setToken(draft); }}>
          <label>Token <input type="password" value={draft} onChange={(e) => setDraft(e.target.value)} autoComplete="off" /></label>
          <button type="submit">Use</button>
          <span className="muted small">{token ? (operator ? "operator" : "viewer") : ""}</span>
        </form>
      </header>
      <main className={page === "interventions" ? "wide" : undefined}>
        {page === "overview" && <Overview stream={stream} token={token} operator={operator} />}
        {page === "risk" && <Risk stream={stream} token={token} />}
        {page === "interventions" && <Interventions stream={stream} token={token} operator={operator} />}
        {page === "oracle" && <Oracle stream={stream} token={token} />}
        {page === "etf" && <Etf stream={stream} token={token} />}
        {page === "custody" && <Suspense fallback={<p>Loading…</p>}><Custody stream={stream} token={token} operator={operator} /></Suspense>}
        {page === "invest" && <Suspense fallback={<p>Loading…</p>}><Invest /></Suspense>}
      </main>
    </>
  );
}

createRoot(document.getElementById("root")!).render(<StrictMode><App /></StrictMode>);
