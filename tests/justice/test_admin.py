"""The justice app in the Django admin: configuration (facilities, jurisdiction rule sets)
is reachable and changed through the validated, audited services; nothing about a child
(detention register, justice events, involvements, safeguard evaluations and alerts) is
shown to a system administrator there — they see configuration, never child records."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client

from bridgeway.audit.models import AuditEntry
from bridgeway.justice import models as m
from bridgeway.justice import services
from tests.justice.conftest import ago, episode_data

pytestmark = pytest.mark.django_db

MARK_ORDER = "ORDER-MARKER-7731"
MARK_REASON = "REASON-MARKER-4410"
MARK_AUTHORITY = "AUTHORITY-MARKER-9902"
MARKERS = (MARK_ORDER, MARK_REASON, MARK_AUTHORITY)
CONFIGURATION = {("justice", "Facility"), ("justice", "JurisdictionRuleSet")}


@pytest.fixture
def held(people: Any, justice_case: Any, jakarta: Any) -> m.DetentionEpisode:
    """A child held in LPKA Jakarta, held with adults (so an alert is open), with markers
    in the register entry."""
    admitted = ago(hours=30)
    services.justice_event_record(actor=people.police_officer, case_id=justice_case.pk,
                                  data={"kind": "arrest", "at": admitted.isoformat(),
                                        "authority": MARK_AUTHORITY,
                                        "parent_notified_at": admitted.isoformat()})
    return services.detention_open(actor=people.police_officer, case_id=justice_case.pk,
                                   data=episode_data(jakarta, admitted,
                                                     commitment_order_ref=MARK_ORDER,
                                                     reason=MARK_REASON,
                                                     separated_from_adults="no"))


def test_only_configuration_of_the_justice_app_is_registered() -> None:
    registered = {(model._meta.app_label, model.__name__) for model in admin.site._registry
                  if model._meta.app_label == "justice"}
    assert registered == CONFIGURATION


def test_configuration_is_reachable(admin_client: Client, jakarta: Any) -> None:
    index = admin_client.get("/admin/").content.decode()
    assert "/admin/justice/facility/" in index
    assert "/admin/justice/jurisdictionruleset/" in index
    for url in ("/admin/justice/facility/", f"/admin/justice/facility/{jakarta.pk}/change/",
                "/admin/justice/facility/add/", "/admin/justice/jurisdictionruleset/",
                "/admin/justice/jurisdictionruleset/add/"):
        assert admin_client.get(url).status_code == 200, url


def test_no_child_record_is_reachable(admin_client: Client, held: Any,
                                      justice_case: Any) -> None:
    alert = m.SafeguardAlert.objects.filter(case=justice_case).first()
    evaluation = m.SafeguardEvaluation.objects.get(case=justice_case)
    event = m.JusticeEvent.objects.get(case=justice_case)
    involvement = m.JusticeInvolvement.objects.filter(case=justice_case).first()
    assert alert is not None and involvement is not None
    before = AuditEntry.objects.count()

    index = admin_client.get("/admin/").content.decode()
    rows = {"safeguardalert": alert.pk, "safeguardevaluation": evaluation.pk,
            "detentionepisode": held.pk, "justiceevent": event.pk,
            "justiceinvolvement": involvement.pk, "notification": 1, "justiceseal": 1}
    for name, pk in rows.items():
        assert f"/admin/justice/{name}/" not in index
        for url in (f"/admin/justice/{name}/", f"/admin/justice/{name}/{pk}/change/"):
            response = admin_client.get(url, follow=True)
            assert response.status_code == 404, url
            assert not any(mark in response.content.decode() for mark in MARKERS), url
    # The facility's own pages do not list who is held there.
    for url in (f"/admin/justice/facility/{held.facility_id}/change/",
                f"/admin/justice/facility/{held.facility_id}/delete/",
                "/admin/justice/facility/"):
        body = admin_client.get(url).content.decode()
        assert not any(mark in body for mark in MARKERS), url
        assert "pretrial at" not in body, url
    assert AuditEntry.objects.count() == before  # nothing of a child was read


def test_a_facility_is_deactivated_never_deleted(admin_client: Client, held: Any) -> None:
    url = f"/admin/justice/facility/{held.facility_id}/delete/"
    assert admin_client.get(url).status_code == 403
    admin_client.post(url, {"post": "yes"})
    assert m.Facility.objects.filter(pk=held.facility_id).exists()


def test_a_facility_added_in_the_admin_goes_through_the_audited_service(
        admin_client: Client) -> None:
    response = admin_client.post("/admin/justice/facility/add/", {
        "name": "Polres Makassar", "kind": "police_station", "country": "id",
        "region": "", "time_zone": "Asia/Makassar", "agency": "", "active": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    facility = m.Facility.objects.get(name="Polres Makassar")
    assert (facility.country, facility.time_zone) == ("ID", "Asia/Makassar")
    entry = AuditEntry.objects.get(object_type="facility", object_id=str(facility.pk))
    assert (entry.action, entry.actor_username) == ("create", "sysadmin")


@pytest.mark.parametrize(("field", "value"), [("time_zone", "Mars/Olympus"),
                                              ("country", "XX")])
def test_a_facility_with_a_bad_zone_or_country_is_refused(admin_client: Client, jakarta: Any,
                                                          field: str, value: str) -> None:
    data = {"name": "Polres Makassar", "kind": "police_station", "country": "ID",
            "region": "", "time_zone": "Asia/Makassar", "agency": "", "active": "on",
            field: value}
    response = admin_client.post("/admin/justice/facility/add/", data)
    assert response.status_code == 200  # the form again, with the error by the field
    assert "Unknown" in response.content.decode()
    assert not m.Facility.objects.filter(name="Polres Makassar").exists()
    edit = {**data, "name": jakarta.name, "kind": jakarta.kind,
            "agency": jakarta.agency_id or ""}
    admin_client.post(f"/admin/justice/facility/{jakarta.pk}/change/", edit)
    jakarta.refresh_from_db()
    assert (jakarta.country, jakarta.time_zone) == ("ID", "Asia/Jakarta")


def test_a_rule_set_is_added_through_the_service_and_never_changed(
        admin_client: Client) -> None:
    from tests.justice.test_rule_changes import figures

    data = {"country": "ID", "region": "", "valid_from_0": "2020-01-01",
            "valid_from_1": "00:00:00", "reason": "Law 11/2012 on juvenile justice",
            **{k: v for k, v in figures().items() if k != "diversion_types"},
            "diversion_types": "mediation\ncommunity service"}
    response = admin_client.post("/admin/justice/jurisdictionruleset/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    row = m.JurisdictionRuleSet.objects.get(country="ID")
    assert AuditEntry.objects.filter(object_type="jurisdiction_rules",
                                     object_id=str(row.pk), action="create").exists()
    admin_client.post(f"/admin/justice/jurisdictionruleset/{row.pk}/change/",
                      {**data, "macr_years": "7"})
    admin_client.post(f"/admin/justice/jurisdictionruleset/{row.pk}/delete/", {"post": "yes"})
    fresh = m.JurisdictionRuleSet.objects.get(pk=row.pk)
    assert fresh.macr_years == row.macr_years
