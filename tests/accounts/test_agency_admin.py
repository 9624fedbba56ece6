"""Agencies are created and changed only through the audited services: an agency's sector
decides what its users may see, so the audit entry holds the old and new sector and active
state. Only a system administrator changes them; bad input gets a clear error and changes
nothing, in the admin and in the service."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bridgeway.accounts.models import Agency
from bridgeway.accounts.services import agency_create_as_admin, agency_update_as_admin
from bridgeway.audit.models import AuditEntry
from bridgeway.audit.services import audit_verify
from bridgeway.core.errors import NotAllowed, NotFound, ValidationFailed

pytestmark = pytest.mark.django_db
AGENCIES = "/admin/accounts/agency/"


def _form(agency: Agency | None = None, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"name": "", "code": "", "sector": "", "country": "",
                              "region": "", "active": True}
    if agency is not None:
        values.update({name: getattr(agency, name) for name in values})
    values.update(changes)
    return {k: ("on" if v is True else v) for k, v in values.items() if v is not False}


def _snapshot(agency: Agency) -> tuple[Any, ...]:
    fresh = Agency.objects.get(pk=agency.pk)
    return (fresh.name, fresh.code, fresh.sector, fresh.country, fresh.region, fresh.active)


def _errors(response: Any) -> str:
    body = response.content.decode()
    return " ".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', body, re.S))


def test_creating_an_agency_is_audited(admin_client):
    response = admin_client.post(f"{AGENCIES}add/", _form(
        name="Court of Makassar", code="court-mks", sector="court", country="id"))
    assert response.status_code == 302, _errors(response)
    agency = Agency.objects.get(code="court-mks")
    assert (agency.sector, agency.country, agency.active) == ("court", "ID", True)
    entry = AuditEntry.objects.get(action="create", object_type="agency")
    assert (entry.actor_username, entry.object_id) == ("sysadmin", str(agency.pk))
    assert entry.detail == {"code": "court-mks", "name": "Court of Makassar",
                            "sector": "court", "country": "ID", "region": "",
                            "active": True}
    assert audit_verify(record=False).ok


def test_changing_the_sector_is_audited_old_and_new(admin_client, people):
    agency = people.agency_health
    response = admin_client.post(f"{AGENCIES}{agency.pk}/change/",
                                 _form(agency, sector="child_protection"))
    assert response.status_code == 302, _errors(response)
    assert Agency.objects.get(pk=agency.pk).sector == "child_protection"
    entry = AuditEntry.objects.get(action="update", object_type="agency")
    assert entry.actor_username == "sysadmin"
    assert entry.detail["changed"] == {"sector": {"old": "health", "new": "child_protection"}}
    assert entry.detail["sector"] == {"old": "health", "new": "child_protection"}
    assert entry.detail["active"] == {"old": True, "new": True}
    assert entry.detail["code"] == "health-clinic" and entry.detail["users"] == 1
    assert audit_verify(record=False).ok


def test_deactivating_and_renaming_is_audited(admin_client, people):
    agency = people.agency_b
    response = admin_client.post(f"{AGENCIES}{agency.pk}/change/",
                                 _form(agency, active=False, name="Agency B (closed)"))
    assert response.status_code == 302, _errors(response)
    entry = AuditEntry.objects.get(action="update", object_type="agency")
    assert entry.detail["changed"] == {"active": {"old": True, "new": False},
                                       "name": {"old": "Agency B", "new": "Agency B (closed)"}}
    assert entry.detail["active"] == {"old": True, "new": False}


def test_an_unchanged_form_writes_no_audit_entry(admin_client, people):
    agency = people.agency_a
    response = admin_client.post(f"{AGENCIES}{agency.pk}/change/", _form(agency))
    assert response.status_code == 302, _errors(response)
    assert not AuditEntry.objects.filter(object_type="agency").exists()


BAD = [
    ({"sector": "army"}, "valid choice"),
    ({"name": "   "}, "required"),
    ({"code": "agency-b"}, "already exists"),
    ({"code": "AGENCY-B"}, "already exists"),
    ({"code": "has space"}, "slug"),
    ({"country": "Indonesia"}, "at most 2"),
    ({"country": "1D"}, "two-letter country code"),
]


@pytest.mark.parametrize(("changes", "message"), BAD,
                         ids=["sector", "name", "code", "code-case", "code-slug", "country",
                              "country-letters"])
def test_bad_change_gets_a_clear_error_and_changes_nothing(admin_client, people, changes,
                                                           message):
    agency = people.agency_a
    before = _snapshot(agency)
    response = admin_client.post(f"{AGENCIES}{agency.pk}/change/", _form(agency, **changes))
    assert response.status_code == 200
    assert message.lower() in _errors(response).lower()
    assert _snapshot(agency) == before
    assert not AuditEntry.objects.filter(object_type="agency").exists()


@pytest.mark.parametrize(("changes", "message"), BAD[:4], ids=["sector", "name", "code",
                                                               "code-case"])
def test_bad_new_agency_gets_a_clear_error_and_creates_nothing(admin_client, changes,
                                                                message):
    count = Agency.objects.count()
    values = {"name": "New", "code": "new-agency", "sector": "health", "country": "ID",
              **changes}
    response = admin_client.post(f"{AGENCIES}add/", _form(**values))
    assert response.status_code == 200
    assert message.lower() in _errors(response).lower()
    assert Agency.objects.count() == count
    assert not AuditEntry.objects.filter(object_type="agency").exists()


@pytest.mark.parametrize(("data", "field"), [
    ({"sector": "army"}, "sector"),
    ({"name": ""}, "name"),
    ({"code": "Agency-B"}, "code"),
    ({"active": "no"}, "active"),
    ({"region": "x" * 41}, "region"),
])
def test_the_service_refuses_bad_input_and_changes_nothing(people, data, field):
    agency = people.agency_a
    before = _snapshot(agency)
    with pytest.raises(ValidationFailed) as exc:
        agency_update_as_admin(actor=people.sysadmin, agency_id=agency.pk, data=data)
    assert field in exc.value.errors
    assert _snapshot(agency) == before
    with pytest.raises(ValidationFailed):
        agency_create_as_admin(actor=people.sysadmin,
                               data={"name": "N", "code": "n", "sector": "health",
                                     "country": "ID", **data})
    assert not Agency.objects.filter(code__in=["n", "Agency-B"]).exclude(
        pk=people.agency_b.pk).exists()
    assert not AuditEntry.objects.filter(object_type="agency").exists()


@pytest.mark.parametrize("actor", ["agency_admin", "caseworker", "supervisor", "analyst",
                                   "auditor"])
def test_only_a_system_administrator_changes_agencies(people, actor):
    agency = people.agency_a
    before = _snapshot(agency)
    with pytest.raises(NotAllowed, match="Only a system administrator"):
        agency_update_as_admin(actor=getattr(people, actor), agency_id=agency.pk,
                               data={"sector": "police"})
    with pytest.raises(NotAllowed):
        agency_create_as_admin(actor=getattr(people, actor),
                               data={"name": "N", "code": "n", "sector": "police",
                                     "country": "ID"})
    assert _snapshot(agency) == before
    assert not Agency.objects.filter(code="n").exists()
    assert not AuditEntry.objects.filter(object_type="agency").exists()


def test_an_unknown_agency_is_not_found(people):
    with pytest.raises(NotFound):
        agency_update_as_admin(actor=people.sysadmin, agency_id=999_999, data={"name": "X"})
