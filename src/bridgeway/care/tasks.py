"""Care deadlines that become tasks on the case once they are overdue: a decision waiting
for a supervisor longer than ``BRIDGEWAY_APPROVAL_WAIT_DAYS`` (7), the plan's review date
passed, a plan action past its due date and not done. Registered with ``cases.tasks`` on
import (``CareConfig.ready``); ``case_derive_tasks`` reconciles them by ``source_key`` and
closes them when the condition ends (decided, reviewed, action done or cancelled).

Time passing does not call anything: ``care_sweep`` (the ``care_sweep`` command, hourly or
daily) derives the tasks of cases whose deadlines passed since their last change."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from bridgeway.care import deadlines, selectors
from bridgeway.care.models import FINISHED_ACTION_STATUSES, Approval, Decision, PlanAction
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
               .exclude(status__in=FINISHED_ACTION_STATUSES).order_by("due_date", "pk"))
    return [WantedTask(f"care_action:{a.lineage_id}",
                       f"Plan action past its due date ({a.due_date.isoformat()}): "
                       f"{a.text}"[:TITLE_MAX], _start_of(a.due_date))
            for a in overdue if a.due_date is not None]
