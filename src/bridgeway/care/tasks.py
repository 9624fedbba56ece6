"""Care deadlines that become tasks on the case once they are overdue: a decision waiting
for a supervisor longer than ``BRIDGEWAY_APPROVAL_WAIT_DAYS`` (7), the plan's review date
passed, a plan action past its due date and not done (titled by its place in the plan,
never its words: the action's text is encrypted at rest, task titles are not). Registered
with ``cases.tasks`` on import (``CareConfig.ready``); ``case_derive_tasks`` reconciles them
by ``source_key`` and closes them when the condition ends (decided, reviewed, action done or
cancelled).

Time passing does not call anything: ``care_sweep`` (the ``care_sweep`` command, hourly or
daily) derives the tasks of cases whose deadlines passed since their last change."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from bridgeway.care import deadlines, selectors
from bridgeway.care.models import (
    FINISHED_ACTION_STATUSES,
    Approval,
    Decision,
    GoalDomain,
    PlanAction,
)
from bridgeway.cases.models import Case
from bridgeway.cases.tasks import WantedTask, deriver
from bridgeway.forms.models import Purpose

TITLE_MAX = 200


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@deriver
def care_approvals_waiting(case: Case) -> list[WantedTask]:
    if not case.is_open:
        return []
    wait = timedelta(days=deadlines.approval_days())
    labels = dict(Purpose.choices)
    waiting = (Approval.objects.filter(case_id=case.pk, decision=Decision.PENDING,
                                       requested_at__lte=timezone.now() - wait)
               .select_related("care_record").order_by("pk"))
    return [WantedTask(f"care_approval:{a.pk}",
                       f"Approve or return: {labels.get(a.care_record.purpose, '')} "
                       f"(waiting since {timezone.localdate(a.requested_at).isoformat()})"
                       [:TITLE_MAX], a.requested_at + wait, for_supervisor=True)
            for a in waiting]


@deriver
def care_plan_review(case: Case) -> list[WantedTask]:
    if not case.is_open:
        return []
    due = selectors.next_review_due(case.pk)
    if due is None or due >= timezone.localdate():
        return []
    return [WantedTask("care_plan_review",
                       f"Review the reintegration plan with the child (due {due.isoformat()})",
                       _start_of(due))]


@deriver
def care_plan_actions(case: Case) -> list[WantedTask]:
    if not case.is_open:
        return []
    overdue = (PlanAction.objects.filter(case_id=case.pk, superseded_at__isnull=True,
                                         due_date__lt=timezone.localdate())
               .exclude(status__in=FINISHED_ACTION_STATUSES).select_related("goal")
               .order_by("due_date", "pk"))
    return [WantedTask(f"care_action:{a.lineage_id}", action_task_title(a),
                       _start_of(a.due_date))
            for a in overdue if a.due_date is not None]


def action_task_title(action: PlanAction) -> str:
    """The overdue action's task title: its place in the plan and the goal's domain, never
    its words. The action's text is encrypted at rest and a task title is not (tasks are
    listed and sorted across cases), so the title points to the plan instead."""
    goal = action.goal
    domain = dict(GoalDomain.choices).get(goal.domain, goal.domain)
    due = action.due_date.isoformat() if action.due_date else ""
    return (f"Plan action {goal.position}.{action.position} ({domain}) past its due date "
            f"({due})")[:TITLE_MAX]
