"""Users in the Django admin: role, agency, active state, the staff and superuser flags and
passwords change only through the audited services. A system administrator changing
another user writes a Bridgeway audit entry (old and new role and agency); nobody changes
their own privileges (refused, audited, nothing changed); a role that reads child records
never gets administrator powers; bad input gets a clear error and changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from bridgeway.accounts.models import Agency, User
from bridgeway.accounts.services import user_update_as_admin
from bridgeway.audit.models import AuditEntry
from bridgeway.audit.services import audit_verify

pytestmark = pytest.mark.django_db
USERS = "/admin/accounts/user/"


def _form(user: User, **changes: Any) -> dict[str, Any]:
    """The change form as the admin page posts it, with ``changes`` applied."""
    values: dict[str, Any] = {
        "username": user.username, "first_name": user.first_name,
        "last_name": user.last_name, "email": user.email, "language": user.language,
        "role": user.role, "agency": user.agency_id or "", "is_active": user.is_active,
        "is_staff": user.is_staff, "is_superuser": user.is_superuser}
    values.update(changes)
    # An unticked box is not posted at all.
    return {k: ("on" if v is True else v) for k, v in values.items() if v is not False}


def _snapshot(user: User) -> tuple[Any, ...]:
    fresh = User.objects.get(pk=user.pk)
    return (fresh.role, fresh.agency_id, fresh.is_active, fresh.is_staff,
            fresh.is_superuser, fresh.username, fresh.first_name, fresh.password)


def _errors(response: Any) -> str:
    body = response.content.decode()
    return " ".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', body, re.S))


def test_changing_another_users_role_and_agency_is_audited(admin_client, people):
    target = people.caseworker
    response = admin_client.post(f"{USERS}{target.pk}/change/",
                                 _form(target, role="supervisor",
                                       agency=people.agency_b.pk))
    assert response.status_code == 302, _errors(response)
    fresh = User.objects.get(pk=target.pk)
    assert (fresh.role, fresh.agency_id) == ("supervisor", people.agency_b.pk)
    entry = AuditEntry.objects.get(action="update", object_type="user")
    assert (entry.actor_username, entry.object_id) == ("sysadmin", str(target.pk))
    assert entry.detail["username"] == "caseworker"
    assert entry.detail["changed"] == {
        "role": {"old": "caseworker", "new": "supervisor"},
        "agency": {"old": "agency-a", "new": "agency-b"}}
    assert entry.child_id is None and entry.case_id is None
    assert audit_verify(record=False).ok


def test_deactivating_another_user_is_audited(admin_client, people):
    target = people.outsider
    response = admin_client.post(f"{USERS}{target.pk}/change/", _form(target, is_active=False))
    assert response.status_code == 302, _errors(response)
    assert User.objects.get(pk=target.pk).is_active is False
    entry = AuditEntry.objects.get(action="update", object_type="user")
    assert entry.detail["changed"] == {"is_active": {"old": True, "new": False}}


@pytest.mark.parametrize("changes", [
    {"role": "supervisor"},
    {"role": "supervisor", "agency": "AGENCY_A"},
    {"agency": "AGENCY_A"},
    {"is_superuser": False},
    {"is_staff": False},
    {"is_active": False},
], ids=["role", "role+agency", "agency", "superuser", "staff", "active"])
def test_changing_own_privileges_is_refused_and_changes_nothing(admin_client, people,
                                                                 changes):
    me = people.sysadmin
    changes = {k: (people.agency_a.pk if v == "AGENCY_A" else v) for k, v in changes.items()}
    before = _snapshot(me)
    response = admin_client.post(f"{USERS}{me.pk}/change/", _form(me, **changes))
    assert response.status_code == 200
    assert "Nobody changes their own role, agency" in _errors(response)
    assert _snapshot(me) == before
    refused = AuditEntry.objects.get(action="refused", object_type="user")
    assert refused.actor_username == "sysadmin"
    assert (refused.detail["rule"], refused.detail["attempted"]) == ("four_eyes", "update")
    assert not AuditEntry.objects.filter(action="update").exists()
    assert audit_verify(record=False).ok


def test_own_name_is_changed_but_never_own_privileges(admin_client, people):
    me = people.sysadmin
    response = admin_client.post(f"{USERS}{me.pk}/change/", _form(me, first_name="Sam"))
    assert response.status_code == 302, _errors(response)
    assert User.objects.get(pk=me.pk).first_name == "Sam"
    entry = AuditEntry.objects.get(action="update")
    assert entry.detail["profile"] == ["first_name"] and entry.detail["changed"] == {}


def test_a_child_record_role_never_gets_admin_powers(admin_client, people):
    target = people.supervisor
    before = _snapshot(target)
    response = admin_client.post(f"{USERS}{target.pk}/change/",
                                 _form(target, is_staff=True, is_superuser=True))
    assert response.status_code == 200
    assert "separation of duties" in _errors(response)
    assert _snapshot(target) == before
    refused = AuditEntry.objects.get(action="refused")
    assert refused.detail["rule"] == "separation_of_duties"


def test_an_admin_made_supervisor_loses_admin_powers_in_the_same_change(admin_client, people):
    other = people.auditor  # a second system administrator, made so by the first
    user_update_as_admin(actor=people.sysadmin, user_id=other.pk,
                         data={"role": "system_admin", "is_staff": True, "is_superuser": True})
    other.refresh_from_db()
    kept = admin_client.post(f"{USERS}{other.pk}/change/",
                             _form(other, role="supervisor", agency=people.agency_a.pk))
    assert kept.status_code == 200 and "separation of duties" in _errors(kept)
    assert User.objects.get(pk=other.pk).role == "system_admin"
    dropped = admin_client.post(f"{USERS}{other.pk}/change/",
                                _form(other, role="supervisor", agency=people.agency_a.pk,
                                      is_staff=False, is_superuser=False))
    assert dropped.status_code == 302, _errors(dropped)
    fresh = User.objects.get(pk=other.pk)
    assert (fresh.role, fresh.is_staff, fresh.is_superuser) == ("supervisor", False, False)


@pytest.mark.parametrize(("changes", "message"), [
    ({"role": "director"}, "Select a valid choice"),
    ({"agency": ""}, "works for an agency: choose one"),
    ({"agency": 999999}, "Select a valid choice"),
    ({"agency": "INACTIVE"}, "This agency is deactivated"),
    ({"role": "system_admin"}, "belongs to none: leave the agency empty"),
    ({"role": "auditor"}, "belongs to none: leave the agency empty"),
    ({"email": "not-an-address"}, "valid email"),
], ids=["unknown-role", "no-agency", "unknown-agency", "deactivated-agency",
        "system-admin-in-agency", "auditor-in-agency", "email"])
def test_bad_input_gets_a_clear_error_and_changes_nothing(admin_client, people, changes,
                                                          message):
    target = people.caseworker
    if changes.get("agency") == "INACTIVE":
        closed = Agency.objects.create(code="closed", name="Closed", sector="child_protection",
                                       country="ID", active=False)
        changes = {"agency": closed.pk}
    before = _snapshot(target)
    response = admin_client.post(f"{USERS}{target.pk}/change/", _form(target, **changes))
    assert response.status_code == 200
    assert message in _errors(response)
    assert _snapshot(target) == before
    assert not AuditEntry.objects.filter(action__in=["update", "refused"]).exists()


def _field_names(body: str) -> set[str]:
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', body))
    return names - {"csrfmiddlewaretoken", "_save", "_continue", "_addanother"}


def test_the_forms_show_no_field_that_bypasses_the_service(admin_client, people):
    change = admin_client.get(f"{USERS}{people.caseworker.pk}/change/").content.decode()
    assert _field_names(change) == {"username", "first_name", "last_name", "email",
                                    "language", "role", "agency", "is_active", "is_staff",
                                    "is_superuser"}
    add = admin_client.get(f"{USERS}add/").content.decode()
    assert _field_names(add) == {"username", "usable_password", "password1", "password2",
                                 "first_name", "last_name", "email", "language", "role",
                                 "agency", "is_staff", "is_superuser"}
    for body in (change, add):
        assert "user_permissions" not in body and 'name="groups"' not in body


def test_fields_outside_the_form_are_ignored(admin_client, people):
    target = people.caseworker
    before = _snapshot(target)
    response = admin_client.post(f"{USERS}{target.pk}/change/", {
        **_form(target), "groups": [1], "user_permissions": [1],
        "password": "pbkdf2_sha256$1$x$y", "last_login_0": "2020-01-01",
        "date_joined_0": "2020-01-01"})
    assert response.status_code == 302, _errors(response)
    assert _snapshot(target) == before
    fresh = User.objects.get(pk=target.pk)
    assert not fresh.groups.exists() and not fresh.user_permissions.exists()


def test_creating_a_user_goes_through_the_audited_service(admin_client, people):
    response = admin_client.post(f"{USERS}add/", {
        "username": "new_supervisor", "usable_password": "true",
        "password1": "a long pass phrase 41", "password2": "a long pass phrase 41",
        "first_name": "Nadia", "role": "supervisor", "agency": people.agency_a.pk})
    assert response.status_code == 302, _errors(response)
    user = User.objects.get(username="new_supervisor")
    assert (user.role, user.agency_id, user.is_staff) == ("supervisor", people.agency_a.pk,
                                                          False)
    assert user.check_password("a long pass phrase 41")
    entry = AuditEntry.objects.get(action="create", object_type="user")
    assert entry.actor_username == "sysadmin" and entry.object_id == str(user.pk)
    assert (entry.detail["role"], entry.detail["agency"]) == ("supervisor", "agency-a")
    assert audit_verify(record=False).ok


@pytest.mark.parametrize(("extra", "message", "audited"), [
    ({"role": "caseworker", "agency": "A", "is_superuser": "on", "is_staff": "on"},
     "separation of duties", True),
    ({"role": "caseworker"}, "works for an agency: choose one", False),
    ({"role": "director", "agency": "A"}, "Select a valid choice", False),
    ({"role": "auditor", "agency": "A"}, "leave the agency empty", False),
], ids=["caseworker-superuser", "no-agency", "unknown-role", "auditor-in-agency"])
def test_creating_a_bad_user_is_refused_and_creates_nothing(admin_client, people, extra,
                                                            message, audited):
    extra = {k: (people.agency_a.pk if v == "A" else v) for k, v in extra.items()}
    response = admin_client.post(f"{USERS}add/", {
        "username": "someone", "usable_password": "false", **extra})
    assert response.status_code == 200
    assert message in _errors(response)
    assert not User.objects.filter(username="someone").exists()
    assert AuditEntry.objects.filter(action="refused").exists() is audited
    assert not AuditEntry.objects.filter(action="create").exists()


def test_a_password_reset_is_audited_and_never_ones_own_here(admin_client, people):
    target = people.supervisor
    response = admin_client.post(f"{USERS}{target.pk}/password/", {
        "usable_password": "true", "password1": "another pass phrase 7",
        "password2": "another pass phrase 7"})
    assert response.status_code == 302
    assert User.objects.get(pk=target.pk).check_password("another pass phrase 7")
    entry = AuditEntry.objects.get(action="update", object_type="user")
    assert entry.detail["profile"] == ["password"] and "another" not in str(entry.detail)
    me = people.sysadmin
    before = _snapshot(me)
    own = admin_client.post(f"{USERS}{me.pk}/password/", {
        "usable_password": "true", "password1": "another pass phrase 7",
        "password2": "another pass phrase 7"})
    assert own.status_code == 200 and "your own password page" in own.content.decode()
    assert _snapshot(me) == before


def test_staff_without_django_permissions_gets_no_user_page(people, settings):
    settings.BRIDGEWAY_REQUIRE_MFA = False
    user_update_as_admin(actor=people.sysadmin, user_id=people.agency_admin.pk,
                         data={"is_staff": True})
    client = Client()
    assert client.login(username="agency_admin", password="pw-agency_admin")
    # Staff without Django permissions: the admin refuses them; they manage users elsewhere
    # through the same service (tests/accounts/test_user_services.py).
    assert client.get(f"{USERS}{people.outsider.pk}/change/").status_code == 403
