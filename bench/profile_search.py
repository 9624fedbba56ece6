"""Where a name search spends its time, query by query, on the benchmark database.

    BENCH_CHILDREN=1000000 .venv/bin/python bench/profile_search.py [per_set] [kind,...]

Runs the benchmark's name queries (``bench/harness/queries.py``) through the case list
exactly as the page does (access policy and audit entry included) and attributes every SQL
statement's time to the function of ``bridgeway`` that issued it. Prints, per query set,
the share of time by function, and the slowest searches with their statements. Measures
nothing the report uses: it is the profile behind the changes in ``docs/performance.md``.
"""

from __future__ import annotations

import statistics
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench.run  # the benchmark's environment: database, keys


def _caller() -> str:
    for frame in reversed(traceback.extract_stack()[:-3]):
        if "/bridgeway/" in frame.filename and "/db/" not in frame.filename:
            return f"{Path(frame.filename).parent.name}.{frame.name}"
    return "?"


def main() -> int:
    import django

    django.setup()
    from bench.harness import dataset, inproc, queries
    from django.db import connection

    from bridgeway.cases.selectors import CaseFilters, case_list

    marker = dataset.read_marker(bench.run.DB_URL)
    if marker is None:
        print("no benchmark data: run BENCH_SKIP=measure make bench first")
        return 2
    per_set = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    kinds = sys.argv[2].split(",") if len(sys.argv) > 2 else list(queries.NAME_SETS)
    sets = queries.name_queries(population=marker.children, seed=marker.seed,
                                today=marker.today, per_set=per_set)
    people = inproc.users()
    for kind in kinds:
        by_function: dict[str, float] = defaultdict(float)
        runs = []
        for q in sets[kind]:
            statements: list[tuple[str, float, str]] = []

            def wrapper(execute, sql, params, many, context, statements=statements):
                t0 = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    statements.append((_caller(), time.perf_counter() - t0, sql[:160]))

            user = people[q.username]
            case_list(actor=user, filters=CaseFilters(q=q.text))  # warm
            statements.clear()
            with connection.execute_wrapper(wrapper):
                t0 = time.perf_counter()
                case_list(actor=user, filters=CaseFilters(q=q.text))
                total = time.perf_counter() - t0
            for fn, seconds, _ in statements:
                by_function[fn] += seconds
            runs.append((total, q.text, statements))
        totals = sorted(r[0] for r in runs)
        print(f"\n== {kind}: n {len(runs)}, p50 {1000 * statistics.median(totals):.1f} ms, "
              f"p95 {1000 * totals[int(len(totals) * 0.95) - 1]:.1f} ms")
        grand = sum(totals)
        sql_time = sum(by_function.values())
        print(f"   SQL {100 * sql_time / grand:.0f}% of the time, Python the rest")
        for fn, seconds in sorted(by_function.items(), key=lambda kv: -kv[1])[:12]:
            print(f"   {100 * seconds / grand:5.1f}%  {fn}")
        for total, text, statements in sorted(runs, key=lambda r: -r[0])[:3]:
            print(f"   slow: {1000 * total:.0f} ms  {text!r}  ({len(statements)} statements)")
            for fn, seconds, sql in sorted(statements, key=lambda s: -s[1])[:5]:
                print(f"      {1000 * seconds:7.1f} ms  {fn}  {sql[:110]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
