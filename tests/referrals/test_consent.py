"""Consent records: who may consent at which age, guardianship, overrides, scope, and
withdrawal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bridgeway.audit.models import AuditEntry
from bridgeway.core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.referrals import services as svc
from bridgeway.referrals.models import ConsentGiver
from bridgeway.registry.models import FamilyMember
from tests.referrals.conftest import born_years_ago, child_consent

pytestmark = pytest.mark.django_db


def in_days(n: int) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


def consent_input(**overrides):
    data = {"given_by": "representative", "categories": ["identity", "health"],
            "purpose": "medical check", "valid_until": in_days(30)}
    data.update(overrides)
    return svc.ConsentInput(**data)


@pytest.fixture
def young_case(people, register):
    """A 10-year-old whose mother is the recorded guardian and whose father is not."""
    return register(actor=people.caseworker, date_of_birth=born_years_ago(10), family=[
        {"relationship": "mother", "name": "Siti", "is_legal_guardian": True},
        {"relationship": "father", "name": "Ahmad", "is_legal_guardian": False},
        {"relationship": "aunt_uncle", "name": "Nur", "is_legal_guardian": False},
    ])


def member(case, relationship):
    return FamilyMember.objects.get(child_id=case.child_id, relationship=relationship)


def test_under_13_guardian_consents_with_assent_and_views(people, young_case):
    consent = svc.consent_record(
        actor=people.caseworker, case_id=young_case.pk,
        data=consent_input(family_member_id=member(young_case, "mother").pk,
                           receiving_agency_id=people.agency_health.pk, child_assent=True,
                           child_views="Wants to see the doctor with her mother."))
    assert consent.given_by == ConsentGiver.REPRESENTATIVE
    assert consent.child_age == 10
    assert consent.representative_name == "Siti"
    assert consent.categories == ["health", "identity"]
    entry = AuditEntry.objects.filter(object_type="consent").get()
    assert entry.case_id == young_case.pk and entry.action == "create"
    assert young_case.events.filter(kind="consent_recorded").exists()


def test_consent_by_parent_not_recorded_as_guardian_is_refused(people, young_case):
    for relationship in ("father", "aunt_uncle"):
        with pytest.raises(ValidationFailed) as exc:
            svc.consent_record(
                actor=people.caseworker, case_id=young_case.pk,
                data=consent_input(family_member_id=member(young_case, relationship).pk,
                                   receiving_agency_id=people.agency_health.pk,
                                   child_assent=True, child_views="ok"))
        assert "not recorded as the child's legal guardian" in exc.value.errors[
            "family_member_id"][0]


def test_family_member_of_another_child_is_refused(people, young_case, register):
    other = register(actor=people.caseworker, names=[{"kind": "given", "value": "Lain"}])
    stranger = FamilyMember.objects.get(child_id=other.child_id)
    assert stranger.is_legal_guardian
    with pytest.raises(ValidationFailed) as exc:
        svc.consent_record(actor=people.caseworker, case_id=young_case.pk,
                           data=consent_input(family_member_id=stranger.pk,
                                              receiving_agency_id=people.agency_health.pk,
                                              child_assent=True, child_views="ok"))
    assert exc.value.errors["family_member_id"] == ["Not a family member recorded for this "
                                                    "child."]


def test_under_13_without_assent_needs_a_best_interests_decision(people, young_case):
    mother = member(young_case, "mother").pk
    with pytest.raises(ValidationFailed) as missing:
        svc.consent_record(actor=people.caseworker, case_id=young_case.pk,
                           data=consent_input(family_member_id=mother, child_views="ok",
                                              receiving_agency_id=people.agency_health.pk))
    assert "child_assent" in missing.value.errors
    with pytest.raises(ValidationFailed) as refused:
        svc.consent_record(actor=people.caseworker, case_id=young_case.pk,
                           data=consent_input(family_member_id=mother, child_assent=False,
                                              child_views="Does not want to go.",
                                              receiving_agency_id=people.agency_health.pk))
    assert "best-interests" in refused.value.errors["child_assent"][0]


def test_under_13_cannot_consent_alone(people, young_case):
    with pytest.raises(ValidationFailed) as exc:
        child_consent(people.caseworker, young_case, people.agency_health, ["health"])
    assert "under 13" in exc.value.errors["given_by"][0]


def test_from_13_the_child_consents_not_the_parent(people, register):
    case = register(actor=people.caseworker, date_of_birth=born_years_ago(15))
    mother = FamilyMember.objects.get(child_id=case.child_id)
    with pytest.raises(ValidationFailed) as exc:
        svc.consent_record(actor=people.caseworker, case_id=case.pk,
                           data=consent_input(family_member_id=mother.pk, child_assent=True,
                                              child_views="ok",
                                              receiving_agency_id=people.agency_health.pk))
    assert "own informed consent" in exc.value.errors["given_by"][0]
    with pytest.raises(ValidationFailed) as no_note:
        child_consent(people.caseworker, case, people.agency_health, ["health"],
                      caregiver_involvement="")
    assert "caregiver_involvement" in no_note.value.errors
    consent = child_consent(people.caseworker, case, people.agency_health, ["health"])
    assert consent.given_by == ConsentGiver.CHILD and consent.child_age == 15


def test_best_interests_override_only_by_a_supervisor_with_a_reason(people, young_case):
    data = {"given_by": "best_interests", "receiving_agency_id": people.agency_health.pk,
            "child_views": "Too unwell to be asked.",
            "override_reason": "Urgent medical care needed; guardian cannot be reached."}
    with pytest.raises(NotAllowed):
        svc.consent_record(actor=people.caseworker, case_id=young_case.pk,
                           data=consent_input(**data))
    with pytest.raises(ValidationFailed) as short:
        svc.consent_record(actor=people.supervisor, case_id=young_case.pk,
                           data=consent_input(**{**data, "override_reason": "urgent"}))
    assert "override_reason" in short.value.errors
    consent = svc.consent_record(actor=people.supervisor, case_id=young_case.pk,
                                 data=consent_input(**data))
    assert consent.given_by == ConsentGiver.BEST_INTERESTS
    assert AuditEntry.objects.get(object_type="consent").reason == data["override_reason"]


def test_scope_must_fit_the_receiving_sector(people, sensitive_case):
    with pytest.raises(ValidationFailed) as exc:
        child_consent(people.caseworker, sensitive_case, people.agency_police,
                      ["identity", "justice", "psychosocial"])
    assert "psychosocial" in exc.value.errors["categories"][0]
    with pytest.raises(ValidationFailed) as health:
        child_consent(people.caseworker, sensitive_case, people.agency_health,
                      ["identity", "association_history"])
    assert "association_history" in health.value.errors["categories"][0]


@pytest.mark.parametrize("field,value,message", [
    ("valid_until", "", "required"),
    ("valid_until", "not-a-date", "Not a valid date"),
    ("categories", [], "at least one"),
    ("categories", ["identity", "secrets"], "Unknown data category"),
    ("categories", "identity", "list"),
    ("purpose", "", "required"),
    ("given_by", "neighbour", "Must be one of"),
    ("receiving_agency_id", "abc", "whole number"),
    ("receiving_agency_id", 10**9, "Unknown or inactive agency"),
])
def test_bad_input_is_refused_with_field_errors(people, sensitive_case, field, value, message):
    data = {"categories": ["health"], field: value}
    with pytest.raises(ValidationFailed) as exc:
        child_consent(people.caseworker, sensitive_case, people.agency_health, **data)
    assert any(message in m for m in exc.value.errors[field]), exc.value.errors
    assert not sensitive_case.consents.exists()


def test_validity_period_is_bounded(people, sensitive_case):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    with pytest.raises(ValidationFailed) as backwards:
        child_consent(people.caseworker, sensitive_case, people.agency_health, ["health"],
                      valid_until=yesterday)
    assert "before the consent" in backwards.value.errors["valid_until"][0]
    ten_days_ago = (timezone.localdate() - timedelta(days=10)).isoformat()
    with pytest.raises(ValidationFailed) as past:
        child_consent(people.caseworker, sensitive_case, people.agency_health, ["health"],
                      consented_on=ten_days_ago, valid_until=yesterday)
    assert "lapsed" in past.value.errors["valid_until"][0]
    with pytest.raises(ValidationFailed) as future:
        child_consent(people.caseworker, sensitive_case, people.agency_health, ["health"],
                      consented_on=in_days(2))
    assert "future" in future.value.errors["consented_on"][0]
    with pytest.raises(ValidationFailed) as long:
        child_consent(people.caseworker, sensitive_case, people.agency_health, ["health"],
                      valid_until=in_days(400))
    assert "at most 365 days" in long.value.errors["valid_until"][0]


def test_outsiders_cannot_record_consent_and_cannot_tell_the_case_exists(people,
                                                                          sensitive_case):
    for actor in (people.outsider_supervisor, people.health_worker, people.auditor,
                  people.other_caseworker):
        with pytest.raises(NotFound) as hidden:
            child_consent(actor, sensitive_case, people.agency_health, ["health"])
        with pytest.raises(NotFound) as missing:
            svc.consent_record(actor=actor, case_id=10**9,
                               data=consent_input(receiving_agency_id=1))
        assert str(hidden.value) == str(missing.value)


def test_withdrawal_is_recorded_once_and_creates_a_review_task(people, sensitive_case):
    consent = child_consent(people.caseworker, sensitive_case, people.agency_health,
                            ["health"])
    with pytest.raises(ValidationFailed):
        svc.consent_withdraw(actor=people.caseworker, consent_id=consent.pk, reason="")
    with pytest.raises(NotFound):
        svc.consent_withdraw(actor=people.outsider_supervisor, consent_id=consent.pk,
                             reason="guess")
    svc.consent_withdraw(actor=people.caseworker, consent_id=consent.pk,
                         reason="The child changed her mind.")
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and not consent.is_valid_now()
    with pytest.raises(DomainError, match="already withdrawn"):
        svc.consent_withdraw(actor=people.caseworker, consent_id=consent.pk, reason="again")
    task = sensitive_case.tasks.get(source_key=f"consent_withdrawal:{consent.pk}")
    assert task.status == "open" and task.assigned_to is None  # for the supervisor
    with pytest.raises(NotAllowed):
        svc.consent_review_withdrawal(actor=people.caseworker, consent_id=consent.pk,
                                      note="fine")
    svc.consent_review_withdrawal(actor=people.supervisor, consent_id=consent.pk,
                                  note="Reviewed with the child; no further sharing.")
    task.refresh_from_db()
    assert task.status == "done"
