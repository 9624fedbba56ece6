"""Tasks derived from deadlines.

Each *deriver* looks at a case and returns the tasks it should have now (keyed by a stable
``source_key``). ``case_derive_tasks`` reconciles: creates missing tasks, updates due dates,
and closes derived tasks whose condition no longer holds. Idempotent: running it twice
changes nothing the second time. Later capabilities (assessments, justice, referrals)
register their own derivers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from bridgeway.cases.models import Case, Status, Task, TaskStatus
from bridgeway.registry import age


@dataclass(frozen=True)
class WantedTask:
    source_key: str
    title: str
    due_at: datetime | None
    for_supervisor: bool = False


Deriver = Callable[[Case], list[WantedTask]]
DERIVERS: list[Deriver] = []


def deriver(fn: Deriver) -> Deriver:
    DERIVERS.append(fn)
    return fn


@deriver
def first_assessment(case: Case) -> list[WantedTask]:
    if (case.first_assessment_due and case.first_assessment_done_at is None
            and case.status in (Status.REGISTRATION, Status.ASSESSMENT)):
        return [WantedTask("first_assessment", "Complete the first assessment",
                           case.first_assessment_due)]
    return []


@deriver
def closure_approval(case: Case) -> list[WantedTask]:
    if case.status == Status.CLOSURE_REQUESTED and case.closure_requested_at:
        return [WantedTask("closure_approval", "Approve or return the closure request",
                           case.closure_requested_at + timedelta(days=7), for_supervisor=True)]
    return []


@deriver
def turning_eighteen(case: Case) -> list[WantedTask]:
    birthday = age.eighteenth_birthday(case.child.youngest_birth_date)
    if case.is_open and birthday:
        due = timezone.make_aware(datetime.combine(birthday, datetime.min.time()))
        if due - timezone.now() <= timedelta(days=180):
            return [WantedTask("turning_18", "Plan the transition: the child turns 18 "
                               f"on {birthday.isoformat()}", due)]
    return []


def case_derive_tasks(case: Case) -> None:
    now = timezone.now()
    wanted = {w.source_key: w for d in DERIVERS for w in d(case)}
    existing = {t.source_key: t for t in case.tasks.all()}
    for key, w in wanted.items():
        task = existing.get(key)
        if task is None:
            Task.objects.create(case=case, source_key=key, title=w.title, due_at=w.due_at,
                                assigned_to=None if w.for_supervisor else case.assigned_to,
                                created_at=now)
        elif task.status == TaskStatus.OPEN and (task.due_at != w.due_at
                                                 or task.title != w.title):
            task.due_at, task.title = w.due_at, w.title
            task.save(update_fields=["due_at", "title"])
    for key, task in existing.items():
        if key not in wanted and task.status == TaskStatus.OPEN:
            task.status, task.completed_at = TaskStatus.DONE, now
            task.save(update_fields=["status", "completed_at"])
