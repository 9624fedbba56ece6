"""The review interval, as pure functions."""

from __future__ import annotations

from datetime import date

import pytest

from bridgeway.care.deadlines import add_months, review_due, review_months


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2025, 1, 15), 3, date(2025, 4, 15)),
    (date(2025, 11, 30), 3, date(2026, 2, 28)),  # shorter month: its last day
    (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
    (date(2025, 12, 1), 1, date(2026, 1, 1)),
    (date(2025, 5, 31), 12, date(2026, 5, 31)),
    (date(2025, 3, 31), 0, date(2025, 3, 31)),
])
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_review_due_counts_from_approval_then_from_the_last_review() -> None:
    approved = date(2025, 1, 10)
    assert review_due(approved_on=approved, months=3) == date(2025, 4, 10)
    assert review_due(approved_on=approved, months=3,
                      last_review_on=date(2025, 3, 1)) == date(2025, 6, 1)


def test_an_earlier_asked_date_wins_a_later_one_never_postpones() -> None:
    approved = date(2025, 1, 10)
    assert review_due(approved_on=approved, months=3,
                      plan_asked=date(2025, 2, 20)) == date(2025, 2, 20)
    assert review_due(approved_on=approved, months=3,
                      plan_asked=date(2025, 9, 1)) == date(2025, 4, 10)
    # A date in the plan earlier than its approval is ignored (it was never in force).
    assert review_due(approved_on=approved, months=3,
                      plan_asked=date(2025, 1, 5)) == date(2025, 4, 10)
    # After a review, the plan's own date no longer counts; the review's does.
    assert review_due(approved_on=approved, months=3, plan_asked=date(2025, 2, 20),
                      last_review_on=date(2025, 2, 20)) == date(2025, 5, 20)
    assert review_due(approved_on=approved, months=3, plan_asked=date(2025, 2, 20),
                      last_review_on=date(2025, 2, 20),
                      last_asked=date(2025, 3, 20)) == date(2025, 3, 20)


def test_review_months_is_configurable(settings: object) -> None:
    assert review_months() == 3
    settings.BRIDGEWAY_PLAN_REVIEW_MONTHS = 2  # type: ignore[attr-defined]
    assert review_months() == 2
