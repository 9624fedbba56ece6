"""Benchmark: the daily justice safeguards job over a PostgreSQL database.

Target (issue 4): evaluating all open episodes for 100,000 children with justice timelines
completes within a minute on this machine.

1. Creates the database if missing (default
   ``postgres://postgres@127.0.0.1:5432/bridgeway_bench_justice``: its own, since other
   benchmarks keep their data in ``bridgeway_bench``) and migrates it. Only rows this
   benchmark created (case numbers ``BENCH-…``) are ever deleted.
2. Loads N children with cases and justice timelines with ``bulk_create`` (not the
   services: the load is not what is measured). Timelines come from the same seeded
   generator as ``bench/justice_rules_pure.py`` (arrests, police custody, pretrial
   detention with reviews, charges, judgments; about a third still held; safeguards
   randomly missing; 10% with an assessed age range, 3% with an assessment pending).
   The load is skipped when the database already holds exactly N bench children.
3. Cold run: deletes every evaluation, alert, notification and justice task, then runs
   the job over all open episodes: it creates them all.
4. Steady runs: the job again (``run_reevaluation``, exactly what ``manage.py
   justice_reevaluate`` does), which finds nothing new; and the same instrumented.
5. ``--all-cases`` adds a run over every case with a justice record (what a rule change
   triggers).

Per-case figures: ``evaluate`` (adapter + engine for one case, timed for every case) and
per-batch wall time (load, evaluate, write) divided by the batch size. Prints one JSON
object.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bridgeway_bench_justice \\
        .venv/bin/python bench/justice_rules_db.py --children 100000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT / "src"), str(HERE)]

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bridgeway_bench_justice"
PREFIX = "BENCH-"
ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("BRIDGEWAY_INSECURE_DEV_KEY", "1")
    os.environ.setdefault("BRIDGEWAY_VAR_DIR", tempfile.mkdtemp(prefix="bw-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bridgeway.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# ------------------------------------------------------------------------ load


def _people() -> dict[str, Any]:
    from bridgeway.accounts.models import Agency, User

    agencies, workers = [], {}
    for i in range(20):
        agency, _ = Agency.objects.get_or_create(
            code=f"bench-cp-{i}", defaults={"name": f"Bench child protection {i}",
                                            "sector": "child_protection", "country": "ID",
                                            "region": ["JK", "JB", "PA"][i % 3]})
        agencies.append(agency)
        User.objects.get_or_create(username=f"bench-sup-{i}",
                                   defaults={"agency": agency, "role": "supervisor"})
        workers[agency.pk] = [User.objects.get_or_create(
            username=f"bench-cw-{i}-{k}", defaults={"agency": agency, "role": "caseworker"})[0]
            for k in range(3)]
    police = [Agency.objects.get_or_create(
        code=f"bench-police-{i}", defaults={"name": f"Bench police {i}", "sector": "police",
                                            "country": "ID"})[0] for i in range(5)]
    for i, agency in enumerate(police):
        User.objects.get_or_create(username=f"bench-officer-{i}",
                                   defaults={"agency": agency, "role": "caseworker"})
    return {"agencies": agencies, "workers": workers, "police": police,
            "registrar": workers[agencies[0].pk][0]}


def _facilities() -> list[Any]:
    from bridgeway.justice.models import Facility

    out = []
    for i in range(50):
        facility, _ = Facility.objects.get_or_create(
            name=f"Bench facility {i}",
            defaults={"kind": "juvenile_facility" if i % 3 else "police_station",
                      "country": "ID", "time_zone": ZONES[i % 3]})
        out.append(facility)
    return out


def _rules(registrar: Any) -> None:
    """A national law (a longer appearance limit before 2024) and a regional version, so
    the run resolves layered histories like a real installation."""
    from bridgeway.justice.models import JurisdictionRuleSet

    if JurisdictionRuleSet.objects.filter(reason__startswith="bench").exists():
        return
    base = {"macr_years": 14, "max_hours_to_appearance": 24, "pretrial_review_days": 14,
            "days_to_charge": 30, "max_pretrial_days": 180, "sealing_years": 5,
            "expungement_years": 10, "age_of_majority": 18, "parent_notification_hours": 24,
            "legal_counsel_access_hours": 24, "continuity_gap_hours": 24,
            "diversion_types": ["warning", "restorative_justice"]}
    now = datetime.now(UTC)
    for valid_from, region, extra in (
            (datetime(2012, 7, 30, tzinfo=UTC), "", {"max_hours_to_appearance": 48}),
            (datetime(2024, 1, 1, tzinfo=UTC), "", {}),
            (datetime(2024, 6, 1, tzinfo=UTC), "PA", {"pretrial_review_days": 10})):
        JurisdictionRuleSet.objects.create(country="ID", region=region, valid_from=valid_from,
                                           created_by=registrar, created_at=now,
                                           reason="bench", **{**base, **extra})


BENCH_CASES = "SELECT id FROM cases_case WHERE case_number LIKE 'BENCH-%%'"


def wipe() -> None:
    """Delete this benchmark's children and everything hanging off them, nothing else."""
    from django.db import connection

    statements = [
        f"DELETE FROM justice_notification WHERE case_id IN ({BENCH_CASES})",
        f"DELETE FROM justice_safeguardalert WHERE case_id IN ({BENCH_CASES})",
        f"DELETE FROM justice_safeguardevaluation WHERE case_id IN ({BENCH_CASES})",
        f"DELETE FROM justice_justiceinvolvement WHERE case_id IN ({BENCH_CASES})",
        f"DELETE FROM justice_justiceevent WHERE case_id IN ({BENCH_CASES})",
        f"UPDATE justice_detentionepisode SET transferred_from_id = NULL "
        f"WHERE case_id IN ({BENCH_CASES})",
        f"DELETE FROM justice_detentionepisode WHERE case_id IN ({BENCH_CASES})",
        f"DELETE FROM cases_task WHERE case_id IN ({BENCH_CASES})",
        f"DELETE FROM cases_caseevent WHERE case_id IN ({BENCH_CASES})",
        "CREATE TEMP TABLE bench_children AS SELECT child_id AS id FROM cases_case "
        "WHERE case_number LIKE 'BENCH-%%'",
        "DELETE FROM cases_case WHERE case_number LIKE 'BENCH-%%'",
        "DELETE FROM registry_ageassessment WHERE child_id IN (SELECT id FROM bench_children)",
        "DELETE FROM registry_child WHERE id IN (SELECT id FROM bench_children)",
        "DROP TABLE bench_children",
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def load(n: int, seed: int, batch: int = 5000) -> dict[str, Any]:
    from justice_rules_pure import NOW, synthetic_timeline

    from bridgeway.cases.models import Case
    from bridgeway.justice import models as m
    from bridgeway.registry.models import AgeAssessment, Child

    started = time.perf_counter()
    people = _people()
    facilities = _facilities()
    _rules(people["registrar"])
    rng = random.Random(seed)
    registrar = people["registrar"]
    counts = {"children": 0, "events": 0, "episodes": 0}
    for offset in range(0, n, batch):
        size = min(batch, n - offset)
        timelines = [synthetic_timeline(rng) for _ in range(size)]
        children = []
        for i, tl in enumerate(timelines):
            dob = tl.age.date_of_birth
            children.append(Child(
                registered_by=registrar, registered_at=NOW - timedelta(days=400),
                date_of_birth=dob, youngest_birth_date=tl.age.latest_possible_birth,
                display_name=f"Bench child {offset + i}", sex="unknown"))
        Child.objects.bulk_create(children)
        cases = []
        for i, child in enumerate(children):
            agency = people["agencies"][(offset + i) % len(people["agencies"])]
            cases.append(Case(
                case_number=f"{PREFIX}{offset + i:07d}", child=child, owning_agency=agency,
                assigned_to=people["workers"][agency.pk][(offset + i) % 3],
                opened_at=NOW - timedelta(days=400), status="implementation"))
        Case.objects.bulk_create(cases)
        ages, events, episodes, links = [], [], [], []
        for tl, child, case in zip(timelines, children, cases, strict=True):
            if tl.age.assessed_min_age_years is not None:
                ages.append(AgeAssessment(
                    child=child, method="multidisciplinary",
                    assessed_min_years=Decimal(str(round(tl.age.assessed_min_age_years, 1))),
                    assessed_on=tl.age.assessed_on, recorded_by=registrar))
            if tl.age.assessment_pending:
                ages.append(AgeAssessment(child=child, method="multidisciplinary",
                                          assessed_on=(NOW - timedelta(days=30)).date(),
                                          pending=True, recorded_by=registrar))
            for e in tl.events:
                events.append(m.JusticeEvent(
                    case=case, kind=e.kind.value, at=e.at, time_zone="Asia/Jakarta",
                    legal_representation_present=e.legal_representation_present,
                    parent_notified_at=e.parent_notified_at, recorded_by=registrar,
                    recorded_at=NOW))
            for ep in tl.episodes:
                facility = facilities[int(ep.facility_id[1:]) % len(facilities)]
                episodes.append(m.DetentionEpisode(
                    case=case, kind=ep.kind.value, facility=facility,
                    commitment_order_ref=ep.commitment_order_ref, admitted_at=ep.admitted_at,
                    released_at=ep.released_at,
                    separated_from_adults={True: "yes", False: "no"}.get(
                        ep.separated_from_adults, "unknown"),
                    family_notified_at=ep.family_notified_at,
                    legal_counsel_access_at=ep.legal_counsel_access_at,
                    last_resort_justification=ep.last_resort_justification,
                    alternatives_considered=list(ep.alternatives_considered),
                    recorded_by=registrar, recorded_at=NOW))
            if rng.random() < 0.5:
                links.append(m.JusticeInvolvement(
                    case=case, agency=people["police"][case.pk % len(people["police"])],
                    added_by=registrar, added_at=NOW))
        AgeAssessment.objects.bulk_create(ages)
        m.JusticeEvent.objects.bulk_create(events, batch_size=5000)
        m.DetentionEpisode.objects.bulk_create(episodes, batch_size=5000)
        m.JusticeInvolvement.objects.bulk_create(links)
        counts["children"] += size
        counts["events"] += len(events)
        counts["episodes"] += len(episodes)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts["load_seconds"] = round(time.perf_counter() - started, 1)
    return counts


def reset_derived() -> None:
    """Forget every evaluation, alert, notification and justice task of the bench cases,
    so that the cold run creates them all again."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("justice_notification", "justice_safeguardalert",
                      "justice_safeguardevaluation"):
            cursor.execute(f"DELETE FROM {table} WHERE case_id IN ({BENCH_CASES})")
        cursor.execute(f"DELETE FROM cases_task WHERE source_key LIKE 'justice:%%' "
                       f"AND case_id IN ({BENCH_CASES})")
        cursor.execute("ANALYZE")


# ------------------------------------------------------------------------ runs


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def instrumented_run(now: datetime, batch_size: int, every_justice_case: bool = False
                     ) -> dict[str, Any]:
    """The job's loop (``evaluation.reevaluate_cases``), timing each batch and each
    case's evaluation (building the engine's timeline from the loaded rows is timed with
    the batch, not here)."""
    from django.db import transaction

    from bridgeway.justice import evaluation as ev
    from bridgeway.justice.adapters import RuleBook

    per_case: list[float] = []
    original = ev.evaluate_timeline

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            per_case.append(time.perf_counter() - t0)

    ev.evaluate_timeline = timed  # type: ignore[assignment]
    try:
        t_all = time.perf_counter()
        ids = ev.case_ids_to_reevaluate(every_justice_case=every_justice_case)
        select_s = time.perf_counter() - t_all
        rulebook = RuleBook.load()
        total = ev.Stats()
        batches: list[float] = []
        for chunk in ev._chunks(ids, batch_size):
            t0 = time.perf_counter()
            with transaction.atomic():
                stats, _ = ev.reconcile_batch(chunk, now=now, rulebook=rulebook)
            batches.append(time.perf_counter() - t0)
            total.add(stats)
        total_s = time.perf_counter() - t_all
    finally:
        ev.evaluate_timeline = original  # type: ignore[assignment]
    ms = 1000.0
    out = {k: v for k, v in total.as_dict().items() if k != "failed"}
    out.update({
        "failed": len(total.failed), "select_seconds": round(select_s, 2),
        "total_seconds": round(total_s, 2), "cases_per_second": round(len(ids) / total_s),
        "evaluate_per_case_median_ms": round(statistics.median(per_case) * ms, 3),
        "evaluate_per_case_p95_ms": round(_pct(per_case, 0.95) * ms, 3),
        "batch_size": batch_size,
        "batch_median_seconds": round(statistics.median(batches), 3),
        "batch_p95_seconds": round(_pct(batches, 0.95), 3),
        "amortized_per_case_median_ms": round(statistics.median(batches) / batch_size * ms, 3),
        "amortized_per_case_p95_ms": round(_pct(batches, 0.95) / batch_size * ms, 3),
    })
    return out


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {"nproc": os.cpu_count(), "ram_gib": round(mem_kb / 1024 / 1024, 1), "cpu": cpu,
            "python": platform.python_version(), "postgresql": pg, "commit": commit,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--reload", action="store_true", help="Load the data again.")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="Worker processes of the job as deployed (default: CPUs).")
    parser.add_argument("--steady-only", action="store_true",
                        help="Skip the cold runs (the stored evaluations are kept).")
    parser.add_argument("--all-cases", action="store_true",
                        help="Also time a run over every case with a justice record.")
    args = parser.parse_args(argv)

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        parser.error("the benchmark needs PostgreSQL (DATABASE_URL=postgres://...)")
    ensure_database(url)
    setup_django(url)

    from justice_rules_pure import NOW

    from bridgeway.cases.models import Case
    from bridgeway.justice import models as m
    from bridgeway.justice.jobs import run_reevaluation

    result: dict[str, Any] = {"benchmark": "justice_rules_db", "machine": machine(),
                              "now": NOW.isoformat()}
    have = Case.objects.filter(case_number__startswith=PREFIX).count()
    if args.reload or have != args.children:
        wipe()
        result["load"] = load(args.children, args.seed)
    bench = {"case__case_number__startswith": PREFIX}
    result["dataset"] = {
        "children": Case.objects.filter(case_number__startswith=PREFIX).count(),
        "events": m.JusticeEvent.objects.filter(**bench).count(),
        "episodes": m.DetentionEpisode.objects.filter(**bench).count(),
        "open_episodes": m.DetentionEpisode.objects.filter(
            released_at__isnull=True, **bench).count(),
        "cases_with_open_episode": m.DetentionEpisode.objects.filter(
            released_at__isnull=True, **bench).values("case_id").distinct().count(),
    }
    def job(workers: int) -> dict[str, Any]:
        t0 = time.perf_counter()
        stats = run_reevaluation(now=NOW, batch_size=args.batch_size, workers=workers)
        return {"wall_seconds": round(time.perf_counter() - t0, 2),
                "load_average_after": list(os.getloadavg()),
                **{k: v for k, v in stats.items() if k != "failed"},
                "failed": len(stats["failed"])}

    result["workers"] = args.workers
    # Cold: the first run after installation creates every evaluation, alert and task.
    if not args.steady_only:
        reset_derived()
        result["cold_run_job"] = job(args.workers)
    # Steady: the daily job as deployed, and in one process as the same-run baseline.
    result["steady_run_job"] = job(args.workers)
    result["steady_run_job_one_process"] = job(1)
    result["steady_run_job_again"] = job(args.workers)
    # Per-case figures need the loop in this process (instrumented, one process).
    result["steady_run"] = instrumented_run(NOW, args.batch_size)
    if not args.steady_only:
        reset_derived()
        result["cold_run"] = instrumented_run(NOW, args.batch_size)
    if args.all_cases:
        result["every_justice_case_run"] = instrumented_run(NOW, args.batch_size,
                                                            every_justice_case=True)
    result["target_seconds"] = 60
    steady = [result["steady_run_job"]["wall_seconds"],
              result["steady_run_job_again"]["wall_seconds"]]
    result["within_target"] = max(steady) < 60
    result["speedup_workers_vs_one"] = round(
        result["steady_run_job_one_process"]["wall_seconds"] / statistics.median(steady), 2)
    out = HERE / "results" / (f"justice-{datetime.now(UTC):%Y-%m-%d}-"
                              f"{result['dataset']['children']}.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
