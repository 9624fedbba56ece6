"""Four eyes on approvals: a supervisor never decides on a decision record (plan,
best-interests determination, closure form) they wrote, last changed or sent for approval,
nor on a case closure they requested — through the service, the web page or the API. The
refusal is clear, changes nothing, and is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bridgeway.accounts.models import User
from bridgeway.audit.models import AuditEntry
from bridgeway.care.models import Approval
from bridgeway.care.services import OWN_RECORD, approval_decide, approval_request
from bridgeway.cases.models import Case, CaseEvent
from bridgeway.cases.services import (
    OWN_CLOSURE_REQUEST,
    case_decide_closure,
    case_request_closure,
)
from bridgeway.core.errors import NotAllowed
from bridgeway.forms.models import FormRecord
from tests.api.conftest import client_with_token

pytestmark = pytest.mark.django_db


def _record_state(record: Any) -> tuple[str, int, list[str], int]:
    fresh = FormRecord.objects.get(pk=record.pk)
    return (fresh.status, fresh.version,
            list(Approval.objects.filter(care_record__record=record)
                 .order_by("requested_at", "id").values_list("decision", flat=True)),
            CaseEvent.objects.filter(case_id=record.case_id).count())


def _case_state(case: Any) -> tuple[str, int, Any, int]:
    fresh = Case.objects.get(pk=case.pk)
    return (fresh.status, fresh.version, fresh.closed_at,
            CaseEvent.objects.filter(case=case).count())


def _refusal(kind: str, object_id: Any) -> AuditEntry:
    return AuditEntry.objects.filter(action="refused", object_type=kind,
                                     object_id=str(object_id)).latest("seq")


# --- decision records (care) ---------------------------------------------------------------

@pytest.mark.parametrize("form_id", ["bw_bid_panel", "bw_case_closure"])
@pytest.mark.parametrize("approve", [True, False])
def test_the_author_of_a_decision_record_does_not_decide_it(fill: Any, case: Any,
                                                            people: Any, form_id: str,
                                                            approve: bool) -> None:
    record = fill(form_id, case, actor=people.supervisor)
    before = _record_state(record)
    with pytest.raises(NotAllowed) as exc:
        approval_decide(actor=people.supervisor, record_id=record.pk, approve=approve,
                        comment="" if approve else "Change it.")
    assert exc.value.message == OWN_RECORD
    assert _record_state(record) == before
    assert Case.objects.get(pk=case.pk).status != "closed"
    entry = _refusal("form_record", record.pk)
    assert (entry.actor, entry.case_id) == (people.supervisor, case.pk)
    assert entry.detail["rule"] == "four_eyes"
    assert entry.detail["attempted"] == ("approve" if approve else "return")


def test_the_supervisor_who_sent_a_plan_for_approval_does_not_approve_it(
        fill: Any, case: Any, people: Any, second_supervisor: User) -> None:
    """A plan the caseworker wrote before the psychosocial assessment waits; the supervisor
    who sends it for approval is then the requester, and another supervisor decides."""
    plan = fill("bw_reintegration_plan", case)
    fill("bw_psychosocial_assessment", case)
    approval_request(actor=people.supervisor, record_id=plan.pk, note="Assessment done.")
    before = _record_state(plan)
    with pytest.raises(NotAllowed, match="sent it for approval"):
        approval_decide(actor=people.supervisor, record_id=plan.pk, approve=True)
    assert _record_state(plan) == before
    assert _refusal("form_record", plan.pk).detail["purpose"] == "reintegration_plan"
    approval = approval_decide(actor=second_supervisor, record_id=plan.pk, approve=True)
    assert approval.decided_by == second_supervisor
    assert FormRecord.objects.get(pk=plan.pk).status == "approved"


def test_web_decision_on_ones_own_record_is_refused(fill: Any, case: Any, people: Any
                                                   ) -> None:
    bid = fill("bw_bid_panel", case, actor=people.supervisor)
    before = _record_state(bid)
    client = Client()
    client.force_login(people.supervisor)
    response = client.post(f"/care/records/{bid.pk}/decision/",
                           {"decision": "approve", "version": "1"})
    assert response.status_code == 403
    assert "another supervisor" in response.content.decode()
    assert _record_state(bid) == before
    assert _refusal("form_record", bid.pk).channel == "web"


def test_api_decision_on_ones_own_record_is_refused(fill: Any, case: Any, people: Any
                                                   ) -> None:
    closure = fill("bw_case_closure", case, actor=people.supervisor)
    before = _record_state(closure)
    response = client_with_token(people.supervisor).post(
        f"/api/v1/care/assessments/{closure.pk}/decision/", {"decision": "approve"},
        format="json")
    assert response.status_code == 403
    assert "another supervisor" in response.content.decode()
    assert _record_state(closure) == before
    assert Case.objects.get(pk=case.pk).status != "closed"
    assert _refusal("form_record", closure.pk).channel == "api"


# --- case closure requests (cases) ---------------------------------------------------------

@pytest.mark.parametrize("approve", [True, False])
def test_a_supervisor_does_not_decide_their_own_closure_request(
        case: Any, people: Any, second_supervisor: User, approve: bool) -> None:
    case_request_closure(actor=people.supervisor, case_id=case.pk, reason="goals_met")
    before = _case_state(case)
    with pytest.raises(NotAllowed) as exc:
        case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=approve,
                            comment="" if approve else "Not yet.")
    assert exc.value.message == OWN_CLOSURE_REQUEST
    assert _case_state(case) == before
    entry = _refusal("case", case.case_number)
    assert (entry.actor, entry.case_id, entry.detail) == (
        people.supervisor, case.pk,
        {"attempted": "close_approve" if approve else "close_reject", "rule": "four_eyes"})
    decided = case_decide_closure(actor=second_supervisor, case_id=case.pk, approve=approve,
                                  comment="" if approve else "Not yet.")
    assert decided.status == ("closed" if approve else "follow_up")


def test_web_decision_on_ones_own_closure_request_is_refused(case: Any, people: Any) -> None:
    case_request_closure(actor=people.supervisor, case_id=case.pk, reason="goals_met")
    before = _case_state(case)
    client = Client()
    client.force_login(people.supervisor)
    response = client.post(f"/cases/{case.pk}/closure/decide/", {"decision": "approve"})
    assert response.status_code == 403
    assert "another supervisor" in response.content.decode()
    assert _case_state(case) == before
    assert _refusal("case", case.case_number).channel == "web"


def test_api_decision_on_ones_own_closure_request_is_refused(case: Any, people: Any) -> None:
    case_request_closure(actor=people.supervisor, case_id=case.pk, reason="goals_met")
    before = _case_state(case)
    response = client_with_token(people.supervisor).post(
        f"/api/v1/cases/{case.pk}/closure/decision/", {"decision": "approve"}, format="json")
    assert response.status_code == 403
    assert "another supervisor" in response.content.decode()
    assert _case_state(case) == before
    assert _refusal("case", case.case_number).channel == "api"


def test_a_closure_requested_by_a_caseworker_is_decided_by_the_supervisor(
        case: Any, people: Any) -> None:
    case_request_closure(actor=people.caseworker, case_id=case.pk, reason="goals_met")
    assert case_decide_closure(actor=people.supervisor, case_id=case.pk,
                               approve=True).status == "closed"
    assert not AuditEntry.objects.filter(action="refused").exists()
