"""The child's recognized victim status, per sector, through the case page and the API:
both channels show it, or hide it, together — as the one field→category map
(``access.fields.CASE_FIELDS``: victim status is in the justice category) and the sector
policy say — and wherever an alleged offence is shown, the victim status is shown beside
it (an alleged offence never erases victim status).

Each sector's user reaches the case through its ordinary grant: the owning agency, a
justice involvement, an accepted referral, break-glass."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from bridgeway.access import fields, policy
from bridgeway.accounts.models import Agency, User
from bridgeway.referrals import services as svc
from tests.api.conftest import client_with_token
from tests.referrals.conftest import born_years_ago, child_consent, make_referral

pytestmark = pytest.mark.django_db

VICTIM_BY = "VICTIM-BY-Q4R"
OFFENCE = "OFFENCE-Q4R"
REASON = "Child brought unconscious to our emergency unit; need known allergies."

# Written out here from the issue, independently of the map and the sector defaults:
# justice users (and child protection) see the victim status with the alleged offence;
# nobody else sees either.
SEES_VICTIM_STATUS = {
    "owner": True, "child_protection_break_glass": True, "police": True,
    "prosecution": True, "court": True, "detention": True, "legal_aid": True,
    "health": False, "education": False, "community": False, "international": False,
}
REFERRAL_CATEGORIES = {
    "health": ["identity", "health", "psychosocial"],
    "education": ["identity", "education"],
    "community": ["identity", "family", "contact_location"],
    "international": ["identity", "family", "contact_location"],
}


@pytest.fixture
def case(people: Any, register: Any) -> Any:
    return register(actor=people.caseworker, date_of_birth=born_years_ago(15), case={
        "risk_level": "high", "victim_status": "recognized",
        "victim_recognized_on": timezone.localdate().isoformat(),
        "victim_recognized_by": VICTIM_BY, "alleged_offence": OFFENCE})


def viewer_for(relation: str, people: Any, case: Any) -> Any:
    """A user of the sector who sees the case through that sector's ordinary grant."""
    from bridgeway.justice.services import justice_involvement_add

    if relation == "owner":
        return people.caseworker
    if relation == "child_protection_break_glass":
        svc.break_glass_open(actor=people.outsider_supervisor, case_id=case.pk,
                             reason=REASON)
        return people.outsider_supervisor
    agency = Agency.objects.create(code=f"{relation}-x", name=relation.title(),
                                   sector=relation, country="ID")
    user = User.objects.create_user(username=f"{relation}_user", password="pw-x-12345678",
                                    agency=agency, role="caseworker")
    if relation in REFERRAL_CATEGORIES:
        categories = REFERRAL_CATEGORIES[relation]
        consent = child_consent(people.caseworker, case, agency, categories)
        referral = make_referral(people.caseworker, case, consent, categories,
                                 receiving_agency_id=agency.pk)
        svc.referral_accept(actor=user, referral_id=referral.pk)
    else:
        justice_involvement_add(actor=people.caseworker, case_id=case.pk,
                                agency_id=agency.pk, reason="involved in the proceedings")
    return user


def through_the_page(user: Any, case: Any) -> tuple[bool, bool, bool]:
    client = Client()
    client.force_login(user)
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    status = 'id="victim-status"' in html
    assert status == ("Recognized as a victim" in html)
    return status, VICTIM_BY in html, OFFENCE in html


def through_the_api(user: Any, case: Any) -> tuple[bool, bool, bool]:
    cache.clear()  # throttle counters
    response = client_with_token(user).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    shown = response.json()["case"]
    status = shown["victim_status"] == "recognized"
    assert status or shown["victim_status"] is None
    return (status, shown["victim_recognized_by"] == VICTIM_BY,
            shown["alleged_offence"] == OFFENCE)


@pytest.mark.parametrize("relation", sorted(SEES_VICTIM_STATUS))
def test_page_and_api_agree_on_victim_status(people, case, relation):
    user = viewer_for(relation, people, case)
    page, api = through_the_page(user, case), through_the_api(user, case)
    assert page == api
    status, recognized_by, offence = page
    # The map and the sector policy decide, through one rule for both channels …
    shows = fields.visible_fields(fields.CASE_FIELDS, policy.categories_for(user, case))
    assert status == ("victim_status" in shows) == recognized_by
    # … which gives what the issue asks for.
    assert status == SEES_VICTIM_STATUS[relation]
    assert offence <= status  # never an alleged offence without the victim status


@pytest.mark.parametrize("relation", ["police", "court", "legal_aid"])
def test_justice_record_shows_victim_status_beside_the_offence(people, case, relation):
    user = viewer_for(relation, people, case)
    client = Client()
    client.force_login(user)
    html = client.get(f"/justice/cases/{case.pk}/").content.decode()
    assert "Recognized as a victim" in html and VICTIM_BY in html
    cache.clear()
    timeline = client_with_token(user).get(
        f"/api/v1/justice/cases/{case.pk}/timeline/").json()
    assert timeline["victim"]["status"] == "recognized"
    assert timeline["victim"]["recognized_by"] == VICTIM_BY


def test_victim_status_follows_the_map_in_the_shared_record_and_the_export(people, case):
    """The shared record a receiving agency reads lists victim status under justice, with
    the alleged offence, for a justice user; a clinic's shared record has neither."""
    from bridgeway.referrals.selectors import shared_case_record

    police = viewer_for("police", people, case)
    record = shared_case_record(actor=police, case_id=case.pk, audit=False)
    justice = record.sections[policy.Category.JUSTICE]
    assert justice["victim_status"] == "recognized" and justice["alleged_offence"] == OFFENCE
    clinic = viewer_for("health", people, case)
    shared = shared_case_record(actor=clinic, case_id=case.pk, audit=False)
    assert policy.Category.JUSTICE not in shared.sections
    assert "recognized" not in str(shared.sections) and OFFENCE not in str(shared.sections)
