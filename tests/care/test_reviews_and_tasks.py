"""Plan reviews and the deadlines that become tasks: review due dates, overdue reviews,
approvals and actions; deriving them again changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.care.deadlines import add_months
from bridgeway.care.models import PlanReview
from bridgeway.care.selectors import next_review_due, plan_in_force
from bridgeway.care.services import (
    approval_decide,
    care_sweep,
    plan_action_set_status,
    plan_review_record,
)
from bridgeway.cases.models import CaseEvent, Task, TaskStatus
from bridgeway.core.errors import DomainError, NotFound, ValidationFailed
from tests.care.conftest import action_named, iso, plan_values, today

pytestmark = pytest.mark.django_db


def review(**changes: Any) -> dict[str, Any]:
    data = {"reviewed_on": iso(today()), "summary": "Attends school; visits continue.",
            "child_views": "I like my new class.",
            "child_views_weight": "Kept the school goal; added a sports club.",
            "plan_change_needed": False}
    data.update(changes)
    return data


def open_tasks(case: Any) -> dict[str, Task]:
    return {t.source_key: t for t in Task.objects.filter(case=case, status=TaskStatus.OPEN)}


def test_review_due_from_approval_and_the_plan_date(approved_plan: Any, case: Any) -> None:
    plan = plan_in_force(case.pk)
    assert plan is not None and plan.record.pk == approved_plan.pk
    # The plan asked for a review in 60 days, earlier than the 3-month interval.
    assert next_review_due(case.pk) == today() + timedelta(days=60)


def test_no_plan_in_force_no_review(fill: Any, case: Any, people: Any) -> None:
    fill("bw_psychosocial_assessment", case)
    fill("bw_reintegration_plan", case)  # waiting for approval, not in force
    assert next_review_due(case.pk) is None
    with pytest.raises(DomainError, match="no approved reintegration plan"):
        plan_review_record(actor=people.caseworker, case_id=case.pk, data=review())
    assert not PlanReview.objects.exists()


def test_recording_a_review_moves_the_next_due_date(approved_plan: Any, case: Any,
                                                    people: Any, clock: Any) -> None:
    clock.advance(days=20)
    done = plan_review_record(actor=people.caseworker, case_id=case.pk, data=review())
    assert done.plan_record_id == approved_plan.pk
    assert next_review_due(case.pk) == add_months(today(), 3)
    event = CaseEvent.objects.get(case=case, kind="plan_reviewed")
    assert event.params["next_due"] == add_months(today(), 3).isoformat()
    assert AuditEntry.objects.filter(object_type="plan_review", action="create",
                                     object_id=str(done.pk)).exists()
    # A review may ask for the next one sooner.
    soon = today() + timedelta(days=14)
    plan_review_record(actor=people.caseworker, case_id=case.pk,
                       data=review(next_review_on=iso(soon)))
    assert next_review_due(case.pk) == soon


def test_review_interval_is_configurable(approved_plan: Any, case: Any, people: Any,
                                         settings: Any) -> None:
    settings.BRIDGEWAY_PLAN_REVIEW_MONTHS = 1
    plan_review_record(actor=people.caseworker, case_id=case.pk, data=review())
    assert next_review_due(case.pk) == add_months(today(), 1)


@pytest.mark.parametrize(("changes", "fields"), [
    ({"reviewed_on": ""}, ["reviewed_on"]),
    ({"reviewed_on": iso(today() + timedelta(days=1))}, ["reviewed_on"]),
    ({"reviewed_on": iso(today() - timedelta(days=1))}, ["reviewed_on"]),  # before approval
    ({"summary": "   "}, ["summary"]),
    ({"child_views": ""}, ["child_views"]),
    ({"child_views_weight": None}, ["child_views_weight"]),
    ({"plan_change_needed": "perhaps"}, ["plan_change_needed"]),
    ({"next_review_on": iso(today())}, ["next_review_on"]),
    ({"next_review_on": iso(add_months(today(), 3) + timedelta(days=1))},
     ["next_review_on"]),
    ({"next_review_on": "soon"}, ["next_review_on"]),
    ({"child_views": 42, "summary": ""}, ["child_views", "summary"]),
])
def test_bad_review_stores_nothing(approved_plan: Any, case: Any, people: Any,
                                   changes: dict[str, Any], fields: list[str]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        plan_review_record(actor=people.caseworker, case_id=case.pk, data=review(**changes))
    assert sorted(caught.value.errors) == fields
    assert not PlanReview.objects.exists()
    assert not CaseEvent.objects.filter(kind="plan_reviewed").exists()


def test_outsiders_cannot_review(approved_plan: Any, case: Any, people: Any) -> None:
    for user in (people.outsider, people.analyst, people.other_caseworker):
        with pytest.raises(NotFound):
            plan_review_record(actor=user, case_id=case.pk, data=review())
    with pytest.raises(ValidationFailed):
        plan_review_record(actor=people.caseworker, case_id=case.pk, data="review")
    assert not PlanReview.objects.exists()


def test_overdue_review_becomes_a_task_and_a_review_closes_it(
        approved_plan: Any, case: Any, people: Any, clock: Any) -> None:
    due = next_review_due(case.pk)
    assert due is not None
    clock.advance(days=(due - today()).days)  # due today: not overdue yet
    care_sweep()
    assert "care_plan_review" not in open_tasks(case)
    clock.advance(days=1)
    care_sweep()
    task = open_tasks(case)["care_plan_review"]
    assert task.assigned_to == people.caseworker
    assert task.due_at.date() == due
    # Sweeping again changes nothing.
    before = list(Task.objects.filter(case=case).values())
    care_sweep()
    care_sweep()
    assert list(Task.objects.filter(case=case).values()) == before

    plan_review_record(actor=people.caseworker, case_id=case.pk, data=review())
    assert "care_plan_review" not in open_tasks(case)
    assert Task.objects.get(case=case, source_key="care_plan_review").status == TaskStatus.DONE


def test_an_approval_waiting_more_than_a_week_is_a_supervisor_task(
        fill: Any, case: Any, people: Any, clock: Any) -> None:
    bid = fill("bw_bid_panel", case)
    clock.advance(days=7, hours=-1)
    care_sweep()
    assert not any(k.startswith("care_approval:") for k in open_tasks(case))
    clock.advance(hours=2)
    result = care_sweep()
    assert result.cases_rederived == 1
    [key] = [k for k in open_tasks(case) if k.startswith("care_approval:")]
    task = open_tasks(case)[key]
    assert task.assigned_to is None  # for the supervisors, not the caseworker
    assert "Best-interests determination" in task.title
    care_sweep()
    assert Task.objects.filter(case=case, source_key=key).count() == 1
    approval_decide(actor=people.supervisor, record_id=bid.pk, approve=True)
    assert key not in open_tasks(case)


def test_an_action_past_its_due_date_is_a_task_until_done(
        fill: Any, case: Any, people: Any, clock: Any) -> None:
    plan = fill("bw_reintegration_plan", case)
    teacher = action_named("Meet the head teacher", goal__record=plan)
    # A new plan version keeps the action's history (and so its task key).
    fill("bw_reintegration_plan", case, values=plan_values())
    current = action_named("Meet the head teacher", superseded_at__isnull=True)
    assert current.pk != teacher.pk and current.lineage_id == teacher.pk
    clock.advance(days=30)
    care_sweep()
    assert not [k for k in open_tasks(case) if k.startswith("care_action:")]
    clock.advance(days=1)
    care_sweep()
    keys = {k for k in open_tasks(case) if k.startswith("care_action:")}
    # Both actions due in 30 days are overdue; the one due in 40 days is not.
    assert len(keys) == 2 and f"care_action:{teacher.pk}" in keys
    # The task names the action by its place in the plan, never by its words (encrypted
    # at rest; a task title is not).
    title = open_tasks(case)[f"care_action:{teacher.pk}"].title
    assert title.startswith("Plan action 1.1 (Education) past its due date (")
    assert "head teacher" not in title
    care_sweep()
    assert {k for k in open_tasks(case) if k.startswith("care_action:")} == keys

    plan_action_set_status(actor=people.caseworker, action_id=current.pk, status="done")
    assert f"care_action:{teacher.pk}" not in open_tasks(case)
    assert Task.objects.filter(case=case, source_key__startswith="care_action:").count() == 2


def test_a_closed_case_has_no_care_tasks(fill: Any, case: Any, people: Any,
                                         clock: Any) -> None:
    from bridgeway.cases.services import case_decide_closure, case_request_closure

    fill("bw_reintegration_plan", case)
    case_request_closure(actor=people.caseworker, case_id=case.pk, reason="goals_met")
    case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=True)
    clock.advance(days=60)
    care_sweep()
    assert not [k for k in open_tasks(case) if k.startswith("care_")]
