"""Agencies and users in the Django admin: a system administrator configures them but
never sees a child record there. They are deactivated, never deleted (the delete page
listed an agency's cases by case number and a user's registered children and timeline
entries, unaudited); no admin page for an agency or user that holds cases shows a case
number or a child's name, and the list pages take no filter through a relation to child
records."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bridgeway.accounts.models import Agency, User
from bridgeway.audit.models import AuditEntry
from bridgeway.cases.models import Case

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(people: Any, register: Any) -> tuple[Case, tuple[str, ...]]:
    """A case of agency A, registered by (and assigned to) the caseworker, with what would
    identify the child on a page."""
    case = register(actor=people.caseworker)
    child = case.child
    return case, (case.case_number, "Aisyah", "Rahman", "Siti Rahman", "Aisha",
                  str(child.public_id), "Child: ", "Case event")


def _pages(people: Any) -> list[str]:
    agency, user = people.agency_a.pk, people.caseworker.pk
    return ["/admin/", "/admin/accounts/", "/admin/accounts/agency/",
            "/admin/accounts/agency/?q=agency", f"/admin/accounts/agency/{agency}/change/",
            f"/admin/accounts/agency/{agency}/history/", "/admin/accounts/agency/add/",
            "/admin/accounts/user/", f"/admin/accounts/user/?agency__id__exact={agency}",
            "/admin/accounts/user/?q=caseworker", f"/admin/accounts/user/{user}/change/",
            f"/admin/accounts/user/{user}/history/", f"/admin/accounts/user/{user}/password/",
            "/admin/accounts/apitoken/"]


def test_no_admin_page_of_an_agency_or_user_holding_cases_shows_child_data(
        admin_client: Client, people: Any, held: Any) -> None:
    _case, markers = held
    before = AuditEntry.objects.count()
    for url in _pages(people):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert not [mark for mark in markers if mark in body], url
    assert AuditEntry.objects.count() == before  # nothing of a child was read


@pytest.mark.parametrize("kind", ["agency", "user"])
def test_the_delete_page_is_refused_and_deletes_nothing(admin_client: Client, people: Any,
                                                         held: Any, kind: str) -> None:
    case, markers = held
    obj = people.agency_a if kind == "agency" else people.caseworker
    url = f"/admin/accounts/{kind}/{obj.pk}/delete/"
    response = admin_client.get(url)
    assert response.status_code == 403
    assert not [mark for mark in markers if mark in response.content.decode()]
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    # Nor through the list's bulk action, which is not offered.
    listing = admin_client.get(f"/admin/accounts/{kind}/").content.decode()
    assert "delete_selected" not in listing
    admin_client.post(f"/admin/accounts/{kind}/",
                      {"action": "delete_selected", "_selected_action": [obj.pk],
                       "post": "yes"})
    model = Agency if kind == "agency" else User
    assert model.objects.filter(pk=obj.pk).exists()
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.owning_agency_id, fresh.assigned_to_id) == (people.agency_a.pk,
                                                              people.caseworker.pk)


def test_an_agency_is_deactivated_instead(admin_client: Client, people: Any,
                                          held: Any) -> None:
    agency = people.agency_a
    response = admin_client.post(f"/admin/accounts/agency/{agency.pk}/change/", {
        "name": agency.name, "code": agency.code, "sector": agency.sector,
        "country": agency.country, "region": ""})  # "active" unticked
    assert response.status_code == 302
    assert Agency.objects.get(pk=agency.pk).active is False


@pytest.mark.parametrize("query", [
    "/admin/accounts/agency/?cases={pk}", "/admin/accounts/agency/?cases__isnull=False",
    "/admin/accounts/agency/?cases__case_number={number}",
    "/admin/accounts/agency/?users__assigned_cases={pk}",
    "/admin/accounts/user/?assigned_cases={pk}",
    "/admin/accounts/user/?assigned_cases__case_number={number}",
    "/admin/accounts/user/?agency__cases={pk}",
    "/admin/accounts/apitoken/?user__assigned_cases={pk}"])
def test_no_list_filters_through_child_records(admin_client: Client, held: Any,
                                               query: str) -> None:
    """``?cases=<id>`` would tell which agency holds a case, or who is assigned to it."""
    case, markers = held
    response = admin_client.get(query.format(pk=case.pk, number=case.case_number))
    assert response.status_code == 400
    assert not [mark for mark in markers if mark in response.content.decode()]
