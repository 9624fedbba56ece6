"""Filled forms entering the workflow: first assessment and risk, plan rows, approval
requests — whichever way the form was saved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.care.models import Approval, CareRecord, PlanAction, PlanGoal
from bridgeway.care.services import care_record_sync, care_sweep
from bridgeway.cases.models import Case, CaseEvent, TaskStatus
from bridgeway.forms.models import FormRecord
from bridgeway.forms.services import form_record_update
from tests.care.conftest import (
    action_named,
    follow_up_values,
    initial_values,
    iso,
    plan_values,
    today,
)

pytestmark = pytest.mark.django_db


def test_initial_assessment_completes_the_first_assessment_and_sets_the_risk(
        fill: Any, case: Any, people: Any) -> None:
    assert case.risk_level == "high" and case.first_assessment_done_at is None
    task = case.tasks.get(source_key="first_assessment")
    assert task.status == TaskStatus.OPEN
    due_before = case.first_assessment_due

    record = fill("bw_initial_assessment", case, values=initial_values(risk="low"))

    case.refresh_from_db()
    assert case.first_assessment_done_at == record.submitted_at
    assert case.risk_level == "low"
    # Done before the risk changed: the deadline that applied is kept, not recomputed.
    assert case.first_assessment_due == due_before
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert "first_assessment_done" in kinds
    updated = CaseEvent.objects.get(case=case, kind="updated")
    assert updated.params == {"fields": ["risk_level"]}
    assert updated.actor == people.caseworker
    assert AuditEntry.objects.filter(case_id=case.pk, action="update", object_type="case",
                                     detail__fields=["risk_level"]).count() == 1
    assert AuditEntry.objects.filter(case_id=case.pk, action="update", object_type="case",
                                     detail__fields=["first_assessment_done_at"]).count() == 1


def test_a_draft_changes_nothing_and_syncing_twice_changes_nothing(
        fill: Any, case: Any) -> None:
    draft = fill("bw_initial_assessment", case, draft=True)
    case.refresh_from_db()
    assert case.first_assessment_done_at is None and case.risk_level == "high"
    assert not CareRecord.objects.filter(record=draft).exists()

    record = fill("bw_initial_assessment", case)
    events = CaseEvent.objects.count()
    audits = AuditEntry.objects.count()
    care_record_sync(record=FormRecord.objects.get(pk=record.pk))
    assert care_sweep().records_synced == 0
    assert (CaseEvent.objects.count(), AuditEntry.objects.count()) == (events, audits)


def test_only_the_latest_risk_assessment_sets_the_risk(fill: Any, case: Any,
                                                         people: Any) -> None:
    first = fill("bw_initial_assessment", case, values=initial_values(risk="low"))
    fill("bw_follow_up_visit", case, values=follow_up_values(risk="medium"))
    assert Case.objects.get(pk=case.pk).risk_level == "medium"
    # Correcting the older assessment does not overwrite the later reassessment.
    form_record_update(actor=people.caseworker, record_id=first.pk, expected_version=1,
                       values=initial_values(risk="none"))
    assert Case.objects.get(pk=case.pk).risk_level == "medium"


def test_a_second_initial_assessment_keeps_the_first_done_date(fill: Any, case: Any) -> None:
    first = fill("bw_initial_assessment", case)
    fill("bw_initial_assessment", case, values=initial_values(risk="medium"))
    case.refresh_from_db()
    assert case.first_assessment_done_at == first.submitted_at
    assert CaseEvent.objects.filter(case=case, kind="first_assessment_done").count() == 1


def test_plan_goals_and_actions_from_the_builtin_plan(fill: Any, case: Any,
                                                      people: Any) -> None:
    plan = fill("bw_reintegration_plan", case)
    goals = list(PlanGoal.objects.filter(record=plan).order_by("position"))
    assert [(g.position, g.domain, g.text, g.status, g.record_version) for g in goals] == [
        (1, "education", "Enrol in the local school", "not_started", 1),
        (2, "family", "Weekly visits to the mother", "in_progress", 1)]
    actions = list(PlanAction.objects.filter(goal__record=plan)
                   .order_by("goal__position", "position"))
    assert [(a.goal.position, a.text, a.responsible_agency_text, a.status)
            for a in actions] == [
        (1, "Meet the head teacher", "Agency A", "not_started"),
        (1, "Buy school uniform", "Parish fund", "in_progress"),
        (2, "Arrange transport", "HEALTH-CLINIC", "not_started")]
    assert actions[0].due_date == today() + timedelta(days=30)
    # Registered agencies are recognised by name or code; other providers stay text.
    assert [a.responsible_agency for a in actions] == [
        people.agency_a, None, people.agency_health]
    assert CaseEvent.objects.get(case=case, kind="plan_updated").params == {
        "record_id": plan.pk, "version": 1, "goals": 2, "actions": 3}


def test_a_new_plan_supersedes_the_rows_and_keeps_statuses_changed_since(
        fill: Any, case: Any, people: Any) -> None:
    from bridgeway.care.services import plan_action_set_status

    first = fill("bw_reintegration_plan", case)
    teacher = action_named("Meet the head teacher", goal__record=first)
    plan_action_set_status(actor=people.caseworker, action_id=teacher.pk, status="done")

    values = plan_values()
    values["goal"][0]["action"].append(
        {"action_text": "Tutoring twice a week", "responsible_agency": "Agency A",
         "due_date": iso(today() + timedelta(days=20)), "action_status": "not_started"})
    # The uniform's status is changed in the new plan itself: the form's answer wins.
    values["goal"][0]["action"][1]["action_status"] = "done"
    second = fill("bw_reintegration_plan", case, values=values)

    old = PlanAction.objects.filter(goal__record=first)
    assert old.count() == 3 and not old.filter(superseded_at__isnull=True).exists()
    assert PlanGoal.objects.filter(record=first, superseded_at__isnull=False).count() == 2
    current = {a.text: a for a in PlanAction.objects.filter(superseded_at__isnull=True)}
    assert set(current) == {"Meet the head teacher", "Buy school uniform",
                            "Arrange transport", "Tutoring twice a week"}
    assert all(a.goal.record_id == second.pk for a in current.values())
    assert current["Meet the head teacher"].status == "done"
    assert current["Meet the head teacher"].lineage_id == teacher.pk
    assert current["Buy school uniform"].status == "done"
    assert current["Tutoring twice a week"].origin_id is None


def test_editing_a_plan_rematerializes_it(fill: Any, case: Any, people: Any) -> None:
    from bridgeway.care.services import approval_decide

    fill("bw_psychosocial_assessment", case)
    plan = fill("bw_reintegration_plan", case)
    approval_decide(actor=people.supervisor, record_id=plan.pk, approve=False,
                    comment="Add a health goal.")
    plan.refresh_from_db()
    values = plan_values()
    values["goal"].append({"goal_domain": "health", "goal_text": "Dental check",
                           "goal_status": "not_started", "action": []})
    form_record_update(actor=people.caseworker, record_id=plan.pk,
                       expected_version=plan.version, values=values)
    current = PlanGoal.objects.filter(case_id=case.pk, superseded_at__isnull=True)
    assert sorted(current.values_list("domain", "record_version")) == [
        ("education", 3), ("family", 3), ("health", 3)]
    assert PlanGoal.objects.filter(record=plan, record_version=1).count() == 2


def test_a_decision_record_asks_for_approval(fill: Any, case: Any, people: Any) -> None:
    bid = fill("bw_bid_panel", case)
    approval = Approval.objects.get(care_record__record=bid)
    assert (approval.decision, approval.requested_by, approval.record_version) == (
        "pending", people.caseworker, 1)
    assert CaseEvent.objects.filter(case=case, kind="approval_requested").exists()
    assert AuditEntry.objects.filter(object_type="approval", action="create",
                                     object_id=str(approval.pk)).exists()
    # Not for assessments, and not for drafts.
    fill("bw_initial_assessment", case)
    fill("bw_case_closure", case, draft=True)
    assert Approval.objects.count() == 1


def test_a_plan_before_the_psychosocial_assessment_waits(fill: Any, case: Any) -> None:
    plan = fill("bw_reintegration_plan", case)
    assert not Approval.objects.exists()
    event = CaseEvent.objects.get(case=case, kind="approval_waiting")
    assert event.params == {"record_id": plan.pk, "purpose": "reintegration_plan",
                            "reason": "psychosocial_assessment_missing"}
    # The plan itself is kept: nothing filled in is lost.
    assert FormRecord.objects.get(pk=plan.pk).status == "submitted"


def test_odk_submissions_enter_the_workflow(builtin: Any, case: Any, people: Any) -> None:
    """A form filled offline on ODK Collect counts like one filled on the web; a plan sent
    before the psychosocial assessment is kept, and waits."""
    from bridgeway.forms.services import odk_submission_receive
    from tests.forms.odk_support import collect_submission

    xml, _ = collect_submission(builtin["bw_initial_assessment"].xform,
                                {"case_number": case.case_number,
                                 **initial_values(risk="none")})
    outcome = odk_submission_receive(actor=people.caseworker, xml=xml, files=[])
    assert outcome.result == "created", outcome.errors
    case.refresh_from_db()
    assert case.risk_level == "none" and case.first_assessment_done_at is not None

    xml, _ = collect_submission(builtin["bw_reintegration_plan"].xform,
                                {"case_number": case.case_number, **plan_values()})
    outcome = odk_submission_receive(actor=people.caseworker, xml=xml, files=[])
    assert outcome.result == "created", outcome.errors
    assert outcome.record is not None and outcome.record.channel == "odk"
    assert PlanGoal.objects.filter(record=outcome.record).count() == 2
    assert PlanAction.objects.filter(goal__record=outcome.record).count() == 3
    assert not Approval.objects.exists()
    assert CaseEvent.objects.filter(case=case, kind="approval_waiting").exists()
