"""Supervisor approval of plans, best-interests determinations and closures: who may
decide, never on one's own record, and never without the child's views."""

from __future__ import annotations

from typing import Any

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.care.models import Approval
from bridgeway.care.services import (
    CHILD_VIEWS_MISSING,
    CHILD_VIEWS_WEIGHT_MISSING,
    NO_CHILD_VIEWS_IN_FORM,
    PSYCHOSOCIAL_FIRST,
    approval_decide,
    approval_request,
)
from bridgeway.cases.models import CaseEvent
from bridgeway.core.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.forms.models import FormRecord
from bridgeway.forms.services import form_record_submit, form_record_update, form_version_upload
from tests.care.conftest import bid_values, closure_values, heard
from tests.forms.odk_support import HEADER, make_xlsx, row, visit_settings

pytestmark = pytest.mark.django_db


def _state(record: Any) -> tuple[str, int, list[str]]:
    fresh = FormRecord.objects.get(pk=record.pk)
    return fresh.status, fresh.version, list(
        Approval.objects.filter(care_record__record=record).values_list("decision", flat=True))


def test_a_supervisor_approves(fill: Any, case: Any, people: Any) -> None:
    bid = fill("bw_bid_panel", case)
    approval = approval_decide(actor=people.supervisor, record_id=bid.pk, approve=True,
                               expected_version=1)
    assert (approval.decision, approval.decided_by, approval.record_version) == (
        "approved", people.supervisor, 1)
    assert _state(bid) == ("approved", 2, ["approved"])
    event = CaseEvent.objects.get(case=case, kind="approval_approved")
    assert event.params["record_id"] == bid.pk and event.actor == people.supervisor
    entry = AuditEntry.objects.get(action="status", object_type="form_record",
                                   object_id=str(bid.pk))
    assert entry.detail["decision"] == "approved" and entry.actor == people.supervisor
    # Approved records are not edited any more (the forms service refuses).
    with pytest.raises(NotAllowed):
        form_record_update(actor=people.caseworker, record_id=bid.pk, expected_version=2,
                           values=bid_values())


def test_only_supervisors_of_the_case_decide(fill: Any, case: Any, people: Any) -> None:
    bid = fill("bw_bid_panel", case)
    with pytest.raises(NotAllowed):
        approval_decide(actor=people.caseworker, record_id=bid.pk, approve=True)
    for outsider in (people.outsider_supervisor, people.outsider, people.analyst,
                     people.police_officer, people.health_worker, people.other_caseworker):
        with pytest.raises(NotFound):
            approval_decide(actor=outsider, record_id=bid.pk, approve=True)
    with pytest.raises(NotFound):
        approval_decide(actor=people.supervisor, record_id=10**9, approve=True)
    assert _state(bid) == ("submitted", 1, ["pending"])


def test_nobody_decides_on_their_own_record(fill: Any, case: Any, people: Any) -> None:
    bid = fill("bw_bid_panel", case, actor=people.supervisor)
    with pytest.raises(NotAllowed, match="another supervisor"):
        approval_decide(actor=people.supervisor, record_id=bid.pk, approve=True)
    assert _state(bid) == ("submitted", 1, ["pending"])


def test_returning_needs_a_comment_then_the_record_goes_back(fill: Any, case: Any,
                                                             people: Any) -> None:
    closure = fill("bw_case_closure", case)
    with pytest.raises(ValidationFailed) as caught:
        approval_decide(actor=people.supervisor, record_id=closure.pk, approve=False,
                        comment="  ")
    assert list(caught.value.errors) == ["comment"]
    assert _state(closure) == ("submitted", 1, ["pending"])

    approval_decide(actor=people.supervisor, record_id=closure.pk, approve=False,
                    comment="Say what support stays in place.")
    assert _state(closure) == ("returned", 2, ["returned"])
    # The comment stays on the approval; the timeline entry carries its id only.
    event = CaseEvent.objects.get(case=case, kind="approval_returned")
    assert "comment" not in event.params and event.comment == ""
    assert Approval.objects.get(pk=event.params["approval_id"]).comment == \
        "Say what support stays in place."
    with pytest.raises(DomainError, match="Nothing on this record waits"):
        approval_decide(actor=people.supervisor, record_id=closure.pk, approve=True)

    # The caseworker corrects it (it stays "returned") and sends it again.
    form_record_update(actor=people.caseworker, record_id=closure.pk, expected_version=2,
                       values={**closure_values(), "support_in_place": "Weekly visits."})
    assert _state(closure) == ("returned", 3, ["returned"])
    again = approval_request(actor=people.caseworker, record_id=closure.pk)
    assert again.requested_by == people.caseworker
    assert _state(closure) == ("submitted", 4, ["pending", "returned"])
    with pytest.raises(DomainError, match="already waiting"):
        approval_request(actor=people.caseworker, record_id=closure.pk)
    approval_decide(actor=people.supervisor, record_id=closure.pk, approve=True)
    assert _state(closure)[0] == "approved"
    # The approved closure closed the case: its caseworker may only read it now, and
    # nobody sends the approved record again.
    with pytest.raises(NotAllowed):
        approval_request(actor=people.caseworker, record_id=closure.pk)
    with pytest.raises(DomainError, match="already approved"):
        approval_request(actor=people.supervisor, record_id=closure.pk)


def test_a_stale_decision_is_a_conflict(fill: Any, case: Any, people: Any) -> None:
    bid = fill("bw_bid_panel", case)
    form_record_update(actor=people.caseworker, record_id=bid.pk, expected_version=1,
                       values={**bid_values(), "decision": "Kinship care, reviewed."})
    with pytest.raises(Conflict):
        approval_decide(actor=people.supervisor, record_id=bid.pk, approve=True,
                        expected_version=1)
    assert _state(bid) == ("submitted", 2, ["pending"])


def test_assessments_need_no_approval(fill: Any, case: Any, people: Any) -> None:
    record = fill("bw_initial_assessment", case)
    with pytest.raises(DomainError, match="does not need"):
        approval_request(actor=people.caseworker, record_id=record.pk)
    with pytest.raises(DomainError, match="Nothing on this record"):
        approval_decide(actor=people.supervisor, record_id=record.pk, approve=True)


def test_a_plan_goes_for_approval_only_after_the_psychosocial_assessment(
        fill: Any, case: Any, people: Any) -> None:
    plan = fill("bw_reintegration_plan", case)
    with pytest.raises(DomainError) as caught:
        approval_request(actor=people.caseworker, record_id=plan.pk)
    assert caught.value.message == PSYCHOSOCIAL_FIRST
    assert not Approval.objects.exists()
    # A draft assessment is not an assessment.
    fill("bw_psychosocial_assessment", case, draft=True)
    with pytest.raises(DomainError):
        approval_request(actor=people.caseworker, record_id=plan.pk)

    fill("bw_psychosocial_assessment", case)
    approval = approval_request(actor=people.caseworker, record_id=plan.pk)
    assert approval.decision == "pending"
    # Once the assessment exists, a new plan goes for approval by itself.
    second = fill("bw_reintegration_plan", case)
    assert Approval.objects.filter(care_record__record=second, decision="pending").exists()


def test_the_closure_of_a_child_who_died_needs_no_views(fill: Any, case: Any,
                                                       people: Any) -> None:
    closure = fill("bw_case_closure", case, values=closure_values(reason="died"))
    assert closure.data["child_views"] == ""
    approval_decide(actor=people.supervisor, record_id=closure.pk, approve=True)
    assert _state(closure)[0] == "approved"


def _decision_form(*, views_required: bool = True, with_views: bool = True) -> bytes:
    rows = [HEADER,
            row("text", "case_number", "Case number", required="yes",
                category="case_management"),
            row("text", "decision", "Decision", required="yes", category="case_management")]
    if with_views:
        required = "yes" if views_required else ""
        rows += [row("text", "child_views", "What the child said", required=required,
                     category="case_management"),
                 row("text", "child_views_weight", "How the views were taken into account",
                     required=required, category="case_management")]
    return make_xlsx(rows, [["list_name", "name", "label::English (en)"]],
                     visit_settings(form_id="local_bid"))


def _local_record(people: Any, case: Any, form: bytes, values: dict[str, Any]) -> Any:
    version = form_version_upload(actor=people.sysadmin, file_bytes=form,
                                  purpose="bid_panel").version
    return form_record_submit(actor=people.caseworker, case_id=case.pk,
                              form_version_id=version.pk,
                              values={"case_number": case.case_number, **values})


def test_approval_refused_without_the_childs_views(case: Any, people: Any) -> None:
    record = _local_record(people, case, _decision_form(views_required=False),
                           {"decision": "Kinship care."})
    with pytest.raises(ValidationFailed) as caught:
        approval_decide(actor=people.supervisor, record_id=record.pk, approve=True)
    assert caught.value.errors == {"child_views": [CHILD_VIEWS_MISSING],
                                   "child_views_weight": [CHILD_VIEWS_WEIGHT_MISSING]}
    assert _state(record) == ("submitted", 1, ["pending"])
    # Returning it for the views is what the supervisor can do.
    approval_decide(actor=people.supervisor, record_id=record.pk, approve=False,
                    comment="Record the child's views.")
    form_record_update(actor=people.caseworker, record_id=record.pk, expected_version=2,
                       values={"case_number": case.case_number, "decision": "Kinship care.",
                               "child_views": heard()["child_views"]})
    approval_request(actor=people.caseworker, record_id=record.pk)
    with pytest.raises(ValidationFailed) as caught:
        approval_decide(actor=people.supervisor, record_id=record.pk, approve=True)
    assert list(caught.value.errors) == ["child_views_weight"]


def test_approval_refused_for_a_decision_form_without_views(case: Any, people: Any) -> None:
    record = _local_record(people, case, _decision_form(with_views=False),
                           {"decision": "Kinship care."})
    with pytest.raises(ValidationFailed) as caught:
        approval_decide(actor=people.supervisor, record_id=record.pk, approve=True)
    assert caught.value.errors == {"__all__": [NO_CHILD_VIEWS_IN_FORM]}
    assert _state(record) == ("submitted", 1, ["pending"])


# --------------------------------------------------------------------------
# An approved closure form closes the case (the form tells whoever fills it so)


def _closure_state(case: Any) -> tuple[Any, ...]:
    from bridgeway.cases.models import Case

    fresh = Case.objects.get(pk=case.pk)
    return (fresh.status, fresh.closure_reason, fresh.closure_note,
            fresh.closure_requested_by, fresh.closure_approved_by)


def test_an_approved_closure_form_closes_the_case(fill: Any, case: Any, people: Any) -> None:
    from bridgeway.cases.models import Case, Task

    closure = fill("bw_case_closure", case)
    assert Case.objects.get(pk=case.pk).status != "closed"  # submitting is only the request
    approval_decide(actor=people.supervisor, record_id=closure.pk, approve=True)

    assert _state(closure)[0] == "approved"
    fresh = Case.objects.get(pk=case.pk)
    assert _closure_state(case) == ("closed", "goals_met", "", people.caseworker,
                                    people.supervisor)
    assert fresh.closed_at is not None and fresh.version > case.version
    kinds = list(CaseEvent.objects.filter(case=case).order_by("id")
                 .values_list("kind", "actor__username"))
    assert kinds[-3:] == [("approval_approved", "supervisor"),
                          ("closure_requested", "caseworker"),
                          ("closure_approved", "supervisor")]
    entry = AuditEntry.objects.get(action="close_approve", case_id=case.pk)
    assert (entry.actor, entry.detail["reason"], entry.detail["record_id"]) == (
        people.supervisor, "goals_met", closure.pk)
    assert not Task.objects.filter(case=case, status="open").exists()


@pytest.mark.parametrize(("answer", "reason"), [
    ("died", "deceased"), ("declined", "declined"), ("transferred", "transferred"),
    ("reached_adulthood", "turned_adult"), ("moved_no_contact", "moved")])
def test_the_form_reason_becomes_the_case_reason(fill: Any, case: Any, people: Any,
                                                 answer: str, reason: str) -> None:
    values = closure_values(reason=answer)
    if answer in ("transferred", "reached_adulthood"):
        values["receiving_agency"] = "Agency B"
    closure = fill("bw_case_closure", case, values=values)
    approval_decide(actor=people.supervisor, record_id=closure.pk, approve=True)
    assert _closure_state(case)[:3] == ("closed", reason, "")


def test_a_returned_closure_form_leaves_the_case_open(fill: Any, case: Any,
                                                      people: Any) -> None:
    before = _closure_state(case)
    closure = fill("bw_case_closure", case)
    approval_decide(actor=people.supervisor, record_id=closure.pk, approve=False,
                    comment="Follow-up is not finished.")
    assert _closure_state(case) == before
    assert not AuditEntry.objects.filter(action="close_approve", case_id=case.pk).exists()


def test_a_waiting_closure_request_is_decided_by_the_approved_form(
        fill: Any, case: Any, people: Any) -> None:
    from bridgeway.cases.services import case_request_closure

    case_request_closure(actor=people.caseworker, case_id=case.pk, reason="moved")
    closure = fill("bw_case_closure", case)
    approval_decide(actor=people.supervisor, record_id=closure.pk, approve=True)
    assert _closure_state(case) == ("closed", "goals_met", "", people.caseworker,
                                    people.supervisor)
    assert CaseEvent.objects.filter(case=case, kind="closure_requested").count() == 1


def test_a_closure_form_of_a_closed_case_changes_the_case_no_further(
        fill: Any, case: Any, people: Any) -> None:
    from bridgeway.cases.models import Case
    from bridgeway.cases.services import case_decide_closure, case_request_closure

    closure = fill("bw_case_closure", case)
    case_request_closure(actor=people.caseworker, case_id=case.pk, reason="moved")
    case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=True)
    closed = Case.objects.get(pk=case.pk)
    approval_decide(actor=people.supervisor, record_id=closure.pk, approve=True)
    after = Case.objects.get(pk=case.pk)
    assert (after.status, after.closure_reason, after.version, after.closed_at) == (
        "closed", "moved", closed.version, closed.closed_at)
    assert CaseEvent.objects.filter(case=case, kind="closure_approved").count() == 1


def _local_closure(people: Any, case: Any, values: dict[str, Any]) -> Any:
    rows = [HEADER,
            row("text", "case_number", "Case number", required="yes",
                category="case_management"),
            row("text", "closure_reason", "Reason", category="case_management"),
            row("text", "child_views", "What the child said", category="case_management"),
            row("text", "child_views_weight", "How the views were taken into account",
                category="case_management")]
    form = make_xlsx(rows, [["list_name", "name", "label::English (en)"]],
                     visit_settings(form_id="local_closure"))
    version = form_version_upload(actor=people.sysadmin, file_bytes=form,
                                  purpose="closure").version
    return form_record_submit(actor=people.caseworker, case_id=case.pk,
                              form_version_id=version.pk,
                              values={"case_number": case.case_number, **values})


def test_a_local_closure_form_with_its_own_reason_closes_as_other(case: Any,
                                                                   people: Any) -> None:
    views = {k: v for k, v in heard().items() if k != "child_heard_how"}
    record = _local_closure(people, case, {"closure_reason": "family_reunified", **views})
    approval_decide(actor=people.supervisor, record_id=record.pk, approve=True)
    assert _closure_state(case)[:3] == ("closed", "other", "family_reunified")


def test_a_closure_form_without_a_reason_is_refused_and_nothing_changes(
        case: Any, people: Any) -> None:
    from bridgeway.care.services import NO_CLOSURE_REASON

    views = {k: v for k, v in heard().items() if k != "child_heard_how"}
    record = _local_closure(people, case, views)
    before = _closure_state(case)
    with pytest.raises(ValidationFailed) as caught:
        approval_decide(actor=people.supervisor, record_id=record.pk, approve=True)
    assert caught.value.errors == {"closure_reason": [NO_CLOSURE_REASON]}
    assert _state(record) == ("submitted", 1, ["pending"])
    assert _closure_state(case) == before
