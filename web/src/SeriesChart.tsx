// A history series (GET /api/v1/history/{series}) over a period, extended by live points; uPlot.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { getJson } from "./api";

interface History { points: { t: string; value: string | null }[] }
export interface LivePoint { t: string; value: string | null | undefined }

/** A step giving at most ~400 points over the period (the gateway caps a window's points). */
function stepFor(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds / 400));
  return s < 60 ? `${s}s` : `${Math.ceil(s / 60)}m`;
}

export function SeriesChart({ series, label, token, seconds = 3600, live }: {
  series: string; label: string; token: string; seconds?: number; live?: LivePoint;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = useRef<[number[], number[]]>([[], []]);

  useEffect(() => {
    if (!box.current || !token) return;
    data.current = [[], []];
    const width = Math.max(240, box.current.clientWidth);
    plot.current = new uPlot(
      {
        width, height: 160, series: [{}, { label, stroke: "#2563eb" }], legend: { show: false },
        // the period asked for, up to now, however few points it holds
        scales: { x: { time: true, range: () => { const n = Date.now() / 1000; return [n - seconds, n]; } } },
      },
      data.current, box.current);
    const from = new Date(Date.now() - seconds * 1000).toISOString();
    const q = new URLSearchParams({ from, step: stepFor(seconds) });
    getJson<History>(`/api/v1/history/${series}?${q}`, token)
      .then((h) => {
        const pts = h.points.map((p) => [Date.parse(p.t) / 1000, Number(p.value)] as const)
          .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
        const [lx, ly] = data.current;
        const first = lx.length ? lx[0] : Infinity;
        const old = pts.filter(([x]) => x < first);
        data.current = [[...old.map((p) => p[0]), ...lx], [...old.map((p) => p[1]), ...ly]];
        plot.current?.setData(data.current);
      })
      .catch(() => undefined);
    return () => { plot.current?.destroy(); plot.current = null; };
  }, [series, label, token, seconds]);

  useEffect(() => {
    if (live?.value == null) return;
    const [xs, ys] = data.current;
    const x = Date.parse(live.t) / 1000;
    if (!Number.isFinite(x) || (xs.length && x <= xs[xs.length - 1])) return;
    data.current = [[...xs, x], [...ys, Number(live.value)]];
    plot.current?.setData(data.current);
  }, [live?.t, live?.value]);

  return <div className="chart" ref={box} role="img" aria-label={`${label}, history`} />;
}
