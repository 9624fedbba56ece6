from __future__ import annotations

from datetime import date, timedelta

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.cases.models import Case
from bridgeway.core.errors import ValidationFailed
from bridgeway.registry.models import Child, NameKey
from bridgeway.registry.services import child_register
from tests.conftest import child_payload

pytestmark = pytest.mark.django_db


def _nothing_stored() -> None:
    assert Child.objects.count() == 0
    assert Case.objects.count() == 0
    assert NameKey.objects.count() == 0


def test_registration_opens_case_assigned_to_registering_caseworker(people, register):
    case = register()
    assert case.case_number.startswith("BW-")
    assert case.assigned_to == people.caseworker
    assert case.owning_agency == people.agency_a
    assert case.first_assessment_due is not None
    assert case.tasks.filter(source_key="first_assessment").exists()
    assert AuditEntry.objects.filter(action="create", object_type="case").count() == 1


def test_non_latin_name_gets_latin_transliteration(people, register):
    case = register(names=[{"kind": "given", "value": "محمد"}])
    name = case.child.names.get()
    assert name.script == "Arab"
    assert name.latin  # derived when not given


@pytest.mark.parametrize("names,field", [
    ([], "names"),
    ([{"kind": "given", "value": ""}], "names[0].value"),
    ([{"kind": "given", "value": "x" * 201}], "names[0].value"),
    ([{"kind": "given", "value": "Ali محمد"}], "names[0].value"),
    ([{"kind": "given", "value": "Ali", "script": "Zzzz"}], "names[0].script"),
    ([{"kind": "given", "value": "محمد", "script": "Latn"}], "names[0].script"),
    ([{"kind": "nickname", "value": "Ali"}], "names[0].kind"),
    ("Ali", "names"),
])
def test_bad_names_are_refused_and_nothing_stored(people, names, field):
    with pytest.raises(ValidationFailed) as exc:
        child_register(actor=people.caseworker, child=child_payload(names=names), case={})
    assert field in exc.value.errors
    _nothing_stored()


@pytest.mark.parametrize("overrides,field", [
    ({"date_of_birth": "2010-02-30"}, "date_of_birth"),
    ({"date_of_birth": (date.today() + timedelta(days=1)).isoformat()}, "date_of_birth"),
    ({"date_of_birth": 20100101}, "date_of_birth"),
    ({"sex": "robot"}, "sex"),
    ({"nationalities": ["XX"]}, "nationalities[0]"),
    ({"languages": ["english"]}, "languages[0]"),
    ({"identifiers": [{"id_type": "passport", "value": "--"}]}, "identifiers[0].value"),
    ({"family": [{"relationship": "mother"}]}, "family[0].name"),
    ({"place_of_birth": "x" * 5000}, "place_of_birth"),
])
def test_bad_identity_input_is_refused(people, overrides, field):
    with pytest.raises(ValidationFailed) as exc:
        child_register(actor=people.caseworker, child=child_payload(**overrides), case={})
    assert field in exc.value.errors, exc.value.errors
    _nothing_stored()


def test_person_aged_18_or_more_is_refused_with_clear_message(people):
    dob = date.today().replace(year=date.today().year - 19)
    with pytest.raises(ValidationFailed) as exc:
        child_register(actor=people.caseworker,
                       child=child_payload(date_of_birth=dob.isoformat()), case={})
    assert "under 18" in exc.value.errors["__all__"][0]
    _nothing_stored()


def test_claim_to_be_under_18_registers_as_child_despite_older_document(people):
    # Documents say 19, the child says 16: the lowest plausible age applies.
    dob = date.today().replace(year=date.today().year - 19)
    case = child_register(actor=people.caseworker, child=child_payload(
        date_of_birth=dob.isoformat(),
        age_assessments=[{"method": "claimed", "claimed_age_years": 16}]), case={})
    assert case.child.youngest_birth_date > dob


def test_assessed_range_reaching_below_18_registers_as_child(people):
    case = child_register(actor=people.caseworker, child=child_payload(
        date_of_birth=None,
        age_assessments=[{"method": "medical", "assessed_min_years": "17.0",
                          "assessed_max_years": "21.0"}]), case={})
    from bridgeway.registry.age import age_on
    assert age_on(case.child.youngest_birth_date, date.today()) == 17


def test_assessed_range_min_above_max_is_refused(people):
    with pytest.raises(ValidationFailed) as exc:
        child_register(actor=people.caseworker, child=child_payload(
            age_assessments=[{"method": "medical", "assessed_min_years": 16,
                              "assessed_max_years": 14}]), case={})
    assert "age_assessments[0].assessed_max_years" in exc.value.errors
    _nothing_stored()


def test_no_age_evidence_is_refused(people):
    with pytest.raises(ValidationFailed) as exc:
        child_register(actor=people.caseworker, child=child_payload(date_of_birth=None),
                       case={})
    assert "date_of_birth" in exc.value.errors
    _nothing_stored()


def test_bad_case_fields_are_refused(people):
    with pytest.raises(ValidationFailed) as exc:
        child_register(actor=people.caseworker, child=child_payload(),
                       case={"risk_level": "extreme", "association_country": "QQ"})
    assert {"case.risk_level", "case.association_country"} <= set(exc.value.errors)
    _nothing_stored()


def test_analyst_cannot_register(people):
    from bridgeway.core.errors import NotAllowed
    with pytest.raises(NotAllowed):
        child_register(actor=people.analyst, child=child_payload(), case={})
    _nothing_stored()


def test_second_open_case_in_same_agency_is_refused(people, register):
    from bridgeway.cases.services import case_open, validate_case_fields
    from bridgeway.core.errors import DomainError
    case = register()
    with pytest.raises(DomainError):
        case_open(actor=people.caseworker, child=case.child,
                  fields=validate_case_fields({}), opened_at=case.opened_at)
    assert Case.objects.count() == 1


def test_edit_keeps_prior_age_evidence(people):
    """An edit adds age evidence; the lowest plausible age still counts what was recorded."""
    from bridgeway.registry.services import child_update

    case = child_register(actor=people.caseworker, child=child_payload(
        date_of_birth=None, age_assessments=[{"method": "claimed", "claimed_age_years": 15}]),
        case={})
    older = child_payload(date_of_birth=None, names=[{"kind": "given", "value": "Aisya"}],
                          age_assessments=[{"method": "document", "claimed_age_years": 19}])
    child = child_update(actor=people.caseworker, case_id=case.pk, expected_version=1,
                         child=older)
    assert child.names.get().value == "Aisya"
    assert child.youngest_birth_date == case.child.youngest_birth_date  # still 15
    assert child.age_assessments.count() == 2
