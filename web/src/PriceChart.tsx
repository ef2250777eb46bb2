// The last hour of a consensus price (history API), extended by the live stream; uPlot draws it.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { getJson } from "./api";
import { Payload } from "./stream";

interface History { points: { t?: string; at?: string; time?: string; value: string }[] }

export function PriceChart({ symbol, token, live }: { symbol: string; token: string; live?: Payload }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = useRef<[number[], number[]]>([[], []]);

  useEffect(() => {
    if (!box.current || !token) return;
    const width = Math.max(240, box.current.clientWidth);
    plot.current = new uPlot(
      { width, height: 160, series: [{}, { label: `${symbol} $`, stroke: "#2563eb" }], legend: { show: false } },
      data.current, box.current);
    const from = new Date(Date.now() - 3600_000).toISOString();
    getJson<History>(`/api/v1/history/price.${symbol}?from=${encodeURIComponent(from)}&step=10s`, token)
      .then((h) => {
        const pts = h.points.map((p) => [Date.parse(p.t ?? p.at ?? p.time ?? "") / 1000, Number(p.value)] as const)
          .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
        const live = data.current;
        data.current = [[...pts.map((p) => p[0]), ...live[0]], [...pts.map((p) => p[1]), ...live[1]]];
        plot.current?.setData(data.current);
      })
      .catch(() => undefined);
    return () => { plot.current?.destroy(); plot.current = null; };
  }, [symbol, token]);

  useEffect(() => {
    if (!live?.price) return;
    const [xs, ys] = data.current;
    const x = Date.parse(live.computed_at) / 1000;
    if (xs.length && x <= xs[xs.length - 1]) return;
    data.current = [[...xs, x], [...ys, Number(live.price)]];
    plot.current?.setData(data.current);
  }, [live]);

  return <div className="chart" ref={box} aria-label={`${symbol} price, last hour`} />;
}
