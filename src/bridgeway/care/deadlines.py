"""Care deadlines as pure functions: when the plan in force is due for review, and how long
an approval may wait.

The review rule (configurable with ``BRIDGEWAY_PLAN_REVIEW_MONTHS``, default 3): a plan is
reviewed at least every N months, counted from its approval and then from each review. A
plan or a review may ask for an earlier review date; a later one never postpones the
regular interval.
"""

from __future__ import annotations

import calendar
from datetime import date

from django.conf import settings

DEFAULT_REVIEW_MONTHS = 3
DEFAULT_APPROVAL_DAYS = 7


def review_months() -> int:
    return int(getattr(settings, "BRIDGEWAY_PLAN_REVIEW_MONTHS", DEFAULT_REVIEW_MONTHS))


def approval_days() -> int:
    """How long a record may wait for a supervisor's decision before it becomes a task."""
    return int(getattr(settings, "BRIDGEWAY_APPROVAL_WAIT_DAYS", DEFAULT_APPROVAL_DAYS))


def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months, on the same day of the month or the month's last
    day when it is shorter (31 January + 1 month = 28 or 29 February).

    Hand-written: ``dateutil.relativedelta`` does the same, but it is not a dependency and
    this is the only place that needs it."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_due(*, approved_on: date, months: int, plan_asked: date | None = None,
               last_review_on: date | None = None, last_asked: date | None = None) -> date:
    """The date the plan in force must next be reviewed by.

    ``approved_on``: the plan's approval; ``plan_asked``: the review date written in the
    plan; ``last_review_on`` / ``last_asked``: the latest review of this plan and the next
    date it asked for. An asked date counts only when it falls inside the interval."""
    base = last_review_on or approved_on
    due = add_months(base, months)
    asked = last_asked if last_review_on else plan_asked
    if asked is not None and base < asked < due:
        return asked
    return due
