// Numbers arrive as decimal strings (the gateway never sends floats for money); shown with units.
type Num = string | number | null | undefined;

function num(v: Num): number | null {
  if (v === null || v === undefined || v === "") return null;
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

export function usd(v: Num, digits = 2): string {
  const n = num(v);
  if (n === null) return "—";
  const abs = Math.abs(n);
  if (abs >= 1e9) return `$${(n / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `$${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `$${(n / 1e3).toFixed(1)}k`;
  const d = abs !== 0 && abs < 0.01 ? 6 : digits;
  return `$${n.toFixed(d)}`;
}

export function price(v: Num): string {
  const n = num(v);
  if (n === null) return "—";
  return `$${n.toFixed(n >= 100 ? 2 : 4)}`;
}

export function pct(v: Num, digits = 1): string {
  const n = num(v);
  return n === null ? "—" : `${(n * 100).toFixed(digits)}%`;
}

export function ratio(v: Num): string {
  const n = num(v);
  return n === null ? "—" : `${n.toFixed(3)}×`;
}

/** Health scores and components: 1.00 means at the seed's target (ballast.strategy.health). */
export function score(v: Num): string {
  const n = num(v);
  return n === null ? "—" : `${n.toFixed(2)} pts`;
}

export function tokens(v: Num, unit: string, digits = 4): string {
  const n = num(v);
  return n === null ? "—" : `${n.toLocaleString("en-US", { maximumFractionDigits: digits })} ${unit}`;
}

export function duration(seconds: Num): string {
  const s = num(seconds);
  if (s === null) return "—";
  if (s <= 0) return "ready now";
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.ceil((s % 3600) / 60);
  return d > 0 ? `${d} d ${h} h` : h > 0 ? `${h} h ${m} min` : `${m} min`;
}

export function time(iso: string | null | undefined): string {
  if (!iso) return "—";
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : t.toLocaleString("en-GB", { hour12: false });
}

export function shortHash(h: string | null | undefined): string {
  return h ? `${h.slice(0, 10)}…${h.slice(-6)}` : "—";
}
