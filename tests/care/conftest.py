"""Fixtures for the care workflow tests: the built-in forms loaded, a case, valid answers
for each built-in form, a helper that fills a form through the forms service, and a clock
that can be moved forward (deadlines are about time passing)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from bridgeway.forms import services as form_services
from bridgeway.forms.xlsform import ConvertedForm, convert_xlsform

_CONVERTED: dict[str, ConvertedForm] = {}


def _convert_once(data: bytes) -> ConvertedForm:
    """pyxform takes about a second for the eight built-in workbooks: convert each once
    per test session (the result depends only on the bytes)."""
    key = hashlib.sha256(data).hexdigest()
    if key not in _CONVERTED:
        _CONVERTED[key] = convert_xlsform(data)
    return _CONVERTED[key]


@pytest.fixture
def builtin(db: Any, monkeypatch: Any) -> dict[str, Any]:
    """The built-in forms, loaded as an installation loads them: form_id -> FormVersion."""
    monkeypatch.setattr(form_services, "convert_xlsform", _convert_once)
    return {r.version.form.form_id: r.version for r in form_services.forms_load_builtin()}


@pytest.fixture
def case(register: Any, people: Any) -> Any:
    """A case of agency A (child protection), assigned to ``people.caseworker``."""
    return register(actor=people.caseworker)


def today() -> date:
    return timezone.localdate()


def iso(day: date) -> str:
    return day.isoformat()


def heard(views: str = "I want to go back to school and live with my aunt.",
          weight: str = "The plan starts with school enrolment, as the child asked."
          ) -> dict[str, str]:
    return {"child_heard_how": "directly", "child_views": views, "child_views_weight": weight}


def initial_values(risk: str = "low") -> dict[str, Any]:
    return {"assessment_date": iso(today()), "consent_basis": "child_consent",
            "identification_source": "community", "living_situation": "relatives",
            "separation": "separated", "immediate_concerns": "distress",
            "risk_level": risk, "risk_reason": "Stable placement with an aunt.",
            "immediate_actions": "pfa", **heard()}


def psychosocial_values() -> dict[str, Any]:
    values: dict[str, Any] = {"assessment_date": iso(today()), "sessions": "2",
                              "consent_basis": "child_consent", "distress_signs": "sleep",
                              "assessor_summary": "Strong bond with the aunt; needs school.",
                              **heard()}
    for name in ("res_strengths", "res_relationships", "res_coping", "res_aspirations"):
        values[name] = "2"
    for name in ("need_safety", "need_emotional", "need_health", "need_family",
                 "need_education", "need_documentation", "need_legal", "vul_separation",
                 "vul_violence", "vul_stigma", "vul_group_contact", "vul_substance",
                 "vul_disability", "vul_liberty"):
        values[name] = "1"
    return values


def plan_values(goals: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    soon = today() + timedelta(days=30)
    return {
        "plan_date": iso(today()), "plan_review_date": iso(today() + timedelta(days=60)),
        "follow_up_months": "24", "overall_objective": "Back to school, living with family.",
        "goal": goals if goals is not None else [
            {"goal_domain": "education", "goal_text": "Enrol in the local school",
             "goal_status": "not_started",
             "action": [
                 {"action_text": "Meet the head teacher", "responsible_agency": "Agency A",
                  "due_date": iso(soon), "action_status": "not_started"},
                 {"action_text": "Buy school uniform", "responsible_agency": "Parish fund",
                  "due_date": iso(soon + timedelta(days=10)), "action_status": "in_progress"},
             ]},
            {"goal_domain": "family", "goal_text": "Weekly visits to the mother",
             "goal_status": "in_progress",
             "action": [{"action_text": "Arrange transport", "responsible_agency": "HEALTH-CLINIC",
                         "due_date": iso(soon), "action_status": "not_started"}]},
        ],
        "child_agreement": "agrees", **heard(), **extra}


def bid_values() -> dict[str, Any]:
    return {"panel_date": iso(today()), "bid_subject": "alternative_care",
            "bia_reference": "BIA-2025-01",
            "panel_member": [{"member_name": "R. Sari", "member_role": "chair",
                              "member_agency": "Agency A"}],
            "conflicts_declared": "no", "options_considered": "Kinship care; foster care.",
            "decision": "Kinship care with the aunt.", "decision_reasons": "Safe and wanted.",
            "decision_mode": "consensus", "review_date": iso(today() + timedelta(days=90)),
            "child_informed": "yes", **heard()}


def closure_values(reason: str = "goals_achieved") -> dict[str, Any]:
    values: dict[str, Any] = {"closure_date": iso(today()), "closure_reason": reason,
                              "final_risk_level": "low",
                              "outcome_summary": "In school, living with the aunt.",
                              "supervisor_name": "S. Visor"}
    if reason != "died":
        values.update(child_informed="yes", **heard())
    return values


def follow_up_values(risk: str = "medium") -> dict[str, Any]:
    return {"visit_date": iso(today()), "visit_type": "home", "child_seen": "yes",
            "wellbeing_change": "better", "school_attendance": "regular",
            "family_relationships": "same", "services_received": "education",
            "plan_progress": "Enrolled.", "new_safety_concerns": "no", "risk_level": risk,
            "plan_review_needed": "no", **heard()}


def action_named(text: str = "Meet the head teacher", **filters: Any) -> Any:
    """The one plan action with these words among ``filters``' rows. The text is encrypted
    at rest, so the database cannot compare it: the rows are matched after decryption."""
    from bridgeway.care.models import PlanAction

    [found] = [a for a in PlanAction.objects.filter(**filters).order_by("pk") if a.text == text]
    return found


VALUES: dict[str, Callable[[], dict[str, Any]]] = {
    "bw_initial_assessment": initial_values,
    "bw_psychosocial_assessment": psychosocial_values,
    "bw_reintegration_plan": plan_values,
    "bw_bid_panel": bid_values,
    "bw_case_closure": closure_values,
    "bw_follow_up_visit": follow_up_values,
}


@pytest.fixture
def fill(builtin: dict[str, Any], people: Any) -> Any:
    """fill(form_id, case, actor=caseworker, values=None, draft=False) -> FormRecord, through
    ``forms.services.form_record_submit`` (the path web forms take)."""

    def _fill(form_id: str, case: Any, *, actor: Any = None,
              values: dict[str, Any] | None = None, draft: bool = False) -> Any:
        return form_services.form_record_submit(
            actor=actor or people.caseworker, case_id=case.pk,
            form_version_id=builtin[form_id].pk,
            values=values if values is not None else VALUES[form_id](), draft=draft)

    return _fill


@pytest.fixture
def approved_plan(fill: Any, case: Any, people: Any) -> Any:
    """A case with a psychosocial assessment and an approved plan; returns the plan record."""
    from bridgeway.care.services import approval_decide

    fill("bw_psychosocial_assessment", case)
    plan = fill("bw_reintegration_plan", case)
    approval_decide(actor=people.supervisor, record_id=plan.pk, approve=True)
    plan.refresh_from_db()
    return plan


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch: Any) -> Clock:
    """Moves ``timezone.now`` (and so ``localdate``) forward for everything that asks."""
    clock = Clock()
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + clock.offset)
    return clock


@pytest.fixture
def second_supervisor(people: Any) -> Any:
    """Another supervisor of the caseworker's agency: the second pair of eyes."""
    from bridgeway.accounts.models import User

    return User.objects.create_user(username="second_supervisor", agency=people.agency_a,
                                    role="supervisor", password="pw-second_supervisor")
