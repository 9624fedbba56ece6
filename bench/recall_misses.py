"""Why the name search missed: for each benchmark query whose child is not among the first
ten, what ranked above it, and how many children hold its whole name.

    BENCH_CHILDREN=1000000 .venv/bin/python bench/recall_misses.py [per_set] [sets]

``sets`` is a comma list of query sets (default ``exact,typo1``). For each miss prints the
query, the child's registered name, its score and place, how many visible children score
strictly more, and the first ten with their names and scores; then a summary per set:
misses where ten or more children outrank the child (the ranking's fault or a longer query
word matched elsewhere) against misses among children tied with it (namesakes). A tool
for the analysis in ``docs/performance.md``, not part of ``make bench``; not timed.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench.run  # the benchmark's environment: database, keys

DEPTH = 2000


def main() -> int:
    import django

    django.setup()
    from bench.harness import dataset, inproc, queries

    from bridgeway.access import policy
    from bridgeway.registry.models import Child
    from bridgeway.registry.selectors import name_lengths, rank_children

    per_set = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    wanted = (sys.argv[2] if len(sys.argv) > 2 else "exact,typo1").split(",")
    marker = dataset.read_marker(bench.run.DB_URL)
    first = marker.first_child_id
    sets = queries.name_queries(population=marker.children, seed=marker.seed,
                                today=marker.today, per_set=per_set)
    people = inproc.users()
    for kind in wanted:
        outranked = tied = hits = absent = 0
        for q in sets[kind]:
            want = first + q.index
            visible = policy.children_visible_to(people[q.username]).values("pk")
            ranked = rank_children(q.text, within=visible, limit=DEPTH)
            ids = [m.child_id for m in ranked]
            if want in ids[:10]:
                hits += 1
                continue
            score = {m.child_id: m.score for m in ranked}
            if want not in score:
                absent += 1
                print(f"[{kind}] {q.text!r}: child {want} not in the first {DEPTH}")
                continue
            above = sum(1 for m in ranked if m.score > score[want])
            same = sum(1 for m in ranked if m.score == score[want])
            if above >= 10:
                outranked += 1
            else:
                tied += 1
            names = dict(Child.objects.filter(pk__in=[want, *ids[:10]])
                         .values_list("pk", "display_name"))
            lengths = name_lengths([want, *ids[:10]])
            print(f"[{kind}] {q.text!r} -> child {want} {names.get(want)!r} "
                  f"score {score[want]} place {ids.index(want) + 1}, {above} above, "
                  f"{same} with the same score, name keys {lengths.get(want)}")
            for m in ranked[:10]:
                print(f"      {m.score:6d} {lengths.get(m.child_id)} {names.get(m.child_id)!r}")
        print(f"== {kind}: {hits} hits, {tied} misses among ties, {outranked} outranked by "
              f"ten or more, {absent} not found, of {len(sets[kind])}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
