"""Bulk loading of synthetic children for the demo and the benchmarks.

This writes rows directly — with PostgreSQL's ``COPY`` (through psycopg), elsewhere with
``bulk_create`` in batches of a few thousand — instead of going through ``child_register``
one child at a time: the services would write an audit entry and
a case event per child, and a million registrations through them would take hours. The
loader writes ONE audit entry saying what it seeded, and computes the same derived data the
services do (search keys, youngest plausible birth date, first-assessment deadline, tasks).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from bridgeway.accounts.models import Agency, User
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.cases.models import Case, CaseNumberCounter, Status, Task
from bridgeway.cases.services import first_assessment_due
from bridgeway.core.crypto import EncryptedTextField
from bridgeway.registry import age
from bridgeway.registry.demo.generator import SyntheticChild, generate_children
from bridgeway.registry.models import (
    AgeAssessment,
    Alias,
    Child,
    ChildName,
    FamilyMember,
    Identifier,
    NameKey,
)
from bridgeway.registry.services import compute_name_keys

BATCH = 2000


@dataclass(frozen=True)
class Owner:
    agency: Agency
    caseworkers: list[User]
    supervisor: User


def _chunks(it: Iterable[SyntheticChild], size: int) -> Iterator[list[SyntheticChild]]:
    iterator = iter(it)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _opened(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time(9, 0)))


def load_children(*, count: int, seed: int, owners: list[Owner], actor: User,
                  today: date | None = None, progress: bool = False) -> int:
    """Generate and insert ``count`` children with one case each, spread over ``owners``."""
    today = today or timezone.localdate()
    counters: Counter[int] = Counter()
    loaded = 0
    for chunk in _chunks(generate_children(count=count, seed=seed, today=today), BATCH):
        with transaction.atomic():
            _load_chunk(chunk, owners, counters)
        loaded += len(chunk)
        if progress and loaded % 50_000 < BATCH:
            print(f"  {loaded:,} children loaded", flush=True)
    with transaction.atomic():
        for year, last in counters.items():
            counter, _ = CaseNumberCounter.objects.select_for_update().get_or_create(
                prefix="BW", year=year)
            counter.last = max(counter.last, last)
            counter.save(update_fields=["last"])
        audit_record(actor=actor, action=Action.CREATE, object_type="demo_seed",
                     reason="Synthetic demo data loaded by the demo_data command",
                     detail={"children": loaded, "seed": seed})
    return loaded


Row = dict[str, object]


def _load_chunk(chunk: list[SyntheticChild], owners: list[Owner],
                counters: Counter[int]) -> None:
    """Map one chunk to table rows (plain dicts by column attribute) and write them; the
    mapping is the same whichever writer (``COPY`` or ``bulk_create``) is used."""
    now = timezone.now()
    write = _CopyWriter() if connection.vendor == "postgresql" else _OrmWriter()
    child_rows: list[Row] = []
    for s in chunk:
        owner = owners[s.index % len(owners)]
        evidence = [age.AgeEvidence(date_of_birth=s.date_of_birth)]
        if s.estimated_age and s.age_assessed_on:
            evidence.append(age.AgeEvidence(assessed_min_years=s.estimated_age[0],
                                            assessed_on=s.age_assessed_on))
        child_rows.append({
            "sex": s.sex, "date_of_birth": s.date_of_birth,
            "date_of_birth_estimated": s.date_of_birth_estimated,
            "youngest_birth_date": age.latest_plausible_birth_date(evidence),
            "nationalities": list(s.nationalities), "country_of_birth": s.country_of_birth,
            "place_of_birth": s.place_of_birth, "born_abroad": s.born_abroad,
            "languages": list(s.languages), "birth_registration": s.birth_registration,
            "display_name": s.display_name[:300], "registered_by_id": owner.supervisor.pk,
            "registered_at": _opened(s.opened_at), "created_at": now, "updated_at": now})
    child_ids = write.rows_with_ids(Child, child_rows)

    names: list[Row] = []
    aliases: list[Row] = []
    keys: list[Row] = []
    ids: list[Row] = []
    family: list[Row] = []
    ages: list[Row] = []
    cases: list[Row] = []
    for s, child_id in zip(chunk, child_ids, strict=True):
        owner = owners[s.index % len(owners)]
        names += [{"child_id": child_id, "kind": p.kind, "value": p.value, "script": p.script,
                   "latin": "" if p.script == "Latn" else p.latin, "position": i}
                  for i, p in enumerate(s.name_parts)]
        aliases += [{"child_id": child_id, "alias_type": a.kind, "value": a.value,
                     "script": a.script, "latin": "" if a.script == "Latn" else a.latin}
                    for a in s.aliases]
        keys += [{"child_id": child_id, "kind": kind, "key": key[:200], "from_alias": alias}
                 for (kind, key), alias in compute_name_keys(
                     [(p.value, p.latin) for p in s.name_parts],
                     [(a.value, a.latin) for a in s.aliases]).items()]
        ids += [{"child_id": child_id, "id_type": i.type, "value": i.value,
                 "issuer": i.issuer, "value_index": Identifier.index_for(i.value)}
                for i in s.identifiers]
        family += [{"child_id": child_id, "relationship": f.relationship,
                    "name": f.name if f.script == "Latn" else f"{f.name} ({f.name_latin})",
                    "is_caregiver": f.is_caregiver, "is_legal_guardian": f.is_legal_guardian,
                    "phone": f.phone} for f in s.family]
        if s.estimated_age and s.age_assessed_on:
            ages.append({"child_id": child_id, "method": "interview",
                         "assessed_min_years": s.estimated_age[0],
                         "assessed_max_years": s.estimated_age[1],
                         "assessed_on": s.age_assessed_on, "assessor": "Demo caseworker",
                         "recorded_by_id": owner.supervisor.pk})
        opened = _opened(s.opened_at)
        counters[opened.year] += 1
        worker = owner.caseworkers[s.index % len(owner.caseworkers)] if s.index % 10 else None
        closed = s.status == Status.CLOSED
        requested = closed or s.status == "closure_requested"
        cases.append({
            "case_number": f"BW-{opened.year}-{counters[opened.year]:06d}",
            "child_id": child_id, "owning_agency_id": owner.agency.pk,
            "assigned_to_id": worker.pk if worker else None, "status": s.status,
            "risk_level": s.risk, "opened_at": opened,
            "first_assessment_due": first_assessment_due(s.risk, opened),
            "first_assessment_done_at": None if s.status in ("registration", "assessment")
            else opened + timedelta(days=2),
            "group_type": s.group_type, "association_mode": s.association_mode,
            "association_country": s.association_country, "victim_status": s.victim_status,
            "alleged_offence": s.alleged_offence,
            "closure_reason": "goals_met" if requested else "",
            "closure_requested_at": opened + timedelta(days=400) if requested else None,
            "closure_requested_by_id": worker.pk if worker and s.status == "closure_requested"
            else None,
            "closed_at": opened + timedelta(days=410) if closed else None,
            "closure_approved_by_id": owner.supervisor.pk if closed else None,
            "created_at": now, "updated_at": now})
    for model, rows in ((ChildName, names), (Alias, aliases), (NameKey, keys),
                        (Identifier, ids), (FamilyMember, family), (AgeAssessment, ages)):
        write.rows(model, rows)
    case_ids = write.rows_with_ids(Case, cases)
    write.rows(Task, [
        {"case_id": case_id, "source_key": "first_assessment",
         "title": "Complete the first assessment", "due_at": c["first_assessment_due"],
         "assigned_to_id": c["assigned_to_id"], "created_at": now}
        for c, case_id in zip(cases, case_ids, strict=True)
        if c["first_assessment_due"] and c["status"] in ("registration", "assessment")])


class _OrmWriter:
    """``bulk_create`` (SQLite and any other database)."""

    def rows(self, model: type[models.Model], rows: list[Row]) -> None:
        model.objects.bulk_create([model(**r) for r in rows], batch_size=5000)

    def rows_with_ids(self, model: type[models.Model], rows: list[Row]) -> list[int]:
        objs = model.objects.bulk_create([model(**r) for r in rows], batch_size=5000)
        return [o.pk for o in objs]


class _CopyWriter:
    """PostgreSQL ``COPY`` through psycopg: rows go to the server as one stream per table,
    without a model instance per row (model instances were most of the time spent)."""

    def rows_with_ids(self, model: type[models.Model], rows: list[Row]) -> list[int]:
        """Reserve ids from the table's own sequence, so that rows written by ``COPY`` can
        refer to each other and later inserts by the application never collide."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                           "FROM generate_series(1, %s)", [model._meta.db_table, len(rows)])
            pks = [row[0] for row in cursor.fetchall()]
        self.rows(model, [{"id": pk, **r} for pk, r in zip(pks, rows, strict=True)])
        return pks

    def rows(self, model: type[models.Model], rows: list[Row]) -> None:
        if not rows:
            return
        given = set(rows[0])
        fields = [f for f in model._meta.concrete_fields
                  if f.attname in given or not f.primary_key]
        json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
        # Columns the mapping leaves out take the model's default (the database has none).
        plan: list[tuple[str, Any]] = []
        for f in fields:
            if isinstance(f, EncryptedTextField) and f.attname in given:
                # COPY bypasses the field, so encrypt here as the field would.
                plan.append(("encrypt", (f.attname, f.get_prep_value)))
            elif f.attname in given:
                plan.append(("json" if f.attname in json_fields else "row", f.attname))
            elif callable(f.default):
                plan.append(("call", f.get_default))
            else:
                plan.append(("fixed", f.get_default()))
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor, \
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as out:
            for r in rows:
                out.write_row([r[x] if how == "row" else json.dumps(r[x]) if how == "json"
                               else x[1](r[x[0]]) if how == "encrypt"
                               else x() if how == "call" else x for how, x in plan])
