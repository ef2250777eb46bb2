"""The status report (PSTR seed, "Generate status report" at the end of each monitoring cycle):
one page of sections, rendered as text, Markdown or HTML.

Data in, text out: the figures are gathered elsewhere (adapters/report_source.py) and arrive
already formatted as strings (decimals stay exact), so the three formats say the same thing.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime

FORMATS = ("text", "markdown", "html")


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    title: str
    facts: tuple[tuple[str, str], ...] = ()
    table: Table | None = None
    note: str = ""


@dataclass(frozen=True)
class StatusReport:
    generated_at: datetime
    since: datetime
    sections: tuple[Section, ...] = field(default_factory=tuple[Section, ...])

    @property
    def title(self) -> str:
        return (f"Ballast status report {self.since:%Y-%m-%d %H:%M} - "
                f"{self.generated_at:%Y-%m-%d %H:%M} UTC")


def render(report: StatusReport, fmt: str) -> str:
    if fmt == "text":
        return _text(report)
    if fmt == "markdown":
        return _markdown(report)
    if fmt == "html":
        return _html(report)
    raise ValueError(f"format {fmt!r}: one of {', '.join(FORMATS)}")


def _text(r: StatusReport) -> str:
    lines = [r.title, "=" * len(r.title)]
    for s in r.sections:
        lines += ["", s.title, "-" * len(s.title)]
        width = max((len(k) for k, _ in s.facts), default=0)
        lines += [f"  {k:<{width}}  {v}" for k, v in s.facts]
        if s.table is not None:
            t = s.table
            widths = [max(len(c), *(len(row[i]) for row in t.rows)) if t.rows else len(c)
                      for i, c in enumerate(t.columns)]
            for row in (t.columns, *t.rows):
                lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
        if s.note:
            lines.append(f"  {s.note}")
    return "\n".join(lines) + "\n"


def _markdown(r: StatusReport) -> str:
    lines = [f"# {r.title}"]
    for s in r.sections:
        lines += ["", f"## {s.title}"]
        if s.facts:
            lines += ["", "| | |", "|---|---|"] + [f"| {k} | {_md(v)} |" for k, v in s.facts]
        if s.table is not None and s.table.rows:
            lines += ["", "| " + " | ".join(s.table.columns) + " |",
                      "|" + "---|" * len(s.table.columns)]
            lines += ["| " + " | ".join(_md(v) for v in row) + " |" for row in s.table.rows]
        if s.note:
            lines += ["", f"_{s.note}_"]
    return "\n".join(lines) + "\n"


def _md(value: str) -> str:
    return value.replace("|", "\\|")


def _html(r: StatusReport) -> str:
    e = html.escape
    out = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{e(r.title)}</title>",
           "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
           "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;"
           "text-align:left}</style></head><body>", f"<h1>{e(r.title)}</h1>"]
    for s in r.sections:
        out.append(f"<h2>{e(s.title)}</h2>")
        if s.facts:
            out.append("<table>" + "".join(
                f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in s.facts) + "</table>")
        if s.table is not None:
            head = "".join(f"<th>{e(c)}</th>" for c in s.table.columns)
            body = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>"
                           for row in s.table.rows)
            out.append(f"<table><tr>{head}</tr>{body}</table>")
        if s.note:
            out.append(f"<p><em>{e(s.note)}</em></p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
