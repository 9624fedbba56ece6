"""A/B of two versions of the name search on the benchmark database, in one run.

    BENCH_CHILDREN=1000000 .venv/bin/python bench/ab_search.py OLD_SELECTORS_FILE [per_set]
    BENCH_CHILDREN=1000000 .venv/bin/python bench/ab_search.py --set NAME=VALUE [per_set]

``OLD_SELECTORS_FILE`` is an earlier ``registry/selectors.py`` (``git show REV:path > f``).
With ``--set``, "old" is the current code with the server's setting and "new" the current
code with the PostgreSQL setting ``NAME`` set to ``VALUE`` for the session (``SET``).
The benchmark's name queries run through the case list (access policy and audit entry
included) twice with each version, in the order old-new-new-old or new-old-old-new from
query to query (so both see the same machine load and each meets half the queries first,
with colder caches); prints p50/p95 of each and their ratio, and whether the first ten results
are the same, and recall@10 of each. A tool for the figures in ``docs/performance.md``, not part of ``make bench``.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench.run  # the benchmark's environment: database, keys


def _load(path: str):
    spec = importlib.util.spec_from_file_location("bw_old_selectors", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main() -> int:
    import django

    django.setup()
    from bench.harness import dataset, inproc, queries
    from bench.harness.common import percentile
    from django.db import connection

    from bridgeway.cases import selectors as case_selectors
    from bridgeway.registry import selectors as current

    args = sys.argv[1:]
    setting = None
    if args and args[0] == "--set":
        setting = args[1].split("=", 1)
        args = args[2:]
        old = current
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting(%s)", [setting[0]])
            server_value = cursor.fetchone()[0]
    else:
        old = _load(args[0])
        args = args[1:]
    per_set = int(args[0]) if args else 30

    def use(label: str) -> None:
        if setting is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, %s, false)",
                               [setting[0], setting[1] if label == "new" else server_value])

    marker = dataset.read_marker(bench.run.DB_URL)
    sets = queries.name_queries(population=marker.children, seed=marker.seed,
                                today=marker.today, per_set=per_set)
    people = inproc.users()
    for kind, qs in sets.items():
        times = {"old": [], "new": []}
        same = 0
        found = {"old": 0, "new": 0}
        for i, q in enumerate(qs):
            got = {}
            # Each version runs the query twice; which one meets it first (colder caches)
            # alternates from query to query, so neither is favoured.
            # (old-new-new-old reads the same backwards: the odd queries need the other
            # version first, or "old" always meets the query cold. Until 2026-12-04 the
            # code reversed the tuple and favoured "new": an A/A run showed p50 1.03-1.09x.)
            first, second = (("old", old), ("new", current)) if i % 2 == 0 else \
                (("new", current), ("old", old))
            for label, module in (first, second, second, first):
                case_selectors.name_match_scores = module.name_match_scores
                use(label)
                filters = case_selectors.CaseFilters(q=q.text)
                t0 = time.perf_counter()
                page = case_selectors.case_list(actor=people[q.username], filters=filters)
                times[label].append(time.perf_counter() - t0)
                got[label] = [c.child_id for c in page.cases][:10]
            same += got["old"] == got["new"]
            for label in found:
                found[label] += marker.first_child_id + q.index in got[label]
        case_selectors.name_match_scores = current.name_match_scores
        line = [f"{kind:18s} n {len(qs):3d}"]
        for label in ("old", "new"):
            s = sorted(times[label])
            line.append(f"{label} p50 {1000 * statistics.median(s):6.1f} "
                        f"p95 {1000 * percentile(s, 95):6.1f} ms")
        o, n = sorted(times["old"]), sorted(times["new"])
        line.append(f"ratio p50 {statistics.median(o) / statistics.median(n):.2f} "
                    f"p95 {percentile(o, 95) / percentile(n, 95):.2f}; "
                    f"same first ten {same}/{len(qs)}; recall@10 old "
                    f"{found['old'] / len(qs):.3f} new {found['new'] / len(qs):.3f}")
        print(" | ".join(line), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
