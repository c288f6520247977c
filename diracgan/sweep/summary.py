"""The text summary of a stored sweep (``diracgan sweep --summary DIR``)."""

from __future__ import annotations

import math

from .runners import RUNNERS

__all__ = ["summary_text", "aggregate"]


def _fmt(x) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return "nan" if math.isnan(x) else f"{x:.4g}"
    return str(x)


def _values_text(values: list) -> str:
    distinct = sorted({v for v in values if v is not None}, key=lambda v: (isinstance(v, str), v))
    if len(distinct) <= 6:
        return ", ".join(_fmt(v) for v in distinct)
    return f"{len(distinct)} values, {_fmt(distinct[0])} … {_fmt(distinct[-1])}"


def aggregate(columns: dict, axes: list, metric: str):
    """Per configuration (the ``axes`` values, over seeds): ``{point: (verdict, metric)}`` with
    the most common verdict (errors count as ``error``) and the median of the metric over the
    rows that have one (NaN if none)."""
    groups: dict = {}
    n = len(columns["key"])
    for i in range(n):
        point = tuple(columns[a][i] for a in axes)
        verdict = columns["verdict"][i] if columns["status"][i] == "ok" else "error"
        value = columns[metric][i] if metric in columns else None
        groups.setdefault(point, ([], []))
        groups[point][0].append(verdict or "none")
        if isinstance(value, (int, float)) and value is not None and not math.isnan(value):
            groups[point][1].append(float(value))
    out = {}
    for point, (verdicts, values) in groups.items():
        verdict = max(sorted(set(verdicts)), key=verdicts.count)
        values = sorted(values)
        m = len(values)
        med = math.nan if not m else values[m // 2] if m % 2 else 0.5 * (values[m // 2 - 1] + values[m // 2])
        out[point] = (verdict, med)
    return out


def summary_text(table, manifest: dict, where: str = "", limit: int = 40) -> str:
    """Lines about a stored sweep: what was swept, the counts of statuses and verdicts, the
    errors, and a table of (up to ``limit``) rows: the axes, seed, verdict, the command's main
    metric and the status."""
    cols = table.to_pydict()
    n = len(cols["key"])
    command = manifest.get("command", "?")
    runner = RUNNERS.get(command)
    axes = list(manifest.get("axes", []))
    seeded = "seed" in cols
    ok = sum(s == "ok" for s in cols["status"])
    work = sum(x for x in cols["seconds"] if isinstance(x, float) and not math.isnan(x))
    workers = {w for w in cols["worker"] if w}
    lines = [f"sweep of {command} (diracgan {manifest.get('diracgan', '?')}){' in ' + where if where else ''}: "
             f"{n} rows, {ok} ok, {n - ok} error; {work:.1f} s of work on {len(workers)} worker"
             f"{'s' if len(workers) != 1 else ''}"]
    fixed = manifest.get("fixed", {})
    if fixed:
        lines.append("fixed: " + ", ".join(f"{k}={_fmt(v)}" for k, v in sorted(fixed.items())))
    for a in axes + (["seed"] if seeded else []):
        lines.append(f"axis {a}: {_values_text(cols[a])}")
    verdicts: dict = {}
    for v, s in zip(cols["verdict"], cols["status"]):
        name = v if s == "ok" else "(error)"
        verdicts[name] = verdicts.get(name, 0) + 1
    lines.append("verdicts: " + ", ".join(f"{k} {c}" for k, c in sorted(verdicts.items(), key=lambda kv: -kv[1])))
    messages: dict = {}
    for m, s in zip(cols["message"], cols["status"]):
        if s != "ok":
            messages[m] = messages.get(m, 0) + 1
    for m, c in sorted(messages.items(), key=lambda kv: -kv[1])[:3]:
        lines.append(f"error ×{c}: {m}")
    metric = runner.main_metric if runner is not None else ""
    shown = axes + (["seed"] if seeded else []) + ["verdict"] + ([metric] if metric in cols else []) + ["status"]
    order = sorted(range(n), key=lambda i: tuple(_sort_key(cols[a][i]) for a in axes + (["seed"] if seeded else [])))
    rows = [[_fmt(cols[c][i]) for c in shown] for i in order[:limit]]
    widths = [max([len(c)] + [len(r[j]) for r in rows]) for j, c in enumerate(shown)]
    lines.append("")
    lines.append("  ".join(c.ljust(w) for c, w in zip(shown, widths)).rstrip())
    lines += ["  ".join(x.ljust(w) for x, w in zip(r, widths)).rstrip() for r in rows]
    if n > limit:
        lines.append(f"… and {n - limit} more rows (all of them: pandas.read_parquet on the folder, "
                     f"or diracgan.sweep.load)")
    return "\n".join(lines)


def _sort_key(v):
    return (v is None, isinstance(v, str), v if v is not None else 0)
