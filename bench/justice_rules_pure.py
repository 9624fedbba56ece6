"""Benchmark of the pure justice safeguards engine (no database).

Target (issue): evaluating all open episodes for 100,000 children with
justice timelines completes within a minute.

Builds N synthetic timelines in memory from a fixed seed (arrest, police
custody, often pretrial detention with reviews, charges, some judgments,
about a third still held at ``now``, with safeguards randomly missing),
then times ``evaluate()`` for each child. Generation is timed separately.
Prints one JSON object to stdout.

    .venv/bin/python bench/justice_rules_pure.py [--children 100000] [--seed 24]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta

from bridgeway.justice.rules import (
    DEFAULTS,
    RULES,
    AgeRecord,
    DetentionEpisode,
    EpisodeKind,
    EventKind,
    JusticeEvent,
    RuleHistory,
    Timeline,
    evaluate,
)

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)


def _maybe(rng: random.Random, p: float, value: datetime) -> datetime | None:
    return value if rng.random() < p else None


def synthetic_timeline(rng: random.Random) -> Timeline:
    """One child's justice timeline: one or two matters, each an arrest,
    police custody, and (mostly) pretrial detention with periodic reviews."""
    events: list[JusticeEvent] = []
    episodes: list[DetentionEpisode] = []
    start = NOW - timedelta(minutes=rng.randrange(0, 400 * 24 * 60))
    for m in range(1 if rng.random() < 0.8 else 2):
        arrest = start
        events.append(
            JusticeEvent(
                id=f"a{m}",
                kind=EventKind.ARREST,
                at=arrest,
                parent_notified_at=_maybe(rng, 0.85, arrest + rng.randrange(0, 40) * H),
            )
        )
        custody_hours = rng.randrange(2, 40)
        to_pretrial = rng.random() < 0.7
        appear = arrest + custody_hours * H
        if appear <= NOW:
            events.append(
                JusticeEvent(
                    id=f"f{m}",
                    kind=EventKind.FIRST_APPEARANCE,
                    at=appear,
                    legal_representation_present=rng.choice([True, True, None, False]),
                )
            )
        episodes.append(_episode(rng, f"pc{m}", EpisodeKind.POLICE_CUSTODY, arrest, appear))
        if not to_pretrial:
            start = appear + rng.randrange(30, 200) * D
            if start > NOW:
                break
            continue
        length = rng.randrange(1, 260) * D
        released = appear + length if appear + length <= NOW and rng.random() < 0.6 else None
        episodes.append(_episode(rng, f"pt{m}", EpisodeKind.PRETRIAL, appear, released))
        t = appear
        for r in range(40):
            t += rng.randrange(8, 18) * D
            if t > NOW or (released and t > released):
                break
            events.append(JusticeEvent(id=f"r{m}.{r}", kind=EventKind.PRETRIAL_MEASURE, at=t))
        if rng.random() < 0.8:
            events.append(
                JusticeEvent(
                    id=f"c{m}", kind=EventKind.CHARGE, at=appear + rng.randrange(0, 45) * D
                )
            )
        if released and rng.random() < 0.5:
            events.append(JusticeEvent(id=f"j{m}", kind=EventKind.JUDGMENT, at=released))
        start = (released or NOW) + rng.randrange(30, 200) * D
        if start > NOW:
            break
    dob = date(2025 - rng.randrange(12, 19), rng.randrange(1, 13), rng.randrange(1, 29))
    if rng.random() < 0.1:
        age = AgeRecord(assessed_min_age_years=rng.uniform(12, 17), assessed_on=date(2024, 1, 1))
    else:
        age = AgeRecord(date_of_birth=dob, assessment_pending=rng.random() < 0.03)
    return Timeline(
        events=tuple(e for e in events if e.at <= NOW), episodes=tuple(episodes), age=age
    )


def _episode(
    rng: random.Random, id_: str, kind: EpisodeKind, admitted: datetime, released: datetime | None
) -> DetentionEpisode:
    released = released if released is None or released <= NOW else None
    return DetentionEpisode(
        id=id_,
        kind=kind,
        admitted_at=admitted,
        released_at=released,
        facility_id=f"F{rng.randrange(50)}",
        # Every episode needs one, police custody included; 5 % lack it (a violation).
        commitment_order_ref="" if rng.random() < 0.05 else "ORD",
        last_resort_justification="" if rng.random() < 0.2 else "no safe alternative",
        alternatives_considered=() if rng.random() < 0.2 else ("bail", "family supervision"),
        separated_from_adults=rng.choice([True, True, True, None, False]),
        legal_counsel_access_at=_maybe(rng, 0.8, admitted + rng.randrange(0, 48) * H),
        family_notified_at=_maybe(rng, 0.85, admitted + rng.randrange(0, 36) * H),
    )


def _percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=24)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    t = time.perf_counter()
    timelines = [synthetic_timeline(rng) for _ in range(args.children)]
    generate_s = time.perf_counter() - t

    rules = RuleHistory.of(DEFAULTS)
    per_child: list[float] = []
    deadlines = violations = open_episodes = 0
    clock = time.perf_counter
    t_all = clock()
    for timeline in timelines:
        t0 = clock()
        result = evaluate(timeline, rules, now=NOW)
        per_child.append(clock() - t0)
        deadlines += len(result.deadlines)
        violations += len(result.violations)
    total_s = clock() - t_all
    open_episodes = sum(1 for tl in timelines for ep in tl.episodes if ep.released_at is None)

    per_child.sort()
    us = 1e6
    print(
        json.dumps(
            {
                "benchmark": "justice_rules_pure",
                "children": args.children,
                "seed": args.seed,
                "rules": len(RULES),
                "events": sum(len(tl.events) for tl in timelines),
                "episodes": sum(len(tl.episodes) for tl in timelines),
                "open_episodes": open_episodes,
                "deadlines": deadlines,
                "violations": violations,
                "generate_seconds": round(generate_s, 2),
                "evaluate_total_seconds": round(total_s, 2),
                "per_child_median_us": round(statistics.median(per_child) * us, 1),
                "per_child_p95_us": round(_percentile(per_child, 0.95) * us, 1),
                "per_child_p99_us": round(_percentile(per_child, 0.99) * us, 1),
                "per_child_max_us": round(per_child[-1] * us, 1),
                "children_per_second": round(args.children / total_s),
                "target_seconds": 60,
                "within_target": total_s < 60,
                "python": platform.python_version(),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
