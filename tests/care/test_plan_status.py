"""Changing the status of plan goals and actions: outside the form's re-validation, audited,
one event each, bad input stores nothing."""

from __future__ import annotations

from typing import Any

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.care.models import PlanAction, PlanGoal
from bridgeway.care.services import plan_action_set_status, plan_goal_set_status
from bridgeway.cases.models import CaseEvent
from bridgeway.core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from tests.care.conftest import action_named

pytestmark = pytest.mark.django_db


def _action(plan: Any, text: str = "Meet the head teacher") -> PlanAction:
    return action_named(text, goal__record=plan)


def test_action_status_change_is_audited(fill: Any, case: Any, people: Any) -> None:
    plan = fill("bw_reintegration_plan", case)
    action = _action(plan)
    changed = plan_action_set_status(actor=people.caseworker, action_id=action.pk,
                                     status="in_progress")
    assert (changed.status, changed.status_changed_by) == ("in_progress", people.caseworker)
    assert changed.form_status == "not_started"  # what the plan said stays known
    event = CaseEvent.objects.get(case=case, kind="plan_action_status")
    assert event.params == {"id": action.pk, "from": "not_started", "to": "in_progress"}
    entry = AuditEntry.objects.get(object_type="plan_action", object_id=str(action.pk))
    assert (entry.action, entry.detail) == ("update", {"from": "not_started",
                                                       "to": "in_progress"})
    # The same status again is not a change.
    plan_action_set_status(actor=people.caseworker, action_id=action.pk, status="in_progress")
    assert CaseEvent.objects.filter(kind="plan_action_status").count() == 1


def test_an_action_past_its_due_date_can_still_change(fill: Any, case: Any, people: Any,
                                                     clock: Any) -> None:
    plan = fill("bw_reintegration_plan", case)
    action = _action(plan)
    clock.advance(days=45)  # the due date ("today or later" when written) is now past
    done = plan_action_set_status(actor=people.caseworker, action_id=action.pk,
                                  status="done")
    assert done.status == "done"


@pytest.mark.parametrize("status", ["", "finished", None, 3, ["done"]])
def test_bad_status_stores_nothing(fill: Any, case: Any, people: Any, status: Any) -> None:
    plan = fill("bw_reintegration_plan", case)
    action = _action(plan)
    with pytest.raises(ValidationFailed) as caught:
        plan_action_set_status(actor=people.caseworker, action_id=action.pk, status=status)
    assert list(caught.value.errors) == ["status"]
    assert _action(plan).status == "not_started"
    assert not CaseEvent.objects.filter(kind="plan_action_status").exists()


def test_who_may_change_a_status(fill: Any, case: Any, people: Any) -> None:
    plan = fill("bw_reintegration_plan", case)
    action = _action(plan)
    for user in (people.outsider, people.outsider_supervisor, people.analyst,
                 people.other_caseworker, people.police_officer):
        with pytest.raises(NotFound):
            plan_action_set_status(actor=user, action_id=action.pk, status="done")
    with pytest.raises(NotFound):
        plan_action_set_status(actor=people.caseworker, action_id=10**9, status="done")
    assert _action(plan).status == "not_started"
    plan_action_set_status(actor=people.supervisor, action_id=action.pk, status="delayed")
    assert _action(plan).status == "delayed"


def test_a_closed_case_is_read_only_for_the_caseworker(fill: Any, case: Any,
                                                       people: Any) -> None:
    from bridgeway.cases.services import case_decide_closure, case_request_closure

    plan = fill("bw_reintegration_plan", case)
    case_request_closure(actor=people.caseworker, case_id=case.pk, reason="goals_met")
    case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=True)
    with pytest.raises(NotAllowed):
        plan_action_set_status(actor=people.caseworker, action_id=_action(plan).pk,
                               status="done")


def test_rows_of_an_earlier_plan_version_are_history(fill: Any, case: Any,
                                                     people: Any) -> None:
    first = fill("bw_reintegration_plan", case)
    fill("bw_reintegration_plan", case)
    with pytest.raises(DomainError, match="earlier version"):
        plan_action_set_status(actor=people.caseworker, action_id=_action(first).pk,
                               status="done")
    assert _action(first).status == "not_started"


def test_goal_status(fill: Any, case: Any, people: Any) -> None:
    plan = fill("bw_reintegration_plan", case)
    goal = PlanGoal.objects.get(record=plan, position=1)
    with pytest.raises(ValidationFailed):
        plan_goal_set_status(actor=people.caseworker, goal_id=goal.pk, status="done")
    assert plan_goal_set_status(actor=people.caseworker, goal_id=goal.pk,
                                status="achieved").status == "achieved"
    assert CaseEvent.objects.get(kind="plan_goal_status").params["to"] == "achieved"
    assert AuditEntry.objects.filter(object_type="plan_goal", action="update").count() == 1
