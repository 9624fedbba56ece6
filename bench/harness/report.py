"""Budgets (issue 6) checked against a result, the JSON file and the table in
``docs/performance.md`` (between the ``bench:results`` markers; the rest of the file is
written by hand)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.harness.common import ROOT

DOC = ROOT / "docs" / "performance.md"

def _markers(children: int) -> tuple[str, str]:
    return (f"<!-- bench:results:{children}:start -->",
            f"<!-- bench:results:{children}:end -->")


def _budget(name: str, measured: float | None, target: float, unit: str,
            higher_is_better: bool = False) -> dict[str, Any]:
    if measured is None:
        return {"budget": name, "target": target, "unit": unit, "measured": None,
                "met": False, "miss_by": "not measured"}
    met = measured >= target if higher_is_better else measured <= target
    out = {"budget": name, "target": target, "unit": unit, "measured": measured, "met": met}
    if not met:
        diff = (target - measured) if higher_is_better else (measured - target)
        share = f" ({round(100 * diff / target, 1)} %)" if target else ""
        out["miss_by"] = f"{round(diff, 3)} {unit}{share}".replace("  ", " ")
    return out


def budgets(r: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    search = r.get("name_search", {})
    for kind in ("exact", "typo1", "typo2", "alias", "xscript_to_latin", "xscript_to_native"):
        row = search.get(kind, {}).get("indexed")
        if row:
            out.append(_budget(f"name search ({kind}) p95", row.get("p95_ms"), 100, "ms"))
    for kind in ("typo1", "xscript_to_latin", "xscript_to_native"):
        row = search.get(kind, {}).get("indexed")
        if row:
            out.append(_budget(f"recall@10 ({kind})", row.get("recall_at_10"), 0.95, "",
                               higher_is_better=True))
    for name, row in r.get("lists", {}).items():
        out.append(_budget(f"case list ({name}) p95, server", row.get("p95_ms"), 50, "ms"))
    view = r.get("views", {}).get("case_view")
    if view:
        out.append(_budget("case view p95, server", view.get("p95_ms"), 50, "ms"))
    load = r.get("load")
    if isinstance(load, dict) and "errors" in load:
        out.append(_budget(f"{load['users']} concurrent users: errors", load["errors"], 0, ""))
    weight = r.get("page_weight")
    if isinstance(weight, dict) and "first_load" in weight:
        for name, m in weight["first_load"].items():
            out.append(_budget(f"first load {name}: transferred", m["kb"], 100, "KB"))
            if m.get("html_bytes") is not None:
                out.append(_budget(f"first load {name}: HTML of first response",
                                   round(m["html_bytes"] / 1024, 1), 14, "KB"))
            out.append(_budget(f"first load {name}: usable at 400 kbit/s", m["usable_s"], 3,
                               "s"))
        for name, m in weight["later_screen"].items():
            out.append(_budget(f"later screen {name}: transferred", m["kb"], 30, "KB"))
            out.append(_budget(f"later screen {name}: usable at 400 kbit/s", m["usable_s"], 3,
                               "s"))
    return out


def write_json(r: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{r['date']}-{r['dataset']['children']}.json"
    path.write_text(json.dumps(r, indent=2, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")
    return path


def _row(name: str, s: dict[str, Any], extra: str = "") -> str:
    def f(key: str) -> str:
        v = s.get(key)
        return "—" if v is None else str(v)
    return (f"| {name} | {f('p50_ms')} | {f('p95_ms')} | {f('p99_ms')} | "
            f"{f('throughput_per_s')} | {f('queries_median')} | {extra} |")


def markdown(r: dict[str, Any], json_path: Path) -> str:
    m, d = r["machine"], r["dataset"]
    lines = [
        f"#### Run of {r['date']} — {d['children']:,} children",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu_model']}), {m['ram_gb']} GB RAM, load average "
        f"{m['load_average_at_start']} at start — {m['note']} PostgreSQL "
        f"{r.get('postgresql')}; commit `{r['commit']}`; dataset seed {d['seed']}, "
        f"{'reused' if d['reused'] else 'loaded in ' + str(round(d['load_seconds'])) + ' s'}"
        f". Raw figures: `{json_path.relative_to(ROOT)}`.",
        "",
        "Server-side (selectors and services in process, access policy and audit entry "
        "included). Latency in ms; throughput is one client, back to back.",
        "",
        "| scenario | p50 | p95 | p99 | per s | queries | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, row in r.get("name_search", {}).items():
        idx = row["indexed"]
        note = f"recall@10 {idx.get('recall_at_10')}"
        if "recall_at_10_ties_at_random" in idx:
            note += f" (ties at random: {idx['recall_at_10_ties_at_random']})"
        if "recall_at_10_up_to_namesakes" in idx:
            note += (f" (up to namesakes: {idx['recall_at_10_up_to_namesakes']}; the budget "
                     "is checked on the first figure)")
        if "recall_at_10_distinguishable" in idx:
            note += (f" ({idx['recall_at_10_distinguishable']} on the queries not shared by "
                     f"more than 10 children's consonants; "
                     f"{idx['queries_with_over_10_consonantal_twins']} were)")
        if "naive" in row:
            ratio = row["naive_vs_indexed_on_same_queries"]
            note += (f"; naive icontains: p95 {row['naive'].get('p95_ms')} ms, recall "
                     f"{row['naive'].get('recall_at_10')}, ×{ratio['p50_ratio']} p50 / "
                     f"×{ratio['p95_ratio']} p95 slower")
        lines.append(_row(f"name search: {kind}", idx, note))
    for name, s in r.get("lookups", {}).items():
        lines.append(_row(f"search: {name}", s, f"found {s.get('found')}"))
    for name, s in r.get("lists", {}).items():
        lines.append(_row(f"case list: {name}", s, f"{s.get('rows')} rows"
                          + (f", depth {s['depth']:,}" if "depth" in s else "")))
    for group in ("views", "writes"):
        for name, s in r.get(group, {}).items():
            lines.append(_row(name.replace("_", " "), s))
    e2e = r.get("e2e", {})
    if e2e:
        lines += ["", "End to end in process (Django test client: middleware, session, "
                  "templates or serializers, gzip).", "",
                  "| request | p50 | p95 | p99 | per s | queries | gzip body |",
                  "|---|---|---|---|---|---|---|"]
        for name, s in e2e.items():
            if "error" in s:
                lines.append(f"| {name} | — | — | — | — | — | {s['error']} |")
            else:
                lines.append(_row(name, s, f"{s.get('body_bytes_gzip_median')} B"))
    load = r.get("load")
    if isinstance(load, dict) and "by_action" in load:
        lines += ["", f"Concurrent load over HTTP on loopback ({r.get('server', {}).get('server')}"
                  f", {r.get('server', {}).get('workers')} workers × "
                  f"{r.get('server', {}).get('threads')} threads): {load['users']} users, "
                  f"{load['seconds']} s, think time {load['think_time_s']} s — "
                  f"{load['requests_ok']} requests OK, **{load['errors']} errors**, "
                  f"{load['throughput_per_s']} requests/s; all: p50 {load['all_p50_ms']} ms, "
                  f"p95 {load['all_p95_ms']} ms, p99 {load['all_p99_ms']} ms.", "",
                  "| action | n | p50 | p95 | p99 |", "|---|---|---|---|---|"]
        for name, s in load["by_action"].items():
            lines.append(f"| {name} | {s['n']} | {s['p50_ms']} | {s['p95_ms']} | "
                         f"{s['p99_ms']} |")
        if r.get("logins"):
            lo = r["logins"]
            lines += ["", f"Password logins over HTTP (form GET + POST, one at a time): p50 "
                      f"{lo['p50_ms']} ms, max {lo['max_ms']} ms, {lo['errors']} errors."]
    elif load:
        lines += ["", f"Concurrent load: {load}"]
    weight = r.get("page_weight")
    if isinstance(weight, dict) and "first_load" in weight:
        lines += ["", f"Page weight and time on a slow link ({weight['link']}, "
                  f"{weight['browser']}).", "",
                  "| page | when | transferred KB | requests | HTML B | DOMContentLoaded s | "
                  "usable (load) s |", "|---|---|---|---|---|---|---|"]
        for when in ("first_load", "later_screen"):
            for name, s in weight[when].items():
                lines.append(f"| {name} | {when.replace('_', ' ')} | {s['kb']} | "
                             f"{s['requests']} | {s.get('html_bytes')} | "
                             f"{s['dom_content_loaded_s']} | {s['usable_s']} |")
        if isinstance(weight.get("assessment_form"), str):
            lines.append(f"\nAssessment form: {weight['assessment_form']}.")
    elif weight:
        lines += ["", f"Page weight: {weight}"]
    lines += ["", f"Budgets (issue 6, defined for 1,000,000 children; this run had "
              f"{d['children']:,}):", "", "| budget | target | measured | met |",
              "|---|---|---|---|"]
    for b in r.get("budgets", []):
        met = "yes" if b["met"] else f"**no** — missed by {b.get('miss_by')}"
        target = f"{b['target']} {b['unit']}".strip()
        lines.append(f"| {b['budget']} | {target} | {b['measured']} | {met} |")
    return "\n".join(lines) + "\n"


def update_doc(section: str, children: int) -> None:
    """Replace this harness's block for this dataset size in docs/performance.md (one block
    per size, so the quick and the full run stand side by side), keeping every other
    section of the file."""
    start, end = _markers(children)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    block = f"{start}\n{section}{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _old, tail = rest.split(end, 1)
        text = head + block + tail
    elif "<!-- bench:results:next -->" in text:
        text = text.replace("<!-- bench:results:next -->",
                            block + "\n\n<!-- bench:results:next -->", 1)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")
