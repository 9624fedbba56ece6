"""The daily job split between worker processes (PostgreSQL): same result as one process.

Its own module: the module-level ``django_db`` mark of ``test_jobs`` would set the
database up before ``flushable_audit_on_postgresql``, and the final flush would then meet
the append-only trigger."""

from __future__ import annotations

import pytest

from bridgeway.justice import models as m
from bridgeway.justice.evaluation import case_ids_to_reevaluate
from bridgeway.justice.jobs import run_reevaluation
from bridgeway.justice.services import justice_involvement_add
from tests.justice.conftest import ago, arrest_and_hold, born_years_ago
from tests.justice.test_jobs import snapshot


@pytest.mark.postgres
def test_job_split_between_two_processes_gives_the_single_process_result(
        flushable_audit_on_postgresql, transactional_db, people, register, jayapura):
    """The daily job deals its batches out to two worker processes (each its own
    connection): every case is evaluated once, and a single-process run afterwards finds
    nothing to change, so the split changed no result."""
    arrest = ago(hours=20)
    cases = []
    for n in range(5):
        case = register(date_of_birth=born_years_ago(15 + n % 2))
        justice_involvement_add(actor=people.caseworker, case_id=case.pk,
                                agency_id=people.agency_police.pk, reason="arresting unit")
        arrest_and_hold(people, case, jayapura, arrest)
        cases.append(case)
    m.SafeguardAlert.objects.all().delete()
    m.Notification.objects.all().delete()
    m.SafeguardEvaluation.objects.all().delete()
    assert len(case_ids_to_reevaluate()) == 5

    later = ago(hours=-5)  # the first appearance is overdue in every case
    split = run_reevaluation(now=later, batch_size=2, workers=2)
    assert split["workers"] == 2 and split["cases"] == 5 and not split["failed"]
    assert split["evaluations_written"] == 5
    assert set(m.SafeguardAlert.objects.filter(code="appearance_overdue")
               .values_list("case_id", flat=True)) == {c.pk for c in cases}
    state = snapshot()

    single = run_reevaluation(now=later, batch_size=2, workers=1)
    assert single["cases"] == 5 and single["evaluations_written"] == 0
    assert single["alerts_created"] == single["notifications"] == 0
    assert snapshot() == state
