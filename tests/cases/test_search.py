"""Case list and search through the selectors: any name or alias in any script, case number,
identifier; never outside the user's scope; audited."""

from __future__ import annotations

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.cases.selectors import CaseFilters, case_list
from bridgeway.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(people, register):
    mine = register(names=[{"kind": "given", "value": "Muhammad"},
                           {"kind": "family", "value": "Yusuf"}],
                    aliases=[{"alias_type": "group_name", "value": "أبو بكر"}],
                    identifiers=[{"id_type": "passport", "value": "B 1234567"}])
    hidden = register(actor=people.outsider, names=[{"kind": "given", "value": "Muhammad"},
                                                    {"kind": "family", "value": "Ismail"}])
    return mine, hidden


def _search(user, q):
    return [c.pk for c in case_list(actor=user, filters=CaseFilters(q=q)).cases]


@pytest.mark.parametrize("q", ["Muhammad", "muhammad yusuf", "محمد", "Mohammed", "أبو بكر",
                               "Abu Bakr", "B1234567", "b-123 4567"])
def test_caseworker_finds_own_child_by_any_name_script_or_identifier(people, cases, q):
    assert _search(people.caseworker, q) == [cases[0].pk]


def test_search_by_case_number(people, cases):
    assert _search(people.caseworker, cases[0].case_number) == [cases[0].pk]
    assert _search(people.caseworker, cases[1].case_number) == []


def test_search_never_returns_other_agency_children(people, cases):
    assert cases[1].pk not in _search(people.caseworker, "Muhammad Ismail")
    assert _search(people.outsider, "Muhammad") == [cases[1].pk]


def test_roles_without_case_access_get_nothing(people, cases):
    for user in (people.analyst, people.auditor, people.sysadmin):
        assert _search(user, "Muhammad") == []
        assert case_list(actor=user, filters=CaseFilters()).cases == []


def test_list_and_search_are_audited_with_what_was_shown(people, cases):
    case_list(actor=people.caseworker, filters=CaseFilters(q="Muhammad"))
    entry = AuditEntry.objects.filter(action="search").latest("seq")
    assert entry.detail["case_ids"] == [cases[0].pk]
    assert entry.detail["filters"] == {"q": "Muhammad"}


def test_bad_filters_are_refused():
    with pytest.raises(ValidationFailed) as exc:
        CaseFilters.from_params({"status": "nope", "risk": "x", "assigned_to": "abc"})
    assert set(exc.value.errors) == {"status", "risk", "assigned_to"}


def test_keyset_pages_cover_every_case_once(people, register):
    created = {register(actor=people.supervisor,
                        names=[{"kind": "given", "value": f"Child{chr(65 + i)}"}]).pk
               for i in range(7)}
    seen, cursor = [], ""
    while True:
        page = case_list(actor=people.supervisor, filters=CaseFilters(cursor=cursor),
                         page_size=3)
        seen += [c.pk for c in page.cases]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(created)


def test_bad_cursor_is_refused(people):
    with pytest.raises(ValidationFailed):
        case_list(actor=people.supervisor, filters=CaseFilters(cursor="!!notbase64"))
