"""Narrowing the case list and a name search by the child's sex and age for all purposes:
namesakes told apart, children whose sex or age was not recorded always kept, the age
bounds exact to the day, and every bad value refused with a clear error (web and API)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from bridgeway.cases.models import Case
from bridgeway.cases.selectors import CaseFilters, case_list
from bridgeway.core.errors import ValidationFailed
from bridgeway.registry import age
from bridgeway.registry.models import Child
from tests.api.conftest import client_with_token

pytestmark = pytest.mark.django_db
NAME = [{"kind": "given", "value": "Putri"}, {"kind": "family", "value": "Utami"}]


def _born(years: int, days: int = 0) -> str:
    return (age.add_years(timezone.localdate(), -years) - timedelta(days=days)).isoformat()


@pytest.fixture
def namesakes(people: Any, register: Any) -> dict[str, int]:
    """Five children called Putri Utami: two girls (10 and 15), a boy of 15, one whose sex
    is unknown (12), one girl whose age is not recorded."""
    def child(sex: str, born: str) -> int:
        return register(names=NAME, sex=sex, date_of_birth=born, aliases=[],
                        identifiers=[]).child_id

    made = {"girl10": child("female", _born(10, 3)), "girl15": child("female", _born(15, 3)),
            "boy15": child("male", _born(15, 3)), "unknown12": child("unknown", _born(12, 3)),
            "girl_no_age": child("female", _born(13, 3))}
    Child.objects.filter(pk=made["girl_no_age"]).update(youngest_birth_date=None)
    return made


def _case_numbers(*child_ids: int) -> set[str]:
    return set(Case.objects.filter(child_id__in=child_ids).values_list("case_number",
                                                                       flat=True))


def _numbers(html: str) -> set[str]:
    return set(re.findall(r"BW-\d{4}-\d{6}", html))


def _found(actor: Any, **params: str) -> set[int]:
    filters = CaseFilters.from_params({"q": "Putri Utami", **params})
    return {c.child_id for c in case_list(actor=actor, filters=filters).cases}


def test_sex_keeps_that_sex_and_the_unknown(people, namesakes):
    assert _found(people.supervisor, sex="female") == {
        namesakes["girl10"], namesakes["girl15"], namesakes["unknown12"],
        namesakes["girl_no_age"]}
    assert _found(people.supervisor, sex="male") == {
        namesakes["boy15"], namesakes["unknown12"]}
    assert len(_found(people.supervisor)) == 5


def test_age_range_keeps_the_children_of_unknown_age(people, namesakes):
    assert _found(people.supervisor, age_from="14") == {
        namesakes["girl15"], namesakes["boy15"], namesakes["girl_no_age"]}
    assert _found(people.supervisor, age_to="12") == {
        namesakes["girl10"], namesakes["unknown12"], namesakes["girl_no_age"]}
    # Both at once: the girl of 15, the child of unknown sex aged 12, the girl of unknown age.
    assert _found(people.supervisor, sex="female", age_from="11", age_to="15") == {
        namesakes["girl15"], namesakes["unknown12"], namesakes["girl_no_age"]}
    assert _found(people.supervisor, sex="female", age_from="13", age_to="15") == {
        namesakes["girl15"], namesakes["girl_no_age"]}


def test_narrowing_applies_to_the_list_without_a_search(people, namesakes):
    filters = CaseFilters.from_params({"sex": "male"})
    got = {c.child_id for c in case_list(actor=people.supervisor, filters=filters).cases}
    assert got == {namesakes["boy15"], namesakes["unknown12"]}


@pytest.mark.parametrize("today", [date(2026, 12, 4), date(2028, 2, 29), date(2027, 3, 1)])
@pytest.mark.parametrize("years", [0, 1, 10, 17])
def test_age_bound_is_exact_to_the_day(today, years):
    """The latest birth date of a child aged ``years`` is aged ``years``; a day later is
    younger, by the same rule as the age the pages show (29 February included)."""
    born = age.latest_birth_date_for_age(years, today)
    assert age.age_on(born, today) >= years
    assert age.age_on(born + timedelta(days=1), today) < years


@pytest.mark.parametrize(("params", "field"), [
    ({"sex": "girl"}, "sex"),
    ({"age_from": "ten"}, "age_from"),
    ({"age_from": "-1"}, "age_from"),
    ({"age_to": "31"}, "age_to"),
    ({"age_to": "1.5"}, "age_to"),
    ({"age_from": "\u00b2"}, "age_from"),  # a digit int() does not take
    ({"assigned_to": "\u00b2"}, "assigned_to"),
    ({"age_from": "15", "age_to": "10"}, "age_to"),
])
def test_bad_narrowing_is_refused_naming_the_field(params, field):
    with pytest.raises(ValidationFailed) as caught:
        CaseFilters.from_params(params)
    assert field in caught.value.errors


def test_web_list_narrows_and_refuses_bad_values(people, namesakes, client):
    client.force_login(people.supervisor)
    url = reverse("web:case_list")
    page = client.get(url, {"q": "Putri Utami", "sex": "male"})
    assert page.status_code == 200
    assert _numbers(page.content.decode()) == _case_numbers(
        namesakes["boy15"], namesakes["unknown12"])
    bad = client.get(url, {"q": "Putri Utami", "age_from": "15", "age_to": "10"})
    assert bad.status_code == 400
    assert "Must not be below the lowest age." in bad.content.decode()
    assert 'id="sex"' in page.content.decode() and 'id="age_from"' in page.content.decode()


def test_api_list_narrows_and_refuses_bad_values(people, namesakes):
    api = client_with_token(people.supervisor)
    url = "/api/v1/cases/"
    response = api.get(url, {"q": "Putri Utami", "sex": "female", "age_from": "14"})
    assert response.status_code == 200, response.content
    got = {item["case_number"] for item in response.json()["items"]}
    assert got == _case_numbers(namesakes["girl15"], namesakes["girl_no_age"])
    for params in ({"sex": "girl"}, {"age_from": "-1"}, {"age_to": "99"},
                   {"age_from": "12", "age_to": "11"}):
        refused = api.get(url, params)
        assert refused.status_code == 400, (params, refused.content)
