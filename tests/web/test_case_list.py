"""The case list: search in any script, filters, htmx partial, keyset pages, query counts,
page weight, and the roles that have no case list."""

from __future__ import annotations

import gzip
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bridgeway.audit.models import AuditEntry
from bridgeway.cases.models import Task
from bridgeway.cases.services import case_set_status

pytestmark = pytest.mark.django_db
LIST = reverse("web:case_list")


def _numbers(response) -> set[str]:
    import re

    return set(re.findall(r"BW-\d{4}-\d{6}", response.content.decode()))


def test_caseworker_sees_own_open_cases_newest_first(people, cases, login):
    response = login(people.caseworker).get(LIST)
    assert response.status_code == 200
    assert _numbers(response) == {cases.assigned.case_number}
    assert "Zaynab Qurayshi" in response.content.decode()


def test_supervisor_sees_all_cases_of_the_agency(people, cases, login):
    response = login(people.supervisor).get(LIST)
    assert _numbers(response) == {cases.assigned.case_number, cases.unassigned.case_number}


@pytest.mark.parametrize("query", ["زينب", "Zainab", "Zaynab Qurayshi", "qurayshi",
                                   "ID 111 222", "id111222"])
def test_search_finds_child_by_name_alias_any_script_or_identifier(people, cases, login, query):
    response = login(people.supervisor).get(LIST, {"q": query})
    assert response.status_code == 200
    assert _numbers(response) == {cases.assigned.case_number}


def test_search_by_cyrillic_alias_and_case_number(people, cases, login):
    client = login(people.supervisor)
    assert _numbers(client.get(LIST, {"q": "Болат"})) == {cases.unassigned.case_number}
    assert _numbers(client.get(LIST, {"q": cases.unassigned.case_number})) == {
        cases.unassigned.case_number}


def test_search_without_match_says_so(people, cases, login):
    response = login(people.supervisor).get(LIST, {"q": "Xylophone"})
    assert _numbers(response) == set()
    assert "No case matches this search." in response.content.decode()


def test_search_is_audited_with_query_and_results(people, cases, login):
    login(people.supervisor).get(LIST, {"q": "Bolat"})
    entry = AuditEntry.objects.filter(action="search", actor=people.supervisor).last()
    assert entry.detail["filters"]["q"] == "Bolat"
    assert entry.detail["case_ids"] == [cases.unassigned.pk]


def test_filters_status_risk_caseworker_overdue(people, register, login):
    high = register(actor=people.supervisor, case={"risk_level": "high",
                                                   "assigned_to": people.caseworker.pk})
    low = register(actor=people.supervisor, names=[{"kind": "given", "value": "Yusuf"}],
                   case={"risk_level": "low", "assigned_to": people.other_caseworker.pk})
    case_set_status(actor=people.supervisor, case_id=low.pk, expected_version=1,
                    status="assessment")
    # Time passes: the high-risk case's first-assessment deadline is missed.
    Task.objects.filter(case=high).update(due_at=timezone.now() - timedelta(hours=1))
    client = login(people.supervisor)
    assert _numbers(client.get(LIST, {"risk": "high"})) == {high.case_number}
    assert _numbers(client.get(LIST, {"status": "assessment"})) == {low.case_number}
    assert _numbers(client.get(LIST, {"assigned_to": people.other_caseworker.pk})) == {
        low.case_number}
    overdue = client.get(LIST, {"overdue": "1"})
    assert _numbers(overdue) == {high.case_number}
    assert "overdue" in overdue.content.decode()


@pytest.mark.parametrize("params,message", [
    ({"status": "bogus"}, "Unknown status"),
    ({"risk": "extreme"}, "Unknown risk level"),
    ({"assigned_to": "abc"}, "Must be a user id"),
    ({"cursor": "!!!not-a-cursor"}, "Invalid page cursor"),
])
def test_bad_filter_values_show_the_error_and_list_nothing(people, cases, login, params,
                                                           message):
    response = login(people.supervisor).get(LIST, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _numbers(response) == set()


def test_htmx_request_gets_only_the_results_partial(people, cases, login):
    client = login(people.supervisor)
    partial = client.get(LIST, {"q": "Bolat"}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert partial.status_code == 200
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body and "<form" not in body
    assert _numbers(partial) == {cases.unassigned.case_number}
    assert "HX-Request" in partial["Vary"]
    restore = client.get(LIST, {"q": "Bolat"}, HTTP_HX_REQUEST="true",
                         HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restore.content.decode()


def test_page_works_without_javascript(people, cases, login):
    body = login(people.supervisor).get(LIST).content.decode()
    assert f'action="{LIST}"' in body and 'method="get"' in body
    assert 'name="q"' in body and 'type="submit"' in body


def _register_many(register, people, count, start=0):
    given = ["Amina", "Bilal", "Chiara", "Dawit", "Elif", "Farid", "Gulnara", "Hamza"]
    return [register(actor=people.caseworker,
                     names=[{"kind": "given", "value": given[i % len(given)]},
                            {"kind": "family", "value": f"Testname{chr(97 + i % 26)}"}],
                     identifiers=[{"id_type": "national_id", "value": f"NX{i:06d}"}])
            for i in range(start, start + count)]


def test_keyset_pages_cover_every_case_once(people, register, login):
    made = _register_many(register, people, 30)
    client = login(people.caseworker)
    first = client.get(LIST)
    assert len(_numbers(first)) == 25
    assert first.context["next_url"]
    second = client.get(LIST + first.context["next_url"])
    assert len(_numbers(second)) == 5
    assert "next_url" not in second.context
    assert _numbers(first) | _numbers(second) == {c.case_number for c in made}
    assert not _numbers(first) & _numbers(second)


def _queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_number_of_cases(people, register, login):
    client = login(people.caseworker)
    _register_many(register, people, 5)
    few_list, few_search = _queries(client), _queries(client, {"q": "Amina"})
    _register_many(register, people, 25, start=5)
    many_list, many_search = _queries(client), _queries(client, {"q": "Amina"})
    assert many_list == few_list
    assert many_search == few_search
    assert many_list <= 20


def test_case_list_with_25_rows_is_light(people, register, login):
    _register_many(register, people, 26)
    response = login(people.caseworker).get(LIST, HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    raw = gzip.decompress(response.content)
    assert raw.count(b"<tr>") == 25 + 1  # rows plus the header row
    assert len(response.content) < 4 * 1024, len(response.content)  # what travels
    assert len(raw) < 14 * 1024, len(raw)  # even uncompressed, under one TCP first flight


@pytest.mark.parametrize("persona", ["analyst", "auditor", "sysadmin", "agency_admin"])
def test_roles_without_records_get_an_explanatory_page_without_counts(people, cases, login,
                                                                      persona):
    response = login(getattr(people, persona)).get(LIST, {"q": "Zaynab"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "No case list for your role" in body
    assert _numbers(response) == set()
    assert "Qurayshi" not in body  # the match is not revealed in any form
    assert not AuditEntry.objects.filter(action__in=["list", "search"],
                                         actor=getattr(people, persona)).exists()


def test_anonymous_user_is_sent_to_login(client, cases):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))
