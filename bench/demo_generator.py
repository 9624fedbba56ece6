"""Benchmark of the synthetic-children generator (pure Python, no database).

Target (issue): 1,000,000 children in well under two minutes on one core.

Generates N children from a fixed seed, consuming each record, and reports the rate.
With ``--workers`` > 1 the population is cut into chunks generated in separate processes
(each child depends only on the seed and its index, so the chunks are the one-shot
population). Prints one JSON object to stdout; exits non-zero when the target is missed.

    .venv/bin/python bench/demo_generator.py [--children 1000000] [--seed 42] [--workers 1]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import date

from bridgeway.registry.demo import generate_children

TODAY = date(2025, 6, 1)


def _chunk(args: tuple[int, int, int]) -> tuple[str, int, dict[str, int]]:
    seed, start, count = args
    digest = hashlib.sha256()
    scripts: Counter[str] = Counter()
    parts = 0
    for child in generate_children(count=count, seed=seed, start_index=start, today=TODAY):
        digest.update(child.native_name.encode())
        scripts[child.script] += 1
        parts += len(child.name_parts) + len(child.aliases) + len(child.family)
    return digest.hexdigest(), parts, dict(scripts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    n, workers = args.children, max(1, args.workers)
    size = -(-n // workers)
    chunks = [(args.seed, start, min(size, n - start)) for start in range(0, n, size)]
    started = time.perf_counter()
    if workers == 1:
        results = [_chunk(c) for c in chunks]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_chunk, chunks))
    elapsed = time.perf_counter() - started

    scripts: Counter[str] = Counter()
    for _digest, _parts, counts in results:
        scripts.update(counts)
    print(json.dumps({
        "benchmark": "demo_generator",
        "python": platform.python_version(),
        "children": n,
        "workers": workers,
        "seconds": round(elapsed, 2),
        "children_per_second": round(n / elapsed),
        "microseconds_per_child": round(elapsed / n * 1e6, 1),
        "records_per_child": round(sum(r[1] for r in results) / n, 2),
        "scripts": dict(sorted(scripts.items())),
        "chunk_digests": [r[0][:16] for r in results],
        "target_met": elapsed < 120,
    }, indent=2))
    sys.exit(0 if elapsed < 120 else 1)


if __name__ == "__main__":
    main()
