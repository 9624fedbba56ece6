from __future__ import annotations

import pytest
from django.utils import timezone

from bridgeway.audit.models import AuditEntry
from bridgeway.cases import services
from bridgeway.cases.models import Case, CaseEvent, Status, TaskStatus
from bridgeway.cases.tasks import case_derive_tasks
from bridgeway.core.errors import Conflict, DomainError, NotAllowed, ValidationFailed

pytestmark = pytest.mark.django_db


def test_first_assessment_deadline_follows_risk(people, register, settings):
    case = register(case={"risk_level": "high"})
    assert case.first_assessment_due - case.opened_at == timezone.timedelta(hours=24)
    low = register(actor=people.outsider, case={"risk_level": "low"})
    assert low.first_assessment_due - low.opened_at == timezone.timedelta(days=7)


def test_risk_change_moves_deadline_and_task(people, register):
    case = register(case={"risk_level": "low"})
    case = services.case_update(actor=people.caseworker, case_id=case.pk, expected_version=1,
                                data={"risk_level": "high"})
    task = case.tasks.get(source_key="first_assessment")
    assert task.due_at == case.first_assessment_due
    assert case.first_assessment_due - case.opened_at == timezone.timedelta(hours=24)


def test_stale_version_is_a_conflict_and_changes_nothing(people, register):
    case = register()
    services.case_update(actor=people.caseworker, case_id=case.pk, expected_version=1,
                         data={"association_place": "first"})
    with pytest.raises(Conflict) as exc:
        services.case_update(actor=people.supervisor, case_id=case.pk, expected_version=1,
                             data={"association_place": "second"})
    assert exc.value.current_version == 2
    assert Case.objects.get(pk=case.pk).association_place == "first"


def test_victim_status_and_alleged_offence_coexist(people, register):
    case = register(case={"victim_status": "recognized", "alleged_offence": "theft"})
    case = services.case_update(actor=people.caseworker, case_id=case.pk, expected_version=1,
                                data={"alleged_offence": "membership offence alleged"})
    assert case.victim_status == "recognized"
    assert case.alleged_offence == "membership offence alleged"


def test_update_rejects_unknown_fields(people, register):
    case = register()
    with pytest.raises(ValidationFailed) as exc:
        services.case_update(actor=people.caseworker, case_id=case.pk, expected_version=1,
                             data={"owning_agency": 5})
    assert "owning_agency" in exc.value.errors


def test_moving_past_assessment_completes_first_assessment_task(people, register):
    case = register()
    case = services.case_set_status(actor=people.caseworker, case_id=case.pk,
                                    expected_version=1, status=Status.PLANNING)
    assert case.first_assessment_done_at is not None
    assert case.tasks.get(source_key="first_assessment").status == TaskStatus.DONE


def test_closure_needs_supervisor_approval(people, register):
    case = register()
    case = services.case_request_closure(actor=people.caseworker, case_id=case.pk,
                                         reason="goals_met", note="")
    assert case.status == Status.CLOSURE_REQUESTED
    with pytest.raises(NotAllowed):
        services.case_decide_closure(actor=people.caseworker, case_id=case.pk, approve=True)
    case = services.case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=True)
    assert case.status == Status.CLOSED and case.closure_approved_by == people.supervisor
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert "closure_requested" in kinds and "closure_approved" in kinds


def test_returned_closure_needs_a_reason_and_goes_back_to_follow_up(people, register):
    case = register()
    services.case_request_closure(actor=people.caseworker, case_id=case.pk, reason="moved")
    with pytest.raises(ValidationFailed):
        services.case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=False)
    case = services.case_decide_closure(actor=people.supervisor, case_id=case.pk,
                                        approve=False, comment="Plan review first")
    assert case.status == Status.FOLLOW_UP


def test_closure_other_reason_needs_explanation(people, register):
    case = register()
    with pytest.raises(ValidationFailed):
        services.case_request_closure(actor=people.caseworker, case_id=case.pk,
                                      reason="other", note="")
    assert Case.objects.get(pk=case.pk).status == Status.REGISTRATION


def test_reopen(people, register):
    case = register()
    services.case_request_closure(actor=people.caseworker, case_id=case.pk, reason="moved")
    services.case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=True)
    with pytest.raises(NotAllowed):
        services.case_reopen(actor=people.caseworker, case_id=case.pk, reason="back")
    with pytest.raises(ValidationFailed):
        services.case_reopen(actor=people.supervisor, case_id=case.pk, reason="")
    case = services.case_reopen(actor=people.supervisor, case_id=case.pk,
                                reason="Child returned to the district")
    assert case.status == Status.FOLLOW_UP
    with pytest.raises(DomainError):
        services.case_reopen(actor=people.supervisor, case_id=case.pk, reason="again")


def test_assign_only_within_agency(people, register):
    case = register()
    with pytest.raises(ValidationFailed):
        services.case_assign(actor=people.supervisor, case_id=case.pk,
                             user_id=people.outsider.pk)
    case = services.case_assign(actor=people.supervisor, case_id=case.pk,
                                user_id=people.other_caseworker.pk)
    assert case.assigned_to == people.other_caseworker
    assert AuditEntry.objects.filter(action="assign", case_id=case.pk).exists()


def test_notes_are_validated_and_audited(people, register):
    case = register()
    with pytest.raises(ValidationFailed):
        services.case_add_note(actor=people.caseworker, case_id=case.pk, body="  ")
    with pytest.raises(ValidationFailed):
        services.case_add_note(actor=people.caseworker, case_id=case.pk, body="x" * 20000)
    note = services.case_add_note(actor=people.caseworker, case_id=case.pk, body="Visited")
    assert AuditEntry.objects.filter(action="note", object_id=str(note.pk)).exists()


def test_task_derivation_is_idempotent(people, register):
    case = register()
    before = list(case.tasks.values_list("pk", "due_at", "status"))
    case_derive_tasks(case)
    case_derive_tasks(case)
    assert list(case.tasks.values_list("pk", "due_at", "status")) == before
