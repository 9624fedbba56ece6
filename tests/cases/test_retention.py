"""Case-record retention: anonymise or delete closed cases past their retention date
(issue 5 item 6)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.cases import retention as case_retention
from bridgeway.cases.models import Case, CaseEvent, CaseNote, Task
from bridgeway.justice import models as jm
from bridgeway.justice.retention import run_retention
from bridgeway.referrals.models import BreakGlass
from bridgeway.registry import models as reg
from tests.conftest import child_payload

MARK = "zqxmark"  # lower case: survives the name-search normalisation
CLOSED = datetime(2020, 3, 10, 9, 30, tzinfo=UTC)
AFTER = datetime(2030, 3, 11, 9, 30, tzinfo=UTC)  # 10 years + 1 day
BEFORE = datetime(2030, 3, 9, 9, 30, tzinfo=UTC)  # 10 years - 1 day


def marked_payload(tag: str) -> dict[str, Any]:
    return child_payload(
        names=[{"kind": "given", "value": f"{MARK}{tag}given"},
               {"kind": "family", "value": f"{MARK}{tag}family"}],
        aliases=[{"alias_type": "nickname", "value": f"{MARK}{tag}alias"}],
        identifiers=[{"id_type": "passport", "value": f"{MARK}{tag}ID77"}],
        family=[{"relationship": "mother", "name": f"{MARK}{tag}mother", "is_caregiver": True,
                 "is_legal_guardian": True, "phone": "+62 812 000 0000",
                 "address": f"{MARK}{tag}address"}],
        place_of_birth=f"{MARK}{tag}place")


def closed_marked_case(people: Any, register: Any, tag: str = "a",
                       closed_at: datetime = CLOSED) -> Case:
    from bridgeway.cases.services import (
        case_add_note,
        case_decide_closure,
        case_request_closure,
    )

    case = register(child=marked_payload(tag))
    case_add_note(actor=people.caseworker, case_id=case.pk, body=f"{MARK}{tag} note")
    Case.objects.filter(pk=case.pk).update(
        association_place=f"{MARK}{tag}camp", alleged_offence=f"{MARK}{tag}offence",
        victim_recognized_by=f"{MARK}{tag}court", association_from=date(2017, 5, 6))
    case_request_closure(actor=people.caseworker, case_id=case.pk, reason="other",
                         note=f"{MARK}{tag} closure note")
    case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=True)
    Case.objects.filter(pk=case.pk).update(closed_at=closed_at)
    BreakGlass.objects.create(user=people.health_worker, case=case,
                              agency=people.agency_health, owning_agency=people.agency_a,
                              reason=f"{MARK}{tag} emergency", started_at=closed_at,
                              expires_at=closed_at)
    return Case.objects.get(pk=case.pk)


def marker_hits(child_id: int, case_id: int) -> list[str]:
    """Every place (table.field) where the marker still appears for this child/case,
    read through the ORM (so encrypted fields are read decrypted)."""
    sources: list[tuple[str, Any]] = [
        ("child", reg.Child.objects.filter(pk=child_id)),
        ("names", reg.ChildName.objects.filter(child_id=child_id)),
        ("aliases", reg.Alias.objects.filter(child_id=child_id)),
        ("namekeys", reg.NameKey.objects.filter(child_id=child_id)),
        ("identifiers", reg.Identifier.objects.filter(child_id=child_id)),
        ("family", reg.FamilyMember.objects.filter(child_id=child_id)),
        ("ages", reg.AgeAssessment.objects.filter(child_id=child_id)),
        ("case", Case.objects.filter(pk=case_id)),
        ("notes", CaseNote.objects.filter(case_id=case_id)),
        ("events", CaseEvent.objects.filter(case_id=case_id)),
        ("tasks", Task.objects.filter(case_id=case_id)),
        ("justice_events", jm.JusticeEvent.objects.filter(case_id=case_id)),
        ("break_glass", BreakGlass.objects.filter(case_id=case_id)),
    ]
    hits = []
    for label, qs in sources:
        for row in qs:
            for f in row._meta.concrete_fields:
                if MARK in str(getattr(row, f.attname, "")).lower():
                    hits.append(f"{label}.{f.name}")
    return hits


@pytest.mark.django_db
def test_planted_markers_are_there_before(people, register):
    case = closed_marked_case(people, register)
    hits = marker_hits(case.child_id, case.pk)
    for expected in ("names.value", "aliases.value", "identifiers.value", "family.name",
                     "notes.body", "case.association_place", "case.closure_note",
                     "child.display_name", "child.place_of_birth", "break_glass.reason"):
        assert expected in hits


@pytest.mark.django_db
def test_retention_boundary_one_day_before_and_after(people, register):
    case = closed_marked_case(people, register)
    assert case_retention.plan_cases(now=BEFORE) == []
    assert [p.case_id for p in case_retention.plan_cases(now=AFTER)] == [case.pk]


@pytest.mark.django_db
def test_anonymise_removes_every_marker_and_keeps_statistics(people, register):
    case = closed_marked_case(people, register)
    child_before = reg.Child.objects.get(pk=case.child_id)
    result = run_retention(now=AFTER)
    assert result["counts"]["anonymise"] == 1

    assert marker_hits(case.child_id, case.pk) == []
    child = reg.Child.objects.get(pk=case.child_id)
    assert child.sex == child_before.sex and child.nationalities == ["ID"]
    assert child.date_of_birth == date(child_before.youngest_birth_date.year, 1, 1)
    assert child.display_name == ""
    after = Case.objects.get(pk=case.pk)
    assert after.status == "closed" and after.risk_level == case.risk_level
    assert after.victim_status == case.victim_status
    assert after.closed_at == datetime(2020, 1, 1, tzinfo=UTC)
    assert after.association_from == date(2017, 1, 1)
    assert after.assigned_to is None

    entry = AuditEntry.objects.get(object_type="case_retention")
    assert entry.detail["retention"] == "anonymise"
    assert entry.detail["removed"]["names"] == 2 and entry.detail["removed"]["case_notes"] == 1
    assert MARK not in str(entry.detail).lower() and MARK not in entry.reason.lower()
    assert jm.RetentionAction.objects.filter(case_id=case.pk, action="anonymise").exists()


@pytest.mark.django_db
def test_anonymise_is_idempotent(people, register):
    case = closed_marked_case(people, register)
    run_retention(now=AFTER)
    n_audit = AuditEntry.objects.filter(case_id=case.pk).count()
    snapshot = list(Case.objects.filter(pk=case.pk).values())
    again = run_retention(now=AFTER)
    assert again["counts"]["anonymise"] == 0
    assert AuditEntry.objects.filter(case_id=case.pk).count() == n_audit
    assert list(Case.objects.filter(pk=case.pk).values()) == snapshot
    assert case_retention.plan_cases(now=AFTER) == []


@pytest.mark.django_db
def test_child_with_another_kept_case_keeps_its_identity(people, register):
    old = closed_marked_case(people, register)
    # Agency B still has an open case for the same child.
    from bridgeway.cases.services import CaseFields, case_open

    case_open(actor=people.outsider, child=old.child, fields=CaseFields(),
              opened_at=CLOSED)
    run_retention(now=AFTER)
    hits = marker_hits(old.child_id, old.pk)
    assert "names.value" in hits  # the open case still needs the child's identity
    assert not any(h.startswith(("case.", "notes.")) for h in hits)


@pytest.mark.django_db
def test_delete_policy_removes_case_and_child(people, register, settings):
    settings.BRIDGEWAY_CASE_RETENTION_POLICY = "delete"
    case = closed_marked_case(people, register)
    result = run_retention(now=AFTER)
    assert result["counts"]["delete"] == 1
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not reg.Child.objects.filter(pk=case.child_id).exists()
    assert not reg.ChildName.objects.filter(child_id=case.child_id).exists()
    entry = AuditEntry.objects.get(object_type="case_retention")
    assert entry.action == "delete" and entry.detail["removed"]["cases"] == 1
    assert MARK not in str(entry.detail).lower()
    assert run_retention(now=AFTER)["counts"]["delete"] == 0


@pytest.mark.django_db
def test_dry_run_changes_nothing(people, register):
    case = closed_marked_case(people, register)
    hits = marker_hits(case.child_id, case.pk)
    n_audit = AuditEntry.objects.count()
    result = run_retention(dry_run=True, now=AFTER)
    assert [(p["case_number"], p["action"]) for p in result["planned"]] == [
        (case.case_number, "anonymise")]
    assert marker_hits(case.child_id, case.pk) == hits
    assert AuditEntry.objects.count() == n_audit
    assert not jm.RetentionAction.objects.exists()


@pytest.mark.django_db
def test_delete_policy_keeps_a_child_with_another_case(people, register, settings):
    from bridgeway.audit.services import audit_verify
    from bridgeway.cases.services import CaseFields, case_open

    settings.BRIDGEWAY_CASE_RETENTION_POLICY = "delete"
    case = closed_marked_case(people, register)
    other = case_open(actor=people.outsider, child=case.child, fields=CaseFields(),
                      opened_at=CLOSED)
    run_retention(now=AFTER)
    assert not Case.objects.filter(pk=case.pk).exists()
    assert Case.objects.filter(pk=other.pk).exists()
    assert reg.ChildName.objects.filter(child_id=case.child_id).count() == 2
    assert audit_verify(record=False).ok


@pytest.mark.django_db
def test_anonymisation_killed_midway_then_rerun_finishes(people, register, monkeypatch):
    cases = [closed_marked_case(people, register, tag=t) for t in ("a", "b", "c")]
    real = case_retention.anonymise_rows
    calls = {"n": 0}

    def dies_on_second(case: Any) -> dict[str, int]:
        calls["n"] += 1
        removed = real(case)
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed")
        return removed

    monkeypatch.setattr(case_retention, "anonymise_rows", dies_on_second)
    with pytest.raises(KeyboardInterrupt):
        run_retention(now=AFTER)
    assert marker_hits(cases[0].child_id, cases[0].pk) == []
    untouched = marker_hits(cases[1].child_id, cases[1].pk)
    assert "names.value" in untouched and "notes.body" in untouched
    monkeypatch.setattr(case_retention, "anonymise_rows", real)
    run_retention(now=AFTER)
    assert all(marker_hits(c.child_id, c.pk) == [] for c in cases)
    assert jm.RetentionAction.objects.filter(action="anonymise").count() == 3
