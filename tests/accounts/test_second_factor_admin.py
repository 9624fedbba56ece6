"""Second-factor devices and the Django admin: django-otp's device pages (add a device for
any user, see its key) are not offered; a user enrols their own device at sign-in, and an
administrator may only remove a user's devices, through the audited service, which makes
the user enrol again. No device secret is ever shown to an administrator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from bridgeway.accounts.services import (
    user_second_factor_reset_as_admin,
    user_update_as_admin,
)
from bridgeway.audit.models import AuditEntry
from bridgeway.audit.services import audit_verify
from bridgeway.core.errors import NotAllowed, NotFound

pytestmark = pytest.mark.django_db
USERS = "/admin/accounts/user/"


def _enrol(username: str, settings: Any) -> tuple[Client, TOTPDevice]:
    """The user signs in and enrols their authenticator app through the real page."""
    settings.BRIDGEWAY_REQUIRE_MFA = True
    client = Client()
    assert client.login(username=username, password="pw-" + username)
    assert client.get("/mfa/").status_code == 200
    device = TOTPDevice.objects.get(user__username=username)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    response = client.post("/mfa/", {"token": f"{code:0{device.digits}d}"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    settings.BRIDGEWAY_REQUIRE_MFA = False
    return client, device


def _reset(client: Client, *users: Any) -> Any:
    return client.post(USERS, {"action": "reset_second_factor",
                               "_selected_action": [u.pk for u in users]}, follow=True)


def test_no_device_model_is_offered_in_the_admin(admin_client):
    assert not [m for m in admin.site._registry if issubclass(m, Device)]
    for url in ("/admin/otp_totp/totpdevice/", "/admin/otp_totp/totpdevice/add/"):
        assert admin_client.get(url).status_code == 404
    index = admin_client.get("/admin/").content.decode()
    assert "otp_totp" not in index and "TOTP" not in index


def test_reset_removes_the_devices_audits_and_forces_reenrolment(admin_client, people,
                                                                 settings):
    user_client, device = _enrol("caseworker", settings)
    key = device.key
    response = _reset(admin_client, people.caseworker)
    assert response.status_code == 200
    assert "Second factor reset for 1 user(s)" in response.content.decode()
    assert key not in response.content.decode()
    assert not TOTPDevice.objects.filter(user=people.caseworker).exists()
    entry = AuditEntry.objects.get(action="delete", object_type="user")
    assert (entry.actor_username, entry.object_id) == ("sysadmin", str(people.caseworker.pk))
    assert entry.detail == {"username": "caseworker", "second_factor": "reset",
                            "removed": [{"type": "otp_totp.totpdevice",
                                         "name": "Authenticator app", "confirmed": True}]}
    assert key not in json.dumps(entry.detail) and device.bin_key.hex() not in str(entry)
    assert audit_verify(record=False).ok
    # The user's signed-in session is no longer verified: they are sent to enrol again.
    settings.BRIDGEWAY_REQUIRE_MFA = True
    again = user_client.get("/")
    assert again.status_code == 302 and again["Location"].startswith("/mfa/")
    enrol_page = user_client.get("/mfa/")
    assert enrol_page.context["enrolling"] is True


def test_the_user_list_shows_whether_enrolled_but_no_secret(admin_client, people, settings):
    _, device = _enrol("caseworker", settings)
    body = admin_client.get(USERS).content.decode()
    assert "Second factor enrolled" in body
    assert device.key not in body and "otpauth" not in body
    change = admin_client.get(f"{USERS}{people.caseworker.pk}/change/").content.decode()
    assert device.key not in change and "otpauth" not in change


def test_a_user_without_devices_is_not_audited(admin_client, people):
    response = _reset(admin_client, people.caseworker)
    assert "Second factor reset for 0 user(s)" in response.content.decode()
    assert not AuditEntry.objects.filter(action="delete").exists()


def test_own_devices_are_never_reset_here_and_nothing_changes(admin_client, people,
                                                               settings):
    own = TOTPDevice.objects.create(user=people.sysadmin, name="mine", confirmed=True)
    _, other = _enrol("caseworker", settings)
    response = _reset(admin_client, people.sysadmin, people.caseworker)
    assert "Nobody resets their own second factor" in response.content.decode()
    assert TOTPDevice.objects.filter(pk__in=[own.pk, other.pk]).count() == 2
    assert not AuditEntry.objects.filter(action="delete").exists()


def test_an_agency_admin_resets_only_their_agencys_users(people, settings):
    _, ours = _enrol("caseworker", settings)
    _, theirs = _enrol("outsider", settings)
    actor = people.agency_admin
    with pytest.raises(NotAllowed, match="only the users of their own agency"):
        user_second_factor_reset_as_admin(actor=actor,
                                          user_ids=[people.caseworker.pk, people.outsider.pk])
    assert TOTPDevice.objects.filter(pk__in=[ours.pk, theirs.pk]).count() == 2
    assert user_second_factor_reset_as_admin(actor=actor,
                                             user_ids=[people.caseworker.pk]) == 1
    assert not TOTPDevice.objects.filter(pk=ours.pk).exists()
    assert TOTPDevice.objects.filter(pk=theirs.pk).exists()
    assert AuditEntry.objects.get(action="delete").actor_username == "agency_admin"


def test_an_agency_admin_never_resets_a_superuser(people):
    user_update_as_admin(actor=people.sysadmin, user_id=people.auditor.pk,
                         data={"role": "system_admin", "is_staff": True,
                               "is_superuser": True})
    device = TOTPDevice.objects.create(user=people.auditor, name="x", confirmed=True)
    with pytest.raises(NotAllowed):
        user_second_factor_reset_as_admin(actor=people.agency_admin,
                                          user_ids=[people.auditor.pk])
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


@pytest.mark.parametrize("actor", ["caseworker", "supervisor", "analyst", "auditor"])
def test_non_administrators_reset_nothing(people, actor):
    device = TOTPDevice.objects.create(user=people.outsider, name="x", confirmed=True)
    with pytest.raises(NotAllowed):
        user_second_factor_reset_as_admin(actor=getattr(people, actor),
                                          user_ids=[people.outsider.pk])
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not AuditEntry.objects.filter(action="delete").exists()


def test_an_unknown_user_is_refused_and_nothing_changes(people):
    device = TOTPDevice.objects.create(user=people.outsider, name="x", confirmed=True)
    with pytest.raises(NotFound):
        user_second_factor_reset_as_admin(actor=people.sysadmin,
                                          user_ids=[people.outsider.pk, 999_999])
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not AuditEntry.objects.filter(action="delete").exists()


# --- four eyes on account recovery: never password and second factor by one administrator


def _set_password(client: Client, user: Any) -> Any:
    password = "another pass phrase 7"
    return client.post(f"{USERS}{user.pk}/password/", {
        "usable_password": "true", "password1": password, "password2": password})


def test_one_admin_never_resets_password_then_second_factor(admin_client, people, settings):
    _, device = _enrol("caseworker", settings)
    assert _set_password(admin_client, people.caseworker).status_code == 302
    response = _reset(admin_client, people.caseworker)
    assert "would let you sign in as them" in response.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    refused = AuditEntry.objects.get(action="refused")
    assert (refused.actor_username, refused.object_id) == ("sysadmin",
                                                           str(people.caseworker.pk))
    assert (refused.detail["rule"], refused.detail["attempted"]) == (
        "four_eyes_recovery", "second_factor")
    assert not AuditEntry.objects.filter(action="delete").exists()
    assert audit_verify(record=False).ok


def test_one_admin_never_resets_second_factor_then_password(admin_client, people, settings):
    _enrol("caseworker", settings)
    _reset(admin_client, people.caseworker)
    before = type(people.caseworker).objects.get(pk=people.caseworker.pk).password
    response = _set_password(admin_client, people.caseworker)
    assert response.status_code == 200
    assert "would let you sign in as them" in response.content.decode()
    assert type(people.caseworker).objects.get(pk=people.caseworker.pk).password == before
    refused = AuditEntry.objects.get(action="refused")
    assert (refused.detail["rule"], refused.detail["attempted"]) == (
        "four_eyes_recovery", "password")
    assert not AuditEntry.objects.filter(action="update", object_type="user").exists()


def test_another_administrator_does_the_second_half(admin_client, people, settings):
    _, device = _enrol("caseworker", settings)
    assert _set_password(admin_client, people.caseworker).status_code == 302
    assert user_second_factor_reset_as_admin(actor=people.agency_admin,
                                             user_ids=[people.caseworker.pk]) == 1
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not AuditEntry.objects.filter(action="refused").exists()


def test_removing_a_password_after_a_second_factor_reset_is_allowed(admin_client, people,
                                                                     settings):
    _enrol("caseworker", settings)
    _reset(admin_client, people.caseworker)
    response = admin_client.post(f"{USERS}{people.caseworker.pk}/password/",
                                 {"usable_password": "false", "unset-password": "1"})
    assert response.status_code == 302
    assert not type(people.caseworker).objects.get(
        pk=people.caseworker.pk).has_usable_password()
