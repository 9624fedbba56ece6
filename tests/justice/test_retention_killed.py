"""The retention job killed for real (PostgreSQL): ``manage.py retention_run`` runs in its
own process and is SIGKILLed inside a case's transaction, after that case's rows were
deleted and before the commit (``BRIDGEWAY_TEST_DIE_AFTER``, core/kill_points.py). Every
case is then either finished (its rows gone, its marker and audit entry written) or
untouched; nothing is half-deleted, every encrypted value still decrypts, and a rerun
finishes the work.

Its own module, without a module-level ``django_db`` mark: ``flushable_audit_on_postgresql``
must be set up before the transactional database (see tests/conftest.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.audit.services import audit_verify
from bridgeway.cases.models import Case, CaseNote
from bridgeway.core import crypto
from bridgeway.justice import models as m
from bridgeway.justice import retention
from bridgeway.registry import models as reg
from tests.justice.test_retention import close, rule_set, with_justice_record
from tests.process_support import KILLED, describe, run_command

CLOSED_AT = datetime(2001, 1, 1, tzinfo=UTC)  # long past sealing, expungement, retention


def read_every_encrypted_value() -> dict[tuple[str, Any], tuple[Any, ...]]:
    """Every encrypted column of every row, decrypted (raises if one cannot be), by
    (model, primary key)."""
    out = {}
    for model, fields in crypto.encrypted_models():
        for pk, *values in model._base_manager.values_list("pk", *(f.name for f in fields)):
            out[(model._meta.label, pk)] = tuple(values)
    return out


def case_state(case: Case, full_justice: int) -> tuple[str, str]:
    """(justice, case record) of one case: each "done" or "untouched"; anything in
    between fails the test."""
    rows = sum(retention.justice_row_counts(case.pk).values())
    expunged = m.RetentionAction.objects.filter(case_id=case.pk, action="expunge").exists()
    anonymised = m.RetentionAction.objects.filter(case_id=case.pk, action="anonymise").exists()
    if rows == 0:
        # expunged on its own, or with the anonymisation (which expunges too)
        assert expunged or anonymised, f"{case.case_number}: rows gone without a marker"
        justice = "done"
    else:
        assert rows == full_justice and not expunged, f"{case.case_number}: half expunged"
        justice = "untouched"
    fresh = Case.objects.get(pk=case.pk)
    notes = CaseNote.objects.filter(case_id=case.pk).count()
    names = reg.ChildName.objects.filter(child_id=case.child_id).count()
    if anonymised:
        assert (notes, names, fresh.association_place) == (0, 0, ""), case.case_number
        return justice, "done"
    assert (notes, names) == (1, 2), f"{case.case_number}: half anonymised"
    assert fresh.association_place == f"place {case.pk}"
    return justice, "untouched"


@pytest.fixture
def due_cases(people: Any, register: Any, jakarta: Any) -> list[Case]:
    """Three closed cases long past every period, each with a justice record, a note and
    encrypted values; and an open case whose values must come through untouched."""
    from bridgeway.cases.services import case_add_note

    rule_set(people, "ID", sealing=3, expungement=8)
    cases = []
    for i in range(3):
        case = register(names=[{"kind": "given", "value": f"Kept{i}"},
                               {"kind": "family", "value": "Rahman"}])
        Case.objects.filter(pk=case.pk).update(association_place=f"place {case.pk}")
        case_add_note(actor=people.caseworker, case_id=case.pk, body=f"note {i}")
        cases.append(close(people, with_justice_record(people, case, jakarta), CLOSED_AT))
    open_case = register(case={"risk_level": "high", "association_place": "open place"})
    case_add_note(actor=people.caseworker, case_id=open_case.pk, body="open note")
    return cases


@pytest.mark.postgres
@pytest.mark.parametrize("die_after", [1, 4], ids=["during-expungement",
                                                   "during-anonymisation"])
def test_retention_run_killed_midway_then_rerun_finishes(
        flushable_audit_on_postgresql, transactional_db, people, due_cases, die_after):
    full = {c.pk: sum(retention.justice_row_counts(c.pk).values()) for c in due_cases}
    assert all(full.values())
    planned = [(p.action, p.case_id) for p in retention.plan()]
    assert [a for a, _ in planned] == ["expunge"] * 3 + ["anonymise"] * 3
    before = read_every_encrypted_value()
    due = {c.pk for c in due_cases}
    not_due = {("cases.CaseNote", pk) for pk in CaseNote.objects.exclude(case_id__in=due)
               .values_list("pk", flat=True)}
    not_due |= {("cases.Case", pk) for pk in Case.objects.exclude(pk__in=due)
                .values_list("pk", flat=True)}
    assert len(not_due) == 2

    killed = run_command("retention_run", env={"BRIDGEWAY_TEST_DIE_AFTER": str(die_after)})
    assert killed.returncode == KILLED, describe(killed)

    states = {c.pk: case_state(c, full[c.pk]) for c in due_cases}
    done_units = sum(s == "done" for pair in states.values() for s in pair)
    # The units before the kill are committed; the one being killed left nothing behind.
    assert m.RetentionAction.objects.count() == die_after
    if die_after == 1:
        assert list(states.values()) == [("done", "untouched"), ("untouched", "untouched"),
                                         ("untouched", "untouched")]
    else:
        assert list(states.values()) == [("done", "done"), ("done", "untouched"),
                                         ("done", "untouched")]
    assert done_units >= die_after
    run = m.RetentionRun.objects.get()
    assert run.finished_at is None  # the killed run never got to the end
    assert audit_verify(record=False).ok
    read_every_encrypted_value()  # raises if any value cannot be decrypted

    rerun = run_command("retention_run")
    assert rerun.returncode == 0, describe(rerun)
    assert "retention run #" in rerun.stdout
    assert all(case_state(c, full[c.pk]) == ("done", "done") for c in due_cases)
    assert m.RetentionAction.objects.filter(action="anonymise").count() == 3
    assert m.RetentionAction.objects.filter(action="expunge").count() == 3
    assert AuditEntry.objects.filter(object_type="case_retention").count() == 3
    assert audit_verify(record=False).ok
    after = read_every_encrypted_value()
    # What was not due reads as before: the open case, its note, its child's identifier.
    assert all(after[k] == before[k] for k in not_due)
    assert any("open place" in v for v in after.values())
    assert retention.plan() == []

    again = run_command("retention_run")
    assert again.returncode == 0, describe(again)
    assert m.RetentionAction.objects.count() == 6
