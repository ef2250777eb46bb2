// A read route, fetched again whenever `refresh` changes (the stream's version, throttled).
import { useEffect, useRef, useState } from "react";
import { getJson } from "./api";

export function useApi<T>(path: string | null, token: string, refresh: number): {
  data: T | null; error: string | null;
} {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const last = useRef(0);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    // at most one fetch per 500 ms however fast frames arrive; a trailing one catches up
    const wait = last.current + 500 - Date.now();
    if (wait > 0) {
      const t = setTimeout(() => setTick((n) => n + 1), wait);
      return () => clearTimeout(t);
    }
    if (!path || !token) return;
    last.current = Date.now();
    let live = true;
    getJson<T>(path, token)
      .then((d) => { if (live) { setData(d); setError(null); } })
      .catch((e: Error) => { if (live) setError(e.message); });
    return () => { live = false; };
  }, [path, token, refresh, tick]);
  return { data, error };
}
