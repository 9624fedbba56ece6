"""Referral from a service line of the plan (issue 5, item 2): the care overview offers a
"Refer" link per action of the plan, which opens the referral form with that line chosen.
Only users who may refer the child see the links; a line that is not an action of the
child's plan is refused by the referral service (commit 8c2f88f) and nothing is stored."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bridgeway.cases.services import case_request_closure
from bridgeway.referrals.models import Referral
from tests.referrals.sharing_support import text

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<a class="refer" href="/sharing/cases/(\d+)/referrals/new/\?action=(\d+)">')


@pytest.fixture
def planned(people: Any, sensitive_case: Any, fill: Any) -> Any:
    """The marked case with an approved reintegration plan (several actions)."""
    from bridgeway.care.services import approval_decide

    fill("bw_psychosocial_assessment", sensitive_case)
    plan = fill("bw_reintegration_plan", sensitive_case)
    approval_decide(actor=people.supervisor, record_id=plan.pk, approve=True)
    return sensitive_case


def _lines(case: Any) -> list[Any]:
    from bridgeway.care.selectors import current_goals

    return [a for g in current_goals(case.pk) for a in g.actions.all()]


def _links(web: Any, user: Any, case: Any) -> list[tuple[int, int]]:
    response = web(user).get(f"/care/cases/{case.pk}/")
    if response.status_code != 200:
        return []
    return [(int(c), int(a)) for c, a in LINK.findall(text(response))]


def test_each_plan_action_has_a_refer_link_that_chooses_the_line(people, web, planned,
                                                                 consent):
    lines = _lines(planned)
    assert len(lines) >= 2
    links = _links(web, people.caseworker, planned)
    assert links == [(planned.pk, a.lineage_id) for a in lines]
    # Following the second link: the form has that line chosen, and nothing else.
    _, chosen = links[1]
    form = text(web(people.caseworker).get(
        f"/sharing/cases/{planned.pk}/referrals/new/?action={chosen}"))
    selected = re.findall(r'<option value="(\d+)" selected>', form)
    assert selected == [str(chosen)]
    response = web(people.caseworker).post(
        f"/sharing/cases/{planned.pk}/referrals/new/",
        {"consent_id": consent.pk, "receiving_agency_id": people.agency_health.pk,
         "categories": ["identity", "health"], "purpose": "psychosocial follow-up",
         "plan_action_id": str(chosen)})
    assert response.status_code == 302, text(response)[:2000]
    assert Referral.objects.get().plan_action_id == str(chosen)


def test_only_users_who_may_refer_see_the_links(people, web, planned, accepted):
    """Oracle: the referral form itself (200 for who may refer; 403 or 404 otherwise).
    Every persona, including the health worker the case is shared with by referral."""
    shown_to = set()
    for name, user in people.all_users().items():
        links = _links(web, user, planned)
        may = web(user).get(f"/sharing/cases/{planned.pk}/referrals/new/").status_code == 200
        assert bool(links) is may, name
        if links:
            shown_to.add(name)
    assert shown_to == {"caseworker", "supervisor"}


def test_no_links_once_closure_is_requested(people, web, planned, consent):
    line = _lines(planned)[0]
    case_request_closure(actor=people.caseworker, case_id=planned.pk, reason="goals_met",
                         note="all goals met")
    assert _links(web, people.caseworker, planned) == []
    # ...and the form refuses, changing nothing.
    response = web(people.caseworker).post(
        f"/sharing/cases/{planned.pk}/referrals/new/",
        {"consent_id": consent.pk, "receiving_agency_id": people.agency_health.pk,
         "categories": ["health"], "purpose": "follow-up",
         "plan_action_id": str(line.lineage_id)})
    assert response.status_code == 400
    assert "closed or awaiting closure" in text(response)
    assert not Referral.objects.exists()


def test_a_line_that_is_not_of_this_plan_is_refused_and_nothing_stored(
        people, web, planned, consent, register, fill):
    other = register(actor=people.caseworker, date_of_birth="2012-01-01")
    fill("bw_psychosocial_assessment", other)
    fill("bw_reintegration_plan", other)
    foreign = _lines(other)[0].lineage_id
    for bad in (str(foreign), "999999999", "plan-7", "-1"):
        # The form opened with a forged line chooses nothing...
        form = text(web(people.caseworker).get(
            f"/sharing/cases/{planned.pk}/referrals/new/?action={bad}"))
        assert not re.findall(r'<option value="\d+" selected>', form), bad
        # ...and sending it anyway is a field error.
        response = web(people.caseworker).post(
            f"/sharing/cases/{planned.pk}/referrals/new/",
            {"consent_id": consent.pk, "receiving_agency_id": people.agency_health.pk,
             "categories": ["health"], "purpose": "follow-up", "plan_action_id": bad})
        assert response.status_code == 400, bad
        assert "Not a service line of the child&#x27;s current reintegration plan" in text(
            response), bad
    assert not Referral.objects.exists()
