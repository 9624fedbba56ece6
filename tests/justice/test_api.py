"""Justice API: the same policy, validation and audit as the pages."""

from __future__ import annotations

from typing import Any

import pytest

from bridgeway.accounts.models import Agency, User
from bridgeway.audit.models import AuditEntry
from bridgeway.justice import models as m
from tests.api.conftest import client_with_token
from tests.justice.conftest import ago, episode_data, iso

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("justice_api_urls")]

BASE = "/api/v1/justice"


@pytest.fixture(autouse=True)
def _fresh_throttle() -> None:
    from django.core.cache import cache

    cache.clear()


def test_record_and_read_the_timeline(people, justice_case, jakarta):
    api = client_with_token(people.police_officer)
    r = api.post(f"{BASE}/cases/{justice_case.pk}/events/",
                 {"kind": "arrest", "at": iso(ago(hours=6)), "time_zone": "Asia/Jakarta",
                  "parent_notified_at": iso(ago(hours=5))}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["at"]["local"].endswith("Asia/Jakarta (UTC+07:00)")
    r = api.post(f"{BASE}/cases/{justice_case.pk}/episodes/",
                 episode_data(jakarta, ago(hours=5), health_problems="asthma",
                              separated_from_adults="no"), format="json")
    assert r.status_code == 201, r.json()
    episode = r.json()
    assert episode["health_problems"] is None  # the police do not see health detail
    timeline = api.get(f"{BASE}/cases/{justice_case.pk}/timeline/").json()
    assert [e["kind"] for e in timeline["events"]] == ["arrest"]
    assert timeline["victim"]["status"] == "pending"
    assert {v["code"] for v in timeline["violations"]} == {"held_with_adults"}
    assert timeline["episodes"][0]["health_problems"] is None
    assert timeline["rules"]["figures"]["max_hours_to_appearance"] == 24
    own = client_with_token(people.supervisor).get(
        f"{BASE}/cases/{justice_case.pk}/timeline/").json()
    assert own["episodes"][0]["health_problems"] == "asthma"
    assert AuditEntry.objects.filter(object_type="justice_record", action="view",
                                     actor=people.police_officer).count() == 1


def test_bad_input_gives_field_errors_and_stores_nothing(people, justice_case, jakarta):
    api = client_with_token(people.caseworker)
    r = api.post(f"{BASE}/cases/{justice_case.pk}/episodes/",
                 episode_data(jakarta, ago(hours=5), commitment_order_ref=""), format="json")
    assert r.status_code == 400
    assert "commitment_order_ref" in r.json()["errors"]
    r = api.post(f"{BASE}/cases/{justice_case.pk}/events/",
                 {"kind": "arrest", "at": "2025-01-01T10:00:00"}, format="json")
    assert r.status_code == 400 and "at" in r.json()["errors"]
    r = api.post(f"{BASE}/cases/{justice_case.pk}/events/",
                 {"kind": "arrest", "at": iso(ago(hours=1)), "colour": "red"}, format="json")
    assert r.status_code == 400 and "colour" in r.json()["errors"]
    assert not m.DetentionEpisode.objects.exists() and not m.JusticeEvent.objects.exists()


def test_release_transfer_and_conflict(people, justice_case, jakarta, jayapura):
    api = client_with_token(people.caseworker)
    first = api.post(f"{BASE}/cases/{justice_case.pk}/episodes/",
                     episode_data(jakarta, ago(days=3)), format="json").json()
    r = api.post(f"{BASE}/episodes/{first['id']}/transfer/",
                 {"at": iso(ago(days=1)), "facility": jayapura.pk,
                  "separated_from_adults": "yes"}, format="json")
    assert r.status_code == 201, r.json()
    second = r.json()
    assert second["transferred_from"] == first["id"]
    r = api.post(f"{BASE}/episodes/{second['id']}/release/",
                 {"released_at": iso(ago(days=2))}, format="json")
    assert r.status_code == 400 and "released_at" in r.json()["errors"]
    r = api.post(f"{BASE}/episodes/{second['id']}/release/",
                 {"released_at": iso(ago(hours=1)), "version": 7}, format="json")
    assert r.status_code == 409
    r = api.post(f"{BASE}/episodes/{second['id']}/release/",
                 {"released_at": iso(ago(hours=1)), "version": 1}, format="json")
    assert r.status_code == 200 and r.json()["released_at"]["utc"] is not None


def test_outsiders_get_404(people, justice_case, jakarta):
    other = User.objects.create_user(
        username="other_officer", password="x" * 12, role="caseworker",
        agency=Agency.objects.create(code="police-2", name="P2", sector="police",
                                     country="ID"))
    episode = client_with_token(people.caseworker).post(
        f"{BASE}/cases/{justice_case.pk}/episodes/", episode_data(jakarta, ago(days=1)),
        format="json").json()
    for user in (other, people.health_worker, people.outsider):
        api = client_with_token(user)
        assert api.get(f"{BASE}/cases/{justice_case.pk}/timeline/").status_code == 404
        assert api.post(f"{BASE}/cases/{justice_case.pk}/events/",
                        {"kind": "arrest", "at": iso(ago(hours=1))},
                        format="json").status_code == 404
        assert api.post(f"{BASE}/episodes/{episode['id']}/release/",
                        {"released_at": iso(ago(hours=1))}, format="json").status_code == 404
        assert api.get(f"{BASE}/deprived-of-liberty/").json() == []
    assert client_with_token(people.police_officer).post(
        f"{BASE}/cases/{justice_case.pk}/agencies/", {"agency": people.agency_police.pk},
        format="json").status_code == 403


def test_deprived_of_liberty_list(people, justice_case, jakarta):
    client_with_token(people.caseworker).post(
        f"{BASE}/cases/{justice_case.pk}/episodes/",
        episode_data(jakarta, ago(days=2), last_resort_justification=""), format="json")
    rows = client_with_token(people.police_officer).get(f"{BASE}/deprived-of-liberty/").json()
    assert len(rows) == 1
    assert rows[0]["case_number"] == justice_case.case_number
    assert rows[0]["days_held"] == 2
    assert [v["code"] for v in rows[0]["violations"]] == ["no_last_resort_justification"]
    assert rows[0]["next_deadline"]["code"] == "pretrial_review_due"


def test_rules_get_and_post(people):
    params: dict[str, Any] = {
        "macr_years": 14, "max_hours_to_appearance": 24, "pretrial_review_days": 14,
        "days_to_charge": 30, "max_pretrial_days": 180, "sealing_years": 5,
        "expungement_years": 10, "age_of_majority": 18, "parent_notification_hours": 24,
        "legal_counsel_access_hours": 24, "continuity_gap_hours": 24,
        "diversion_types": ["warning"]}
    body = {"country": "ID", "valid_from": "2024-01-01", "params": params, "reason": "law"}
    assert client_with_token(people.supervisor).post(
        f"{BASE}/rules/", body, format="json").status_code == 403
    admin = client_with_token(people.sysadmin)
    r = admin.post(f"{BASE}/rules/", {**body, "params": {**params, "days_to_charge": 0}},
                   format="json")
    assert r.status_code == 400 and "days_to_charge" in r.json()["errors"]
    assert admin.post(f"{BASE}/rules/", body, format="json").status_code == 201
    listing = client_with_token(people.caseworker).get(f"{BASE}/rules/").json()
    assert listing[0]["jurisdiction"] == "ID"
    assert listing[0]["versions"][0]["in_force_now"] is True


def test_schema_documents_the_justice_endpoints(people, justice_api_urls):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator(urlconf="tests.justice.urls").get_schema(request=None,
                                                                     public=True)
    paths = schema["paths"]
    assert "/api/v1/justice/cases/{id}/timeline/" in paths
    assert "/api/v1/justice/episodes/{id}/transfer/" in paths


def test_police_custody_without_commitment_order_is_refused(people, justice_case, jayapura):
    api = client_with_token(people.police_officer)
    before = (m.DetentionEpisode.objects.count(), AuditEntry.objects.count())
    for ref in ("", "  ", None):
        data = episode_data(jayapura, ago(hours=5), kind="police_custody",
                            commitment_order_ref=ref)
        if ref is None:
            del data["commitment_order_ref"]
        r = api.post(f"{BASE}/cases/{justice_case.pk}/episodes/", data, format="json")
        assert r.status_code == 400, r.content
        assert "custody order or record" in " ".join(r.json()["errors"]["commitment_order_ref"])
    assert (m.DetentionEpisode.objects.count(),
            AuditEntry.objects.filter(object_type="detention_episode").count()) == (before[0], 0)
    r = api.post(f"{BASE}/cases/{justice_case.pk}/episodes/",
                 episode_data(jayapura, ago(hours=5), kind="police_custody",
                              commitment_order_ref="POLRES/CUSTODY/031"), format="json")
    assert r.status_code == 201, r.content
