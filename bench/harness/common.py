"""Timing, percentiles and machine facts shared by every scenario."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


@dataclass
class Timings:
    """Latencies of one scenario, in seconds, and what else it recorded."""

    name: str
    samples: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0  # seconds the whole scenario took (for throughput)
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        s = sorted(self.samples)
        out: dict[str, Any] = {"n": len(s), "errors": self.errors}
        if s:
            out.update({
                "p50_ms": round(percentile(s, 50) * 1000, 2),
                "p95_ms": round(percentile(s, 95) * 1000, 2),
                "p99_ms": round(percentile(s, 99) * 1000, 2),
                "mean_ms": round(statistics.fmean(s) * 1000, 2),
                "max_ms": round(s[-1] * 1000, 2),
                "throughput_per_s": round(len(s) / self.wall, 1) if self.wall else None,
            })
        if self.queries:
            out["queries_median"] = statistics.median(self.queries)
            out["queries_max"] = max(self.queries)
        out.update(self.extra)
        return out


def run_timed(name: str, calls: list[Callable[[], Any]], *, count_queries: bool = True,
              warmup: int = 3) -> tuple[Timings, list[Any]]:
    """Run each call once (after ``warmup`` untimed calls of the first ones), one after
    another in this process; returns the timings and the calls' results."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for call in calls[:warmup]:
        call()
    t = Timings(name)
    results = []
    started = time.perf_counter()
    for call in calls:
        if count_queries:
            connection.queries_log.clear()  # the log keeps 9,000 entries: stay below
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                results.append(call())
                t.samples.append(time.perf_counter() - t0)
            t.queries.append(len(ctx.captured_queries))
        else:
            t0 = time.perf_counter()
            results.append(call())
            t.samples.append(time.perf_counter() - t0)
    t.wall = time.perf_counter() - started
    return t, results


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "ram_gb": round(mem_kb / 1024 / 1024, 1),
            "cpu_model": cpu, "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "note": "2 cores shared with other engineers' builds and test runs while "
                    "measuring: absolute figures are noisy; ratios in the same run hold."}


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return out + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0])
