"""Four eyes on a case's closure through the closure form: a supervisor who requested the
case's closure does not close it by approving a closure form a caseworker wrote and sent —
through the service, the web page or the API. The refusal is clear, changes nothing
(record, approval, case, timeline) and is audited as ``refused``; another supervisor
approves, and the case records two different people as requester and approver."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from bridgeway.accounts.models import User
from bridgeway.audit.models import AuditEntry
from bridgeway.care.models import Approval
from bridgeway.care.services import approval_decide
from bridgeway.cases.models import Case, CaseEvent
from bridgeway.cases.services import (
    OWN_CLOSURE_REQUEST_FORM,
    case_close_on_approved_record,
    case_request_closure,
)
from bridgeway.core.errors import DomainError, NotAllowed
from bridgeway.forms.models import FormRecord
from tests.api.conftest import client_with_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def requested_then_form(fill: Any, case: Any, people: Any) -> FormRecord:
    """The supervisor requested the case's closure; then the caseworker wrote the closure
    form, which waits for a supervisor's approval."""
    case_request_closure(actor=people.supervisor, case_id=case.pk, reason="goals_met")
    return fill("bw_case_closure", case)


def _state(record: Any) -> tuple[Any, ...]:
    fresh = FormRecord.objects.get(pk=record.pk)
    case = Case.objects.get(pk=record.case_id)
    return (fresh.status, fresh.version,
            list(Approval.objects.filter(care_record__record=record)
                 .values_list("decision", "decided_by")),
            case.status, case.version, case.closed_at, case.closure_requested_by_id,
            case.closure_approved_by_id, case.closure_reason,
            CaseEvent.objects.filter(case_id=record.case_id).count(),
            AuditEntry.objects.filter(case_id=record.case_id).exclude(action="refused")
            .count())


def _refusal(record: Any) -> AuditEntry:
    return AuditEntry.objects.filter(action="refused", object_type="form_record",
                                     object_id=str(record.pk)).latest("seq")


def test_the_requester_of_the_closure_does_not_approve_the_closure_form(
        requested_then_form: Any, people: Any, second_supervisor: User) -> None:
    record = requested_then_form
    before = _state(record)
    with pytest.raises(NotAllowed) as exc:
        approval_decide(actor=people.supervisor, record_id=record.pk, approve=True)
    assert exc.value.message == OWN_CLOSURE_REQUEST_FORM
    assert _state(record) == before
    assert Case.objects.get(pk=record.case_id).status == "closure_requested"
    entry = _refusal(record)
    assert (entry.actor, entry.case_id) == (people.supervisor, record.case_id)
    assert entry.detail == {"attempted": "approve", "rule": "four_eyes",
                            "purpose": "closure", "own": "closure_request",
                            "approval_id": Approval.objects.get(
                                care_record__record=record).pk}

    approval_decide(actor=second_supervisor, record_id=record.pk, approve=True)
    closed = Case.objects.get(pk=record.case_id)
    assert (closed.status, closed.closure_requested_by, closed.closure_approved_by) == (
        "closed", people.supervisor, second_supervisor)


def test_the_requester_may_still_return_the_closure_form(requested_then_form: Any,
                                                         people: Any) -> None:
    """Returning the form closes nothing: the rule is on who closes the case."""
    approval_decide(actor=people.supervisor, record_id=requested_then_form.pk,
                    approve=False, comment="The aftercare plan is missing.")
    assert FormRecord.objects.get(pk=requested_then_form.pk).status == "returned"
    assert Case.objects.get(pk=requested_then_form.case_id).status == "closure_requested"
    assert not AuditEntry.objects.filter(action="refused").exists()


def test_a_closure_requested_by_the_caseworker_is_closed_by_the_supervisors_approval(
        fill: Any, case: Any, people: Any) -> None:
    case_request_closure(actor=people.caseworker, case_id=case.pk, reason="goals_met")
    record = fill("bw_case_closure", case)
    approval_decide(actor=people.supervisor, record_id=record.pk, approve=True)
    closed = Case.objects.get(pk=case.pk)
    assert (closed.status, closed.closure_requested_by, closed.closure_approved_by) == (
        "closed", people.caseworker, people.supervisor)
    assert not AuditEntry.objects.filter(action="refused").exists()


def test_web_approval_of_the_closure_form_by_the_requester_is_refused(
        requested_then_form: Any, people: Any) -> None:
    record = requested_then_form
    before = _state(record)
    client = Client()
    client.force_login(people.supervisor)
    response = client.post(f"/care/records/{record.pk}/decision/",
                           {"decision": "approve", "version": str(record.version)})
    assert response.status_code == 403
    assert "another supervisor approves the closure form" in response.content.decode()
    assert _state(record) == before
    assert _refusal(record).channel == "web"


def test_api_approval_of_the_closure_form_by_the_requester_is_refused(
        requested_then_form: Any, people: Any) -> None:
    record = requested_then_form
    before = _state(record)
    response = client_with_token(people.supervisor).post(
        f"/api/v1/care/assessments/{record.pk}/decision/", {"decision": "approve"},
        format="json")
    assert response.status_code == 403
    assert "another supervisor approves the closure form" in response.content.decode()
    assert _state(record) == before
    assert _refusal(record).channel == "api"


def test_the_case_service_itself_never_closes_with_requester_as_approver(
        requested_then_form: Any, case: Any, people: Any) -> None:
    """The rule holds in ``case_close_on_approved_record`` too, whoever calls it: the
    approver neither requested the waiting closure nor is recorded as the requester."""
    before = _state(requested_then_form)
    with pytest.raises(NotAllowed, match="another supervisor"), transaction.atomic():
        case_close_on_approved_record(actor=people.supervisor, case_id=case.pk,
                                      reason="goals_met", requested_by=people.caseworker,
                                      record_id=requested_then_form.pk)
    assert _state(requested_then_form) == before


@pytest.mark.parametrize("requester", ["approver", "nobody"])
def test_the_form_path_needs_a_requester_other_than_the_approver(
        fill: Any, case: Any, people: Any, requester: str) -> None:
    record = fill("bw_case_closure", case)
    before = _state(record)
    with pytest.raises(DomainError) as exc, transaction.atomic():
        case_close_on_approved_record(
            actor=people.supervisor, case_id=case.pk, reason="goals_met",
            requested_by=people.supervisor if requester == "approver" else None,
            record_id=record.pk)
    if requester == "approver":
        assert type(exc.value) is NotAllowed
        assert exc.value.message == OWN_CLOSURE_REQUEST_FORM
    else:
        assert type(exc.value) is DomainError
        assert "sent for approval" in exc.value.message
    assert _state(record) == before
