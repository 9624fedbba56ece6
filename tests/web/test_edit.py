"""Editing with optimistic concurrency: saves, validation, and the conflict screen that
never overwrites a newer save and never loses what the user typed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from bridgeway.audit.models import AuditEntry
from bridgeway.cases.models import Case
from bridgeway.registry.models import Child
from tests.web.conftest import form_fields

pytestmark = pytest.mark.django_db


def edit_url(case):
    return reverse("web:case_edit", args=[case.pk])


def load(client, case) -> dict[str, str]:
    response = client.get(edit_url(case))
    assert response.status_code == 200
    return form_fields(response.content.decode(), edit_url(case))


def session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def names_of(case) -> list[str]:
    return [n.value for n in Child.objects.get(pk=case.child_id).names.all()]


def test_edit_form_starts_from_the_saved_record(people, register, login):
    case = register(case={"risk_level": "high", "alleged_offence": "Alleged theft"})
    data = load(login(people.caseworker), case)
    assert data["names[0].value"] == "Aisyah" and data["names[1].value"] == "Rahman"
    assert data["aliases[0].value"] == "عائشة" and data["aliases[0].latin"] == "Aisha"
    assert data["case.risk_level"] == "high" and data["case.alleged_offence"] == "Alleged theft"
    assert data["family[0].is_caregiver"] == "on"
    assert data["child_version"] == "1" and data["case_version"] == "1"
    assert data["names[2].value"] == ""  # a blank row to add a name part


def test_save_changes_both_halves(people, register, login):
    case = register()
    client = login(people.caseworker)
    data = load(client, case)
    data.update({"names[2].kind": "middle", "names[2].value": "Nur",
                 "case.risk_level": "low", "case.victim_status": "recognized"})
    response = client.post(edit_url(case), data)
    assert response.status_code == 302
    assert names_of(case) == ["Aisyah", "Rahman", "Nur"]
    saved = Case.objects.get(pk=case.pk)
    assert (saved.risk_level, saved.victim_status, saved.version) == ("low", "recognized", 2)
    assert saved.child.version == 2
    assert AuditEntry.objects.filter(action="update", case_id=case.pk).count() == 2


def test_only_the_changed_half_is_written(people, register, login):
    case = register()
    client = login(people.caseworker)
    data = load(client, case)
    data["case.association_place"] = "Marawi"
    assert client.post(edit_url(case), data).status_code == 302
    saved = Case.objects.get(pk=case.pk)
    assert saved.association_place == "Marawi" and saved.version == 2
    assert saved.child.version == 1


def test_saving_without_changes_writes_nothing(people, register, login):
    case = register()
    client = login(people.caseworker)
    response = client.post(edit_url(case), load(client, case), follow=True)
    assert "Nothing was changed." in response.content.decode()
    saved = Case.objects.get(pk=case.pk)
    assert saved.version == 1 and saved.child.version == 1


def test_errors_from_both_halves_at_once_and_nothing_saved(people, register, login):
    case = register()
    client = login(people.caseworker)
    data = load(client, case)
    data.update({"names[0].value": "ნინო", "case.alleged_offence": "z" * 2001,
                 "case.association_place": "Kept place"})
    response = client.post(edit_url(case), data)
    assert response.status_code == 400
    errors = response.context["errors"]
    assert "names[0].value" in errors and "case.alleged_offence" in errors
    body = response.content.decode()
    assert "ნინო" in body and "Kept place" in body and "z" * 2001 in body
    saved = Case.objects.get(pk=case.pk)
    assert saved.version == 1 and saved.child.version == 1 and saved.association_place == ""


def test_removing_every_name_is_refused(people, register, login):
    case = register()
    client = login(people.caseworker)
    data = load(client, case)
    data.update({"names[0].value": "", "names[1].value": "", "aliases[0].value": "",
                 "aliases[0].latin": ""})
    response = client.post(edit_url(case), data)
    assert response.status_code == 400 and "names" in response.context["errors"]
    assert names_of(case) == ["Aisyah", "Rahman"]


def test_age_18_plus_on_edit_is_refused(people, register, login):
    case = register()
    client = login(people.caseworker)
    data = load(client, case)
    data["date_of_birth"] = (date.today() - timedelta(days=365 * 20)).isoformat()
    response = client.post(edit_url(case), data)
    assert response.status_code == 400 and "__all__" in response.context["errors"]


def test_concurrent_edit_second_save_gets_the_conflict_screen(people, register):
    case = register()
    first, second = session(people.caseworker), session(people.supervisor)
    first_form, second_form = load(first, case), load(second, case)

    first_form["names[0].value"] = "Aisya"
    assert first.post(edit_url(case), first_form).status_code == 302

    second_form["names[0].value"] = "Aishah Binti"
    second_form["case.alleged_offence"] = "Text typed by the second user"
    conflict = second.post(edit_url(case), second_form)
    assert conflict.status_code == 409
    body = conflict.content.decode()
    # The database holds the first save; nothing of the second was written.
    assert names_of(case) == ["Aisya", "Rahman"]
    assert Case.objects.get(pk=case.pk).alleged_offence == ""
    # The conflict page shows the second user's input AND the saved values side by side.
    assert "Someone else saved this record" in body
    compare = body.split('class="compare"', 1)[1].split("</table>", 1)[0]
    assert "Aishah Binti" in compare and "Aisya" in compare
    assert "Text typed by the second user" in compare
    # ... and offers the form again, with the user's input, on top of the newer version.
    retry = form_fields(body, edit_url(case))
    assert retry["names[0].value"] == "Aishah Binti"
    assert retry["case.alleged_offence"] == "Text typed by the second user"
    assert retry["child_version"] == "2"
    assert AuditEntry.objects.filter(action="conflict", case_id=case.pk).count() == 1

    assert second.post(edit_url(case), retry).status_code == 302
    assert names_of(case) == ["Aishah Binti", "Rahman"]
    assert Case.objects.get(pk=case.pk).alleged_offence == "Text typed by the second user"


def test_untouched_half_does_not_conflict_and_nothing_is_lost(people, register):
    case = register()
    first, second = session(people.caseworker), session(people.supervisor)
    first_form, second_form = load(first, case), load(second, case)
    first_form["names[0].value"] = "Aisya"
    assert first.post(edit_url(case), first_form).status_code == 302
    second_form["case.risk_level"] = "low"  # the second user never touched the names
    assert second.post(edit_url(case), second_form).status_code == 302
    assert names_of(case) == ["Aisya", "Rahman"]
    assert Case.objects.get(pk=case.pk).risk_level == "low"


def test_conflict_merge_keeps_the_other_users_change_to_fields_you_did_not_touch(
        people, register):
    case = register(case={"risk_level": "high"})
    first, second = session(people.caseworker), session(people.supervisor)
    first_form, second_form = load(first, case), load(second, case)
    first_form["case.risk_level"] = "medium"
    assert first.post(edit_url(case), first_form).status_code == 302
    second_form["case.victim_status"] = "recognized"
    conflict = second.post(edit_url(case), second_form)
    assert conflict.status_code == 409
    outcomes = {d.label: d.outcome for d in conflict.context["differences"]}
    assert outcomes == {"Risk level": "theirs", "Victim status": "mine"}
    retry = form_fields(conflict.content.decode(), edit_url(case))
    assert retry["case.risk_level"] == "medium" and retry["case.victim_status"] == "recognized"
    assert second.post(edit_url(case), retry).status_code == 302
    saved = Case.objects.get(pk=case.pk)
    assert (saved.risk_level, saved.victim_status) == ("medium", "recognized")


def test_field_changed_by_both_is_flagged(people, register):
    case = register()
    first, second = session(people.caseworker), session(people.supervisor)
    first_form, second_form = load(first, case), load(second, case)
    first_form["place_of_birth"] = "Mosul"
    assert first.post(edit_url(case), first_form).status_code == 302
    second_form["place_of_birth"] = "Tal Afar"
    conflict = second.post(edit_url(case), second_form)
    both = [d for d in conflict.context["differences"] if d.outcome == "both"]
    assert [(d.mine, d.saved) for d in both] == [("Tal Afar", "Mosul")]
    assert "both changed" in conflict.content.decode()


def test_closed_case_is_not_editable_by_its_caseworker(people, register, login):
    from bridgeway.cases.services import case_decide_closure, case_request_closure

    case = register()
    case_request_closure(actor=people.caseworker, case_id=case.pk, reason="moved")
    case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=True)
    client = login(people.caseworker)
    assert client.get(reverse("web:case_detail", args=[case.pk])).status_code == 200
    assert client.get(edit_url(case)).status_code == 403


def test_child_with_only_a_claimed_age_can_have_a_name_corrected(people, register, login):
    case = register(date_of_birth=None, age_assessments=[{"method": "claimed",
                                                          "claimed_age_years": 15}])
    client = login(people.caseworker)
    data = load(client, case)
    data["names[0].value"] = "Aisya"
    assert client.post(edit_url(case), data).status_code == 302


def _two_years_later(case) -> None:
    """Time passes: the child registered at 17 is now 19 (the record's dates move back)."""
    child = Child.objects.get(pk=case.child_id)
    shift = timedelta(days=365 * 2 + 1)
    Child.objects.filter(pk=child.pk).update(
        registered_at=child.registered_at - shift,
        date_of_birth=child.date_of_birth - shift,
        youngest_birth_date=child.youngest_birth_date - shift)


def test_a_child_who_turned_18_during_the_case_can_still_be_edited(people, register, login):
    case = register(date_of_birth=(date.today() - timedelta(days=365 * 17 + 30)).isoformat())
    _two_years_later(case)
    client = login(people.caseworker)
    data = load(client, case)
    data["names[0].value"] = "Aisya"
    response = client.post(edit_url(case), data)
    assert response.status_code == 302, response.context and response.context.get("errors")
    assert names_of(case)[0] == "Aisya"
    # ...but a date of birth that made them 18 or more when they were registered is refused
    data = load(client, case)
    data["date_of_birth"] = (date.today() - timedelta(days=365 * 21)).isoformat()
    response = client.post(edit_url(case), data)
    assert response.status_code == 400 and "__all__" in response.context["errors"]
    assert names_of(case)[0] == "Aisya"
