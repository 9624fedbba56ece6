"""Justice pages: forms show errors by field and keep the input; the "children deprived
of liberty" list is sorted by urgency and costs the same number of queries for any number
of rows; rules pages are for system administrators."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bridgeway.justice import models as m
from bridgeway.justice import selectors, services
from bridgeway.justice.services import justice_involvement_add
from tests.justice.conftest import ago, born_years_ago, episode_data

pytestmark = pytest.mark.django_db


def test_episode_form_errors_by_field_and_input_kept(people, justice_case, jakarta, login):
    client = login(people.caseworker)
    day = ago(days=1).date()
    response = client.post(f"/justice/cases/{justice_case.pk}/episodes/new/", {
        "kind": "pretrial", "facility": jakarta.pk, "admitted_at": f"{day}T09:00",
        "commitment_order_ref": "", "reason": "remand, keep this text",
        "separated_from_adults": "no"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was saved" in body
    # The message sits by its field, which is marked invalid.
    field = re.search(r'<div class="field k-text invalid"><label for="f-commitment_order_ref">'
                      r'.*?</div>', body, re.S)
    assert field and "commitment order" in field.group(0)
    assert "remand, keep this text" in body
    assert f'value="{day}T09:00"' in body
    assert not m.DetentionEpisode.objects.exists()


def test_release_form_refuses_release_before_admission(people, justice_case, jakarta, login):
    episode = services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                                      data=episode_data(jakarta, ago(days=1)))
    before = (ago(days=2)).astimezone(ZoneInfo("Asia/Jakarta"))
    response = login(people.caseworker).post(f"/justice/episodes/{episode.pk}/release/", {
        "released_at": before.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 400
    assert "Release cannot be before admission" in response.content.decode()


def test_event_form_records_and_redirects(people, justice_case, login):
    client = login(people.police_officer)
    assert client.get(f"/justice/cases/{justice_case.pk}/events/new/").status_code == 200
    response = client.post(f"/justice/cases/{justice_case.pk}/events/new/", {
        "kind": "arrest", "at": ago(hours=3).strftime("%Y-%m-%dT%H:%M"),
        "time_zone": "UTC", "interpreter": "not_needed"})
    assert response.status_code == 302
    assert response["Location"] == f"/justice/cases/{justice_case.pk}/"
    assert m.JusticeEvent.objects.get().interpreter == "not_needed"


def test_event_form_with_an_unknown_zone(people, justice_case, login):
    response = login(people.caseworker).post(
        f"/justice/cases/{justice_case.pk}/events/new/",
        {"kind": "arrest", "at": "2025-01-01T10:00", "time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert "Unknown time zone" in response.content.decode()


def test_transfer_form(people, justice_case, jakarta, jayapura, login):
    episode = services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                                      data=episode_data(jakarta, ago(days=3)))
    client = login(people.supervisor)
    page = client.get(f"/justice/episodes/{episode.pk}/transfer/").content.decode()
    assert "PN-2025-17" in page  # the commitment order is carried over by default
    at = ago(days=1).astimezone(ZoneInfo("Asia/Jakarta"))
    response = client.post(f"/justice/episodes/{episode.pk}/transfer/", {
        "at": at.strftime("%Y-%m-%dT%H:%M"), "facility": jayapura.pk, "kind": "pretrial",
        "commitment_order_ref": "PN-2025-17", "separated_from_adults": "yes"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert m.DetentionEpisode.objects.filter(transferred_from=episode).exists()


def test_timeline_shows_victim_status_beside_alleged_offence(people, register, login):
    case = register(date_of_birth=born_years_ago(16),
                    case={"risk_level": "high", "victim_status": "recognized",
                          "alleged_offence": "membership of a prohibited group"})
    services.justice_event_record(actor=people.caseworker, case_id=case.pk,
                                  data={"kind": "charge", "at": ago(days=1).isoformat(),
                                        "alleged_offence": "possession of explosives"})
    case.refresh_from_db()
    assert case.victim_status == "recognized"  # an alleged offence never overwrites it
    body = login(people.caseworker).get(f"/justice/cases/{case.pk}/").content.decode()
    victim = body.index('id="victim-status"')
    offence = body.index('id="alleged-offences"')
    assert "Recognized as a victim" in body[victim:offence]
    assert "possession of explosives" in body[offence:]
    assert "membership of a prohibited group" in body[offence:]


def test_link_agency_from_the_timeline(people, register, login):
    case = register(date_of_birth=born_years_ago(16))
    client = login(people.supervisor)
    page = client.get(f"/justice/cases/{case.pk}/").content.decode()
    assert "Police Unit" in page
    client.post(f"/justice/cases/{case.pk}/agencies/", {"agency": people.agency_police.pk,
                                                        "reason": "arresting unit"})
    assert m.JusticeInvolvement.objects.filter(case=case, agency=people.agency_police).exists()
    assert login(people.police_officer).get(f"/justice/cases/{case.pk}/").status_code == 200


# ------------------------------------------------------------ deprived of liberty


def held_child(people: Any, register: Any, facility: Any, *, days: float,
               **episode: Any) -> Any:
    case = register(date_of_birth=born_years_ago(16))
    services.detention_open(actor=people.caseworker, case_id=case.pk,
                            data=episode_data(facility, ago(days=days), **episode))
    return case


def test_deprived_list_is_sorted_by_urgency(people, register, jakarta, jayapura):
    calm = held_child(people, register, jakarta, days=3)
    soon = held_child(people, register, jakarta, days=13)  # review due in about a day
    with_adults = held_child(people, register, jayapura, days=1, separated_from_adults="no")
    unjustified = held_child(people, register, jayapura, days=2,
                             last_resort_justification="")
    released = register(date_of_birth=born_years_ago(16))
    services.detention_open(actor=people.caseworker, case_id=released.pk,
                            data=episode_data(jakarta, ago(days=5),
                                              released_at=ago(days=4).isoformat()))
    rows = selectors.deprived_of_liberty(actor=people.supervisor)
    assert [r.case for r in rows] == [with_adults, unjustified, soon, calm]
    assert rows[0].worst_severity == "critical" and rows[1].worst_severity == "high"
    assert [r.days_held for r in rows] == [1, 2, 13, 3]
    assert rows[2].next_deadline.code == "pretrial_review_due"
    # The caseworker sees only the cases assigned to them (all of these here), the police
    # only those it is involved in.
    assert selectors.deprived_of_liberty(actor=people.police_officer) == []
    justice_involvement_add(actor=people.caseworker, case_id=calm.pk,
                            agency_id=people.agency_police.pk)
    assert [r.case for r in selectors.deprived_of_liberty(actor=people.police_officer)] == [calm]


def test_deprived_page_lists_children(people, register, jakarta, login):
    case = held_child(people, register, jakarta, days=4)
    body = login(people.supervisor).get("/justice/deprived-of-liberty/").content.decode()
    assert case.case_number in body and "LPKA Jakarta" in body
    assert "Asia/Jakarta" in body


def test_deprived_list_query_count_does_not_grow_with_rows(people, register, jakarta,
                                                           jayapura, login):
    from bridgeway.justice.services import justice_involvement_add as link

    def measure(user: Any) -> int:
        client = login(user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/justice/deprived-of-liberty/").status_code == 200
        return len(ctx.captured_queries)

    first = held_child(people, register, jakarta, days=3)
    link(actor=people.caseworker, case_id=first.pk, agency_id=people.agency_police.pk)
    services.justice_event_record(actor=people.caseworker, case_id=first.pk,
                                  data={"kind": "arrest", "at": ago(days=3).isoformat()})
    few = {u.username: measure(u) for u in (people.supervisor, people.police_officer)}
    for i in range(6):
        case = held_child(people, register, jayapura if i % 2 else jakarta, days=1 + i,
                          separated_from_adults="no" if i % 3 == 0 else "yes")
        link(actor=people.caseworker, case_id=case.pk, agency_id=people.agency_police.pk)
        services.justice_event_record(actor=people.caseworker, case_id=case.pk,
                                      data={"kind": "arrest",
                                            "at": ago(days=1 + i).isoformat()})
    many = {u.username: measure(u) for u in (people.supervisor, people.police_officer)}
    assert many == few
    assert len(selectors.deprived_of_liberty(actor=people.police_officer)) == 7


# ----------------------------------------------------------------------- rules


def test_rules_pages_are_for_system_admins(people, login):
    for user in (people.supervisor, people.agency_admin, people.police_officer):
        client = login(user)
        assert client.get("/justice/rules/").status_code == 403
        assert client.get("/justice/rules/new/").status_code == 403


def test_rules_admin_creates_a_version_and_lists_history(people, login):
    client = login(people.sysadmin)
    form = client.get("/justice/rules/new/?country=ID").content.decode()
    assert 'name="max_hours_to_appearance" value="24"' in form
    data = {"country": "ID", "region": "", "valid_from": "2024-07-01",
            "macr_years": 12, "max_hours_to_appearance": 48, "pretrial_review_days": 14,
            "days_to_charge": 30, "max_pretrial_days": 180, "sealing_years": 5,
            "expungement_years": 10, "age_of_majority": 18, "parent_notification_hours": 24,
            "legal_counsel_access_hours": 24, "continuity_gap_hours": 24,
            "diversion_types": "warning\nrestorative_justice", "reason": "Law 11/2012"}
    bad = client.post("/justice/rules/new/", {**data, "pretrial_review_days": "-3"})
    assert bad.status_code == 400
    assert "Must be greater than zero" in bad.content.decode()
    assert 'value="Law 11/2012"' not in bad.content.decode()  # a textarea keeps it instead
    assert "Law 11/2012" in bad.content.decode()
    assert client.post("/justice/rules/new/", data).status_code == 302
    client.post("/justice/rules/new/", {**data, "valid_from": "2025-01-01",
                                        "macr_years": 14, "reason": "amendment"})
    listing = client.get("/justice/rules/").content.decode()
    assert "Law 11/2012" in listing and "amendment" in listing
    assert "in force" in listing
    assert "MACR 12 is below the recommended minimum" not in listing  # shown per case
    assert m.JurisdictionRuleSet.objects.count() == 2


def test_police_custody_without_custody_record_is_refused_on_the_form(
        people, justice_case, jayapura, login):
    client = login(people.police_officer)
    for ref in ("", "   "):
        response = client.post(f"/justice/cases/{justice_case.pk}/episodes/new/", {
            "kind": "police_custody", "facility": jayapura.pk,
            "admitted_at": ago(hours=3).strftime("%Y-%m-%dT%H:%M"),
            "commitment_order_ref": ref, "separated_from_adults": "yes",
            "last_resort_justification": "no parent reachable at night"})
        assert response.status_code == 400
        body = response.content.decode()
        field = re.search(r'<div class="field k-text invalid"><label '
                          r'for="f-commitment_order_ref">.*?</div>', body, re.S)
        assert field and "custody order or record" in field.group(0)
        assert "no parent reachable at night" in body
    assert not m.DetentionEpisode.objects.exists()
    response = client.post(f"/justice/cases/{justice_case.pk}/episodes/new/", {
        "kind": "police_custody", "facility": jayapura.pk,
        "admitted_at": ago(hours=3).strftime("%Y-%m-%dT%H:%M"),
        "commitment_order_ref": "POLRES/CUSTODY/031", "separated_from_adults": "yes"})
    assert response.status_code == 302
    assert m.DetentionEpisode.objects.get().commitment_order_ref == "POLRES/CUSTODY/031"
