import type { ReactNode } from "react";

/** One figure in a card's `.stats` row. */
export function Stat({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <div className="stat">
      <div className="label">{label}</div>
      <div className="value" data-testid={testId}>{value}</div>
    </div>
  );
}

/** A table that scrolls sideways on a narrow screen: its column headings, then its rows. */
export function ScrollTable({ headers, testId, children }: { headers: string[]; testId?: string; children: ReactNode }) {
  return (
    <div className="scroll">
      <table data-testid={testId}>
        <thead><tr>{headers.map((h) => <th key={h}>{h}</th>)}</tr></thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
