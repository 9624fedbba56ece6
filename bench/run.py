"""``make bench``: load (or reuse) the benchmark database, measure, report.

    BENCH_CHILDREN=100000 .venv/bin/python bench/run.py        # quick run (default)
    BENCH_CHILDREN=1000000 .venv/bin/python bench/run.py       # the full national scale

Settings (environment): ``BENCH_CHILDREN`` (100000), ``BENCH_SEED`` (2024),
``BENCH_DATABASE_URL`` (postgres://postgres@127.0.0.1:5432/bridgeway_bench; created if
missing, rebuilt when it holds another size or seed), ``BENCH_QUERIES`` per query set (200),
``BENCH_BASELINE_QUERIES`` per set for the naive search (30), ``BENCH_LOAD_USERS`` (50),
``BENCH_LOAD_SECONDS`` (60), ``BENCH_SKIP`` (comma list of: e2e, load, browser, writes; ``measure`` only
prepares the database).

Writes ``bench/results/<date>-<children>.json`` and the run's table in
``docs/performance.md``; prints the budgets met and missed. Exits 0 when it measured,
whatever the budgets (they are goals to report, not a test).
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

CHILDREN = int(os.environ.get("BENCH_CHILDREN", "100000"))
SEED = int(os.environ.get("BENCH_SEED", "2024"))
DB_URL = os.environ.get("BENCH_DATABASE_URL",
                        "postgres://postgres@127.0.0.1:5432/bridgeway_bench")
QUERIES = int(os.environ.get("BENCH_QUERIES", "200"))
BASELINE = int(os.environ.get("BENCH_BASELINE_QUERIES", "30"))
LOAD_USERS = int(os.environ.get("BENCH_LOAD_USERS", "50"))
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
SKIP = {s.strip() for s in os.environ.get("BENCH_SKIP", "").split(",") if s.strip()}
FORM_ID = os.environ.get("BENCH_FORM_ID", "bw_initial_assessment")

os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("BRIDGEWAY_VAR_DIR", str(ROOT / "var" / "bench"))
# One key for this process and the server: sessions made here are read there.
os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(32))
# Field encryption keys for the synthetic benchmark data only: fixed, so that a database
# loaded by one run is read by the next (never use these for real data).
_BENCH_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"bridgeway bench only").digest())
os.environ.setdefault("BRIDGEWAY_MASTER_KEYS", "bench:" + _BENCH_KEY.decode())
os.environ.setdefault("BRIDGEWAY_BLIND_INDEX_KEY", "bench-blind-" + _BENCH_KEY.decode())
os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ["BRIDGEWAY_REQUIRE_MFA"] = "false"
os.environ["API_THROTTLE_USER"] = "100000000/hour"
os.environ["DJANGO_SETTINGS_MODULE"] = "bridgeway.settings"
# Production static files (hashed names, compressed copies) for this process and the server.
STATIC_ROOT = tempfile.mkdtemp(prefix="bw-bench-static-")
os.environ["STATIC_ROOT"] = STATIC_ROOT


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def main() -> int:
    import psycopg
    from bench.harness import dataset

    try:
        marker = dataset.read_marker(DB_URL)
    except psycopg.OperationalError as exc:
        log(f"PostgreSQL is required ({DB_URL.rsplit('@', 1)[-1]} unreachable): {exc}")
        return 2
    if marker is None or (marker.children, marker.seed) != (CHILDREN, SEED):
        log(f"(re)creating {DB_URL.rsplit('/', 1)[-1]} for {CHILDREN:,} children")
        dataset.recreate(DB_URL)
        marker = None

    import django

    django.setup()
    from bench.harness import e2e, inproc, queries, report
    from bench.harness.common import commit, machine, postgres_version
    from django.core.management import call_command

    result: dict = {"date": datetime.now().strftime("%Y-%m-%d"),
                    "started_at": datetime.now().isoformat(timespec="seconds"),
                    "machine": machine(), "commit": commit()}
    if marker is None:
        marker = dataset.load(children=CHILDREN, seed=SEED, log=log)
    else:
        log(f"reusing {marker.children:,} children (seed {marker.seed}, loaded "
            f"{marker.today}); migrating")
        call_command("migrate", verbosity=0, interactive=False)
        dataset.load_forms(log)
    call_command("collectstatic", interactive=False, verbosity=0)
    result["postgresql"] = postgres_version()
    result["dataset"] = {"children": marker.children, "seed": marker.seed,
                         "load_day": str(marker.today), "reused": marker.reused,
                         "load_seconds": round(marker.load_seconds, 1)}
    result["dataset"].update(_sizes())
    if "measure" in SKIP:
        log(f"dataset ready: {result['dataset']}")
        return 0

    rng = random.Random(11)
    log("building queries with known answers ...")
    sets = queries.name_queries(population=marker.children, seed=marker.seed,
                                today=marker.today, per_set=QUERIES)
    checked = inproc.check_ground_truth(sets, first_child_id=marker.first_child_id,
                                        seed=marker.seed, today=marker.today)
    result["query_sets"] = {k: {"n": len(v), "what": queries.NAME_SETS[k]}
                            for k, v in sets.items()}
    log(f"{checked} sampled children match the database; name search ...")
    result["name_search"] = inproc.name_search(sets, first_child_id=marker.first_child_id,
                                               baseline_per_set=BASELINE, log=log)
    log("case number and identifier ...")
    result["lookups"] = inproc.lookups(n=QUERIES, rng=rng,
                                       first_child_id=marker.first_child_id)
    log("case lists ...")
    result["lists"] = inproc.case_lists(n=100)
    log("case view ...")
    result["views"] = inproc.case_views(n=QUERIES, rng=rng)
    if "writes" not in SKIP:
        log("edit save and registration ...")
        result["writes"] = {**inproc.edits(n=50),
                            **inproc.registrations(n=50, population=marker.children,
                                                   seed=marker.seed, today=marker.today)}
    if "e2e" not in SKIP:
        log("end to end (test client) ...")
        result["e2e"] = e2e.pages(n=100, rng=rng, sets=sets)
    if not ({"load", "browser"} <= SKIP):
        _over_http(result, sets, marker, log)
    result["budgets"] = report.budgets(result)
    result["finished_at"] = datetime.now().isoformat(timespec="seconds")
    path = report.write_json(result, ROOT / "bench" / "results")
    report.update_doc(report.markdown(result, path), marker.children)
    log(f"wrote {path.relative_to(ROOT)} and docs/performance.md")
    for b in result["budgets"]:
        print(("  MET   " if b["met"] else "  MISSED") + f" {b['budget']}: {b['measured']} "
              f"(target {b['target']} {b['unit']})"
              + ("" if b["met"] else f" — by {b['miss_by']}"))
    return 0


def _sizes() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""SELECT relname, reltuples::bigint FROM pg_class WHERE relname IN
            ('registry_child', 'registry_childname', 'registry_alias', 'registry_namekey',
             'registry_nameterm', 'registry_identifier', 'cases_case')""")
        rows = dict(cursor.fetchall())
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    return {"rows": rows, "database_mb": round(size / 1024 / 1024)}


def _over_http(result: dict, sets: dict, marker: object, log: object) -> None:
    from bench.harness import inproc, loadtest, pageweight
    from bench.harness.server import describe, production_server

    from bridgeway.cases.models import Case
    from bridgeway.cases.selectors import _encode_cursor
    from bridgeway.registry.demo.setup import ensure_demo_accounts

    sup = inproc.users()["supervisor1"]
    passwords = {x.username: x.password for x in ensure_demo_accounts()}
    mine = (Case.objects.filter(owning_agency_id=sup.agency_id).exclude(status="closed")
            .order_by("-opened_at", "-id"))
    case_ids = list(mine.values_list("pk", flat=True)[:5000:5])
    deep = mine[mine.count() // 2]
    result["server"] = describe()
    with production_server(STATIC_ROOT) as base:
        log(f"production-like server at {base}")
        if "load" not in SKIP:
            texts = [q.text for qs in sets.values() for q in qs if q.username == "supervisor1"]
            start = marker.children + random.Random().randrange(  # type: ignore[attr-defined]
                0, 8_000_000 - marker.children)  # type: ignore[attr-defined]
            payloads = [inproc.synthetic_payload(queries_child(start + i, marker))
                        for i in range(LOAD_USERS * 4)]
            plan = loadtest.prepare(users_n=LOAD_USERS, queries=texts, case_ids=case_ids,
                                    payloads=payloads, deep_cursor=_encode_cursor(deep))
            log(f"{LOAD_USERS} users for {LOAD_SECONDS:.0f} s ...")
            result["load"] = loadtest.run(base, plan, LOAD_SECONDS)
            log(f"  {result['load']['requests_ok']} OK, {result['load']['errors']} errors")
            result["logins"] = loadtest.http_logins(base, "supervisor1",
                                                    passwords["supervisor1"], 5)
        if "browser" not in SKIP:
            form_path = _form_path(case_ids[0])
            log("page weight on a 400 kbit/s link ...")
            try:
                result["page_weight"] = pageweight.measure(
                    base, username="supervisor1", password=passwords["supervisor1"],
                    case_id=case_ids[0], form_path=form_path)
            except Exception as exc:
                result["page_weight"] = {"error": f"{type(exc).__name__}: {exc}"}


def queries_child(index: int, marker: object) -> object:
    from bench.harness.queries import child_at

    return child_at(index, seed=marker.seed, today=marker.today)  # type: ignore[attr-defined]


def _form_path(case_id: int) -> str | None:
    """The assessment form page, when the forms app serves it for this case."""
    from bench.harness.inproc import users
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    try:
        path = reverse("forms:record_new", args=[case_id, FORM_ID])
    except NoReverseMatch:
        return None
    client = Client()
    client.force_login(users()["supervisor1"])
    return path if client.get(path).status_code == 200 else None


if __name__ == "__main__":
    try:
        code = main()
    finally:
        shutil.rmtree(STATIC_ROOT, ignore_errors=True)
    sys.exit(code)
