"""The benchmark database: created if missing, loaded once per (size, seed), reused after.

A marker table (``bench_marker``, outside Django's models) records what was loaded, when
and how long it took; a database holding another size or seed is dropped and rebuilt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

MARKER_DDL = """CREATE TABLE IF NOT EXISTS bench_marker (
    children integer NOT NULL, seed integer NOT NULL, today date NOT NULL,
    first_child_id bigint NOT NULL, load_seconds double precision NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now())"""


@dataclass(frozen=True)
class Marker:
    children: int
    seed: int
    today: date
    first_child_id: int
    load_seconds: float
    reused: bool


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def read_marker(url: str) -> Marker | None:
    """The marker of the database at ``url``, or None (no database, no marker)."""
    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return None
    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('bench_marker')").fetchone()
        if not exists or exists[0] is None:
            return None
        row = conn.execute("SELECT children, seed, today, first_child_id, load_seconds "
                           "FROM bench_marker ORDER BY loaded_at DESC LIMIT 1").fetchone()
    return Marker(*row, reused=True) if row else None


def recreate(url: str) -> None:
    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def load(*, children: int, seed: int, log: Any) -> Marker:
    """Migrate, create the demo agencies and users, load the children with the demo
    loader (PostgreSQL COPY), then VACUUM ANALYZE so plans and index-only scans are those
    of a settled database. Django must be set up on the (empty) benchmark database."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bridgeway.accounts.models import Agency, User
    from bridgeway.core import context
    from bridgeway.registry.demo.load import Owner, load_children
    from bridgeway.registry.demo.setup import ensure_demo_accounts
    from bridgeway.registry.models import Child

    call_command("migrate", verbosity=0, interactive=False)
    load_forms(log)
    token = context.set_current(context.RequestContext(channel="cli"))
    try:
        ensure_demo_accounts()
        owners = []
        for code in ("dsw-central", "ngo-harapan"):
            agency = Agency.objects.get(code=code)
            users = User.objects.filter(agency=agency)
            owners.append(Owner(agency, list(users.filter(role="caseworker").order_by("pk")),
                                users.get(role="supervisor")))
        # As ``demo_data`` does: the main agency carries three cases in four.
        owners = [owners[0], owners[0], owners[0], owners[1]]
        admin = User.objects.get(username="admin")
        today = timezone.localdate()
        log(f"loading {children:,} children (seed {seed}) ...")
        started = time.perf_counter()
        load_children(count=children, seed=seed, owners=owners, actor=admin, today=today,
                      progress=True)
        seconds = time.perf_counter() - started
        log(f"loaded in {seconds:.0f} s; VACUUM ANALYZE ...")
    finally:
        context.reset(token)
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        log(f"VACUUM ANALYZE {time.perf_counter() - t0:.0f} s")
        first = Child.objects.order_by("pk").values_list("pk", flat=True).first() or 0
        cursor.execute(MARKER_DDL)
        cursor.execute("INSERT INTO bench_marker (children, seed, today, first_child_id, "
                       "load_seconds) VALUES (%s, %s, %s, %s, %s)",
                       [children, seed, today, first, seconds])
    return Marker(children, seed, today, first, seconds, reused=False)


def load_forms(log: Any) -> None:
    """The built-in assessment forms, for the form page's weight (when that app has them)."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("forms_load_builtin", verbosity=0)
    except (CommandError, LookupError, ImportError) as exc:
        log(f"built-in forms not loaded: {exc}")
