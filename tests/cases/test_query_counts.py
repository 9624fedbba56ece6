"""Database queries per page do not grow with the data: the case list (first page,
filtered, a later page), every kind of search and the case view issue the same number of
queries for a registry of 3 children and of 15 (no N+1), within a fixed ceiling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bridgeway.cases.models import Case
from bridgeway.cases.selectors import CaseFilters, case_detail, case_list

pytestmark = pytest.mark.django_db

# Ceilings: each selector's fixed shape (policy, search-index reads, one page of rows with
# its joins, the audit entry). A change that adds a query per row fails the growth check;
# one that adds a fixed query shows here. A search with typing errors reads the vocabulary
# up to three times (the words' neighbours; the pairs made of them; the pairs not found that
# way): more queries, each an index probe, instead of a trigram search of every long pair.
CEILING = {"list": 10, "search": 16, "view": 30}


def _grow(register: Any, people: Any, n: int, start: int) -> None:
    families = ["Rahman", "Haddad", "Ismail", "Yusuf", "Hamwi"]
    for i in range(start, start + n):
        register(actor=people.caseworker, case={"risk_level": "high"},
                 names=[{"kind": "given", "value": f"Aisyah{chr(97 + i % 26)}"},
                        {"kind": "family", "value": families[i % len(families)]}],
                 identifiers=[{"id_type": "national_id", "value": f"3201-0000-{i:04d}"}])


def _count(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)


def _scenarios(people: Any) -> dict[str, tuple[str, Callable[[], Any]]]:
    worker = people.caseworker
    first = Case.objects.order_by("pk").first()
    page = case_list(actor=worker, filters=CaseFilters(), page_size=2)
    return {
        "first page": ("list", lambda: case_list(actor=worker, filters=CaseFilters())),
        "filtered": ("list", lambda: case_list(
            actor=worker, filters=CaseFilters(status="registration", risk="high"))),
        "overdue": ("list", lambda: case_list(actor=worker, filters=CaseFilters(overdue=True))),
        "later page": ("list", lambda: case_list(
            actor=worker, filters=CaseFilters(cursor=page.next_cursor or ""), page_size=2)),
        "name search": ("search", lambda: case_list(
            actor=worker, filters=CaseFilters(q="Aisyah Rahman"))),
        "typo search": ("search", lambda: case_list(
            actor=worker, filters=CaseFilters(q="Aisyha Hadad"))),
        "script search": ("search", lambda: case_list(
            actor=worker, filters=CaseFilters(q="عائشة"))),
        "case number": ("search", lambda: case_list(
            actor=worker, filters=CaseFilters(q=first.case_number))),
        "identifier": ("search", lambda: case_list(
            actor=worker, filters=CaseFilters(q="3201-0000-0001"))),
        "case view": ("view", lambda: case_detail(actor=worker, case_id=first.pk)),
    }


def test_queries_per_page_do_not_grow_with_the_data(people, register):
    _grow(register, people, 3, 0)
    small = {name: _count(call) for name, (_kind, call) in _scenarios(people).items()}
    _grow(register, people, 12, 3)
    large = {name: _count(call) for name, (_kind, call) in _scenarios(people).items()}
    assert large == small
    for name, (kind, _call) in _scenarios(people).items():
        assert large[name] <= CEILING[kind], (name, large[name])


def test_a_page_of_results_is_read_in_one_query_whatever_its_size(people, register):
    """The rows of a page come with their child, agency and assignee in one query."""
    _grow(register, people, 6, 0)
    worker = people.caseworker
    small = _count(lambda: [c.child.display_name + c.owning_agency.code
                            + str(c.assigned_to) for c in
                            case_list(actor=worker, filters=CaseFilters(), page_size=2).cases])
    large = _count(lambda: [c.child.display_name + c.owning_agency.code
                            + str(c.assigned_to) for c in
                            case_list(actor=worker, filters=CaseFilters(), page_size=6).cases])
    assert small == large
