"""Registering a child through the form: the duplicate check first, then confirmation;
bad input gives clear errors next to the fields, stores nothing and loses nothing typed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from bridgeway.audit.models import AuditEntry
from bridgeway.cases.models import Case
from bridgeway.registry.models import Child

pytestmark = pytest.mark.django_db
REGISTER = reverse("web:register")


def form(**overrides: str) -> dict[str, str]:
    data = {
        "names[0].kind": "given", "names[0].value": "Aisyah", "names[0].latin": "",
        "names[1].kind": "family", "names[1].value": "Rahman", "names[1].latin": "",
        "names[2].kind": "given", "names[2].value": "", "names[2].latin": "",
        "aliases[0].alias_type": "nickname", "aliases[0].value": "عائشة",
        "aliases[0].latin": "Aisha",
        "aliases[1].alias_type": "nickname", "aliases[1].value": "", "aliases[1].latin": "",
        "sex": "female",
        "date_of_birth": (date.today() - timedelta(days=365 * 14)).isoformat(),
        "country_of_birth": "SY", "place_of_birth": "Raqqa", "born_abroad": "",
        "birth_registration": "not_registered",
        "age_assessments[0].method": "claimed", "age_assessments[0].claimed_age_years": "",
        "age_assessments[0].assessed_min_years": "", "age_assessments[0].assessed_max_years": "",
        "nationalities[0]": "ID", "nationalities[1]": "", "languages": "id, ar",
        "identifiers[0].id_type": "camp_registration", "identifiers[0].value": "AH-12345",
        "identifiers[0].issuer": "Camp administration",
        "family[0].relationship": "mother", "family[0].name": "Siti Rahman",
        "family[0].is_caregiver": "on", "family[0].phone": "+62 812 000",
        "case.risk_level": "high", "case.group_type": "terrorist",
        "case.association_mode": "through_family", "case.association_place": "Al-Hol",
        "case.victim_status": "recognized", "case.alleged_offence": "",
    }
    data.update(overrides)
    return data


def _nothing_stored():
    assert Child.objects.count() == 0
    assert Case.objects.count() == 0


def test_register_page_has_fixed_blank_rows_and_needs_no_script(people, login):
    body = login(people.caseworker).get(REGISTER).content.decode()
    assert 'name="names[2].value"' in body and 'name="aliases[1].value"' in body
    assert 'name="case.alleged_offence"' in body and 'name="case.victim_status"' in body
    assert "<script" not in body


def test_first_post_checks_duplicates_and_stores_nothing(people, login):
    response = login(people.caseworker).post(REGISTER, form())
    assert response.status_code == 200
    body = response.content.decode()
    assert "Possible duplicates" in body and "No possible duplicate" in body
    assert 'name="confirm" value="1"' in body
    assert 'value="Aisyah"' in body and "عائشة" in body  # everything typed kept
    _nothing_stored()
    assert AuditEntry.objects.filter(action="search",
                                     detail__purpose="duplicate_check").count() == 1


def test_confirmed_registration_stores_everything(people, login):
    client = login(people.caseworker)
    checked = client.post(REGISTER, form()).context["checked"]
    response = client.post(REGISTER, form(confirm="1", checked=checked))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:case_detail", args=[case.pk])
    child = case.child
    assert [n.value for n in child.names.all()] == ["Aisyah", "Rahman"]
    alias = child.aliases.get()
    assert (alias.value, alias.script, alias.latin) == ("عائشة", "Arab", "Aisha")
    assert child.languages == ["id", "ar"] and child.nationalities == ["ID"]
    assert child.born_abroad is True  # born in SY, national of ID
    ident = child.identifiers.get()  # stored encrypted, found by its blind index
    assert ident.value == "AH-12345" and ident.value_index == ident.index_for("ah 12345")
    assert child.family.get().is_caregiver is True
    assert (case.risk_level, case.group_type, case.victim_status) == (
        "high", "terrorist", "recognized")
    assert case.assigned_to == people.caseworker


def test_possible_duplicate_is_listed_with_a_link_before_saving(people, register, login):
    existing = register()  # Aisyah Rahman, alias عائشة
    response = login(people.caseworker).post(REGISTER, form(**{
        "names[0].value": "Aishah", "names[1].value": "Rachman",
        "identifiers[0].value": "", "identifiers[0].issuer": ""}))
    body = response.content.decode()
    assert reverse("web:case_detail", args=[existing.pk]) in body
    assert existing.case_number in body
    assert Child.objects.count() == 1


def test_duplicates_outside_the_users_scope_are_not_shown(people, register, login):
    register(actor=people.outsider)  # same child, other agency
    response = login(people.caseworker).post(REGISTER, form())
    assert response.context["duplicates"] == []
    assert "No possible duplicate" in response.content.decode()


def test_confirm_of_a_changed_form_checks_again_instead_of_saving(people, login):
    client = login(people.caseworker)
    checked = client.post(REGISTER, form()).context["checked"]
    response = client.post(REGISTER, form(confirm="1", checked=checked,
                                          **{"names[0].value": "Amina"}))
    assert response.status_code == 200 and "Possible duplicates" in response.content.decode()
    _nothing_stored()


def test_supervisor_assigns_at_registration(people, login):
    client = login(people.supervisor)
    data = form(**{"case.assigned_to": str(people.other_caseworker.pk)})
    checked = client.post(REGISTER, data).context["checked"]
    client.post(REGISTER, dict(data, confirm="1", checked=checked))
    assert Case.objects.get().assigned_to == people.other_caseworker


OLD = (date.today() - timedelta(days=365 * 19 + 5)).isoformat()


@pytest.mark.parametrize("overrides,field,message", [
    ({"names[0].value": "", "names[1].value": ""}, "names", "At least one name"),
    ({"date_of_birth": "2010-02-30"}, "date_of_birth", "Not a valid date"),
    ({"date_of_birth": (date.today() + timedelta(days=3)).isoformat()}, "date_of_birth",
     "Cannot be in the future"),
    ({"date_of_birth": OLD}, "__all__", "registers children under 18"),
    ({"names[0].value": "ნინო"}, "names[0].value", "script the registry does not know"),
    ({"names[1].value": "Ali محمد"}, "names[1].value", "mixes scripts"),
    ({"names[1].latin": "محمد"}, "names[1].latin", "must be in Latin script"),
    ({"place_of_birth": "x" * 5000}, "place_of_birth", "At most 200 characters"),
    ({"case.alleged_offence": "y" * 2001}, "case.alleged_offence", "At most 2000 characters"),
    ({"case.risk_level": "apocalyptic"}, "case.risk_level", "Must be one of"),
    ({"nationalities[1]": "XX"}, "nationalities[1]", "Unknown country code"),
    ({"languages": "english"}, "languages", "Not an ISO 639 language code"),
    ({"age_assessments[0].assessed_min_years": "15", "age_assessments[0].assessed_max_years":
      "12"}, "age_assessments[0].assessed_max_years", "below the minimum"),
    ({"family[0].name": "", "family[0].phone": "+1 555"}, "family[0].name", "required"),
    ({"case.association_from": "2024-05-01", "case.association_to": "2023-01-01"},
     "case.association_to", "Ends before it starts"),
])
def test_bad_input_is_refused_with_the_error_by_the_field_and_input_kept(
        people, login, overrides, field, message):
    data = form(**overrides)
    client = login(people.caseworker)
    for attempt in (data, dict(data, confirm="1", checked="anything")):
        response = client.post(REGISTER, attempt)
        assert response.status_code == 400
        errors = response.context["errors"]
        assert field in errors, errors
        assert any(message in m for m in errors[field]), errors[field]
        body = response.content.decode()
        assert "Nothing was saved" in body
        assert "Al-Hol" in body  # what was typed elsewhere is kept
        for name, value in overrides.items():
            if name != "case.risk_level":  # a select cannot show a forged value
                assert value in body or value.replace("'", "&#x27;") in body
    _nothing_stored()


def test_error_in_a_row_after_a_blank_row_points_at_the_row_typed_in(people, login):
    response = login(people.caseworker).post(REGISTER, form(**{
        "names[1].value": "", "names[2].value": "ნინო"}))
    assert "names[2].value" in response.context["errors"]
    assert 'id="f-names-2-value"' in response.content.decode()
    assert 'href="#f-names-2-value"' in response.content.decode()


def test_a_claimed_age_under_18_registers_a_child(people, login):
    """Benefit of the doubt: an adult-looking date of birth, but the child claims 16."""
    client = login(people.caseworker)
    data = form(date_of_birth="", **{"age_assessments[0].claimed_age_years": "16"})
    checked = client.post(REGISTER, data).context["checked"]
    assert client.post(REGISTER, dict(data, confirm="1", checked=checked)).status_code == 302
    assert Child.objects.count() == 1


@pytest.mark.parametrize("persona", ["analyst", "auditor", "sysadmin", "agency_admin"])
def test_roles_that_do_not_register_are_refused(people, login, persona):
    client = login(getattr(people, persona))
    assert client.get(REGISTER).status_code == 403
    assert client.post(REGISTER, form(confirm="1")).status_code == 403
    _nothing_stored()
