"""The web half of the permission matrix: every persona x (own agency assigned, own agency
unassigned, other agency) x every record page. A record a user may not see answers 404,
exactly like one that does not exist (never 403, never a hint in the page); a record they
may see but not act on answers 403 for that action. Lists and searches never show a child
outside the user's scope.

The expectations below are written out by hand from the issue's rules, not computed from
the access policy under test."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from bridgeway.accounts.models import User
from bridgeway.cases.models import Case, CaseNote
from bridgeway.cases.services import case_decide_closure, case_request_closure
from bridgeway.web import fields

pytestmark = pytest.mark.django_db

CASEWORKER = {"view", "edit", "note", "request_closure"}
SUPERVISOR = CASEWORKER | {"assign", "approve_closure", "reopen"}
NOTHING: set[str] = set()

EXPECTED: dict[str, dict[str, set[str]]] = {
    "caseworker": {"assigned": CASEWORKER, "unassigned": NOTHING, "other_agency": NOTHING},
    "other_caseworker": {"assigned": NOTHING, "unassigned": NOTHING, "other_agency": NOTHING},
    "supervisor": {"assigned": SUPERVISOR, "unassigned": SUPERVISOR, "other_agency": NOTHING},
    "outsider": {"assigned": NOTHING, "unassigned": NOTHING, "other_agency": CASEWORKER},
    "outsider_supervisor": {"assigned": NOTHING, "unassigned": NOTHING,
                            "other_agency": SUPERVISOR},
    "health_worker": {"assigned": NOTHING, "unassigned": NOTHING, "other_agency": NOTHING},
    "police_officer": {"assigned": NOTHING, "unassigned": NOTHING, "other_agency": NOTHING},
    "analyst": {"assigned": NOTHING, "unassigned": NOTHING, "other_agency": NOTHING},
    "auditor": {"assigned": NOTHING, "unassigned": NOTHING, "other_agency": NOTHING},
    "sysadmin": {"assigned": NOTHING, "unassigned": NOTHING, "other_agency": NOTHING},
    "agency_admin": {"assigned": NOTHING, "unassigned": NOTHING, "other_agency": NOTHING},
}
SEARCH_TERMS = {"assigned": "زينب", "unassigned": "Болат", "other_agency": "রশিদা"}
CHILD_NAMES = {"assigned": "Qurayshi", "unassigned": "Nurlanov", "other_agency": "Begum"}


def expected_status(perms: set[str], needed: str, ok: int) -> int:
    if "view" not in perms:
        return 404
    return ok if needed in perms else 403


def _state(case: Case) -> tuple:
    fresh = Case.objects.get(pk=case.pk)
    return (fresh.version, fresh.status, fresh.assigned_to_id, fresh.association_place,
            fresh.child.version, CaseNote.objects.filter(case=fresh).count())


@pytest.mark.parametrize("position", ["assigned", "unassigned", "other_agency"])
@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_record_pages(people, cases, login, persona, position):
    user = getattr(people, persona)
    case = getattr(cases, position)
    perms = EXPECTED[persona][position]
    client = login(user)
    colleague = people.other_caseworker if case.owning_agency == people.agency_a \
        else people.outsider

    def url(name: str) -> str:
        return reverse(f"web:{name}", args=[case.pk])

    def check(response, needed: str, ok: int, what: str) -> None:
        want = expected_status(perms, needed, ok)
        assert response.status_code == want, f"{persona} {position} {what}"
        if want == 404:
            body = response.content.decode()
            assert case.case_number not in body and CHILD_NAMES[position] not in body

    before = _state(case)
    check(client.get(url("case_detail")), "view", 200, "detail")
    check(client.get(url("case_edit")), "edit", 200, "edit GET")

    stored = Case.objects.get(pk=case.pk)
    edit = fields.child_values(stored.child) | fields.case_values(stored)
    edit.update({"child_version": str(stored.child.version),
                 "case_version": str(stored.version), "case.association_place": "Changed"})
    check(client.post(url("case_edit"), edit), "edit", 302, "edit POST")
    check(client.post(url("case_note"), {"body": "A note"}), "note", 302, "note")
    version = Case.objects.get(pk=case.pk).version
    check(client.post(url("case_status"), {"status": "assessment", "version": version}),
          "edit", 302, "status")
    check(client.post(url("case_assign"), {"user_id": colleague.pk}), "assign", 302, "assign")
    check(client.post(url("case_closure_request"), {"reason": "moved"}), "request_closure",
          302, "closure request")
    if "approve_closure" in perms:
        # Four eyes: not on one's own request (tests/care/test_four_eyes.py). Another
        # supervisor returns it and the assigned caseworker asks again.
        own = client.post(url("case_closure_decide"), {"decision": "approve"})
        assert own.status_code == 403, f"{persona} {position} own closure request"
        second = User.objects.create_user(username=f"second_{persona}", role="supervisor",
                                          agency=case.owning_agency)
        case_decide_closure(actor=second, case_id=case.pk, approve=False, comment="Not yet.")
        case_request_closure(actor=colleague, case_id=case.pk, reason="moved")
    check(client.post(url("case_closure_decide"), {"decision": "approve"}), "approve_closure",
          302, "closure decision")
    check(client.post(url("case_reopen"), {"reason": "New concern"}), "reopen", 302, "reopen")

    if "view" not in perms:
        assert _state(case) == before  # nothing at all changed
    if perms == SUPERVISOR:
        saved = Case.objects.get(pk=case.pk)
        assert (saved.status, saved.assigned_to, saved.association_place) == (
            "follow_up", colleague, "Changed")


def _case_numbers(response) -> set[str]:
    """Case numbers anywhere on the page except the search box echoing the user's query."""
    body = re.sub(r'<input id="q"[^>]*>', "", response.content.decode())
    return set(re.findall(r"BW-\d{4}-\d{6}", body))


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_lists_and_searches_show_exactly_the_cases_in_scope(people, cases, login, persona):
    client = login(getattr(people, persona))
    visible = {getattr(cases, pos).case_number
               for pos, perms in EXPECTED[persona].items() if "view" in perms}
    assert _case_numbers(client.get(reverse("web:case_list"))) == visible
    for position, term in SEARCH_TERMS.items():
        number = getattr(cases, position).case_number
        found = client.get(reverse("web:case_list"), {"q": term})
        assert found.status_code == 200
        assert _case_numbers(found) == ({number} & visible), (persona, term)
        if number not in visible:
            assert CHILD_NAMES[position] not in found.content.decode()
        by_number = client.get(reverse("web:case_list"), {"q": number})
        assert _case_numbers(by_number) == ({number} & visible)


def test_unknown_case_is_404_like_an_invisible_one(people, cases, login):
    client = login(people.supervisor)
    missing = client.get(reverse("web:case_detail", args=[999_999]))
    hidden = client.get(reverse("web:case_detail", args=[cases.other_agency.pk]))
    assert missing.status_code == hidden.status_code == 404

    def normalized(response, pk) -> str:  # only the CSRF token and the asked path differ
        body = response.content.decode().replace(f"/cases/{pk}/", "/cases/X/")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)

    assert normalized(missing, 999_999) == normalized(hidden, cases.other_agency.pk)


def test_anonymous_user_gets_the_plain_not_found_page(client, cases):
    response = client.get(reverse("web:case_detail", args=[cases.assigned.pk]))
    assert response.status_code == 302  # sign in first; nothing about the record
    assert cases.assigned.case_number not in response.content.decode()
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and "Not found" in missing.content.decode()
