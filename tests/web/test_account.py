"""Signing in and out (audited), idle timeout, lockout, two-factor enrolment with a real
TOTP code, and API tokens."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from bridgeway.accounts.models import ApiToken
from bridgeway.accounts.services import api_token_authenticate, api_token_issue
from bridgeway.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
LOGIN, LOGOUT, MFA = reverse("web:login"), reverse("web:logout"), reverse("web:mfa")
TOKENS = reverse("web:tokens")


def sign_in(client: Client, username: str, password: str | None = None):
    return client.post(LOGIN, {"username": username, "password": password or f"pw-{username}"})


def test_login_and_logout_are_audited(people, client):
    response = sign_in(client, "caseworker")
    assert response.status_code == 302 and response["Location"] == reverse("web:case_list")
    login_entry = AuditEntry.objects.get(action="login")
    assert login_entry.actor == people.caseworker and login_entry.channel == "web"
    assert client.post(LOGOUT).status_code == 302
    assert AuditEntry.objects.get(action="logout").actor == people.caseworker
    assert client.get(reverse("web:case_list")).status_code == 302  # signed out


def test_failed_login_is_audited_with_the_username_tried(people, client):
    response = sign_in(client, "caseworker", "wrong-password")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    entry = AuditEntry.objects.get(action="login_failed")
    assert entry.detail == {"username": "caseworker"} and entry.actor is None
    assert "wrong-password" not in str(entry.detail)


def test_idle_session_ends_with_a_message(people, client, settings):
    settings.BRIDGEWAY_IDLE_TIMEOUT = 60
    sign_in(client, "caseworker")
    session = client.session
    session["bw_last_seen"] = int(time.time()) - 3600
    session.save()
    response = client.get(reverse("web:case_list"))
    assert response.status_code == 302 and response["Location"].endswith("?timeout=1")
    page = client.get(response["Location"]).content.decode()
    assert "signed out because the session was idle" in page
    assert AuditEntry.objects.filter(action="logout", actor=people.caseworker).exists()


def test_repeated_failures_lock_the_account_with_a_clear_page(people, client, settings):
    settings.AXES_ENABLED = True
    statuses = [sign_in(client, "caseworker", "bad").status_code
                for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    locked = sign_in(client, "caseworker")  # even the right password is refused now
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "Sign-in temporarily locked" in body and "failed sign-in attempts" in body
    assert client.get(reverse("web:case_list")).status_code == 302
    assert AuditEntry.objects.filter(action="login_failed").count() >= 5


def _code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0 - steps_ahead * device.step,
                 digits=device.digits, drift=device.drift)
    return f"{value:0{device.digits}d}"


def test_mfa_enrolment_and_verification_with_a_real_totp_code(people, client, settings):
    settings.BRIDGEWAY_REQUIRE_MFA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    sign_in(client, "caseworker")
    assert client.get(reverse("web:case_list"))["Location"] == MFA
    page = client.get(MFA)
    body = page.content.decode()
    assert "<svg" in body and "otpauth://totp/" in body
    assert " style=" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]
    device = TOTPDevice.objects.get(user=people.caseworker, confirmed=False)

    wrong = client.post(MFA, {"token": "12345"})
    assert wrong.status_code == 400 and "did not match" in wrong.content.decode()
    assert client.get(reverse("web:case_list")).status_code == 302  # still not verified

    done = client.post(MFA, {"token": _code(device)})
    assert done.status_code == 302 and done["Location"] == reverse("web:case_list")
    assert client.get(reverse("web:case_list")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="login", detail__step="mfa_enrolled").exists()

    # Next sign-in: a code is asked for, and no new device (or QR code) is offered.
    other = Client()
    sign_in(other, "caseworker")
    verify_page = other.get(MFA).content.decode()
    assert "<svg" not in verify_page and "Enter the 6-digit code" in verify_page
    assert other.post(MFA, {"token": _code(device, steps_ahead=1)}).status_code == 302
    assert other.get(reverse("web:case_list")).status_code == 200
    assert TOTPDevice.objects.filter(user=people.caseworker).count() == 1


def test_mfa_page_is_reachable_before_verification_but_nothing_else(people, client, settings):
    settings.BRIDGEWAY_REQUIRE_MFA = True
    sign_in(client, "supervisor")
    for name in ("web:case_list", "web:register", "web:tokens"):
        assert client.get(reverse(name))["Location"] == MFA
    assert client.get(MFA).status_code == 200


def test_issue_list_and_revoke_a_token(people, login):
    client = login(people.caseworker)
    response = client.post(TOKENS, {"action": "issue", "name": "ODK sync", "days_valid": "30"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    raw = response.context["new_token"]
    assert raw.startswith("bw_") and raw in response.content.decode()
    assert api_token_authenticate(raw) == people.caseworker
    token = ApiToken.objects.get(user=people.caseworker)
    assert raw not in (token.key_hash, token.prefix)  # only a hash is stored
    listing = client.get(TOKENS).content.decode()
    assert "ODK sync" in listing and token.prefix in listing and raw not in listing
    assert AuditEntry.objects.filter(action="token_issue", actor=people.caseworker).exists()

    assert client.post(TOKENS, {"action": "revoke", "token_id": token.pk}).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and api_token_authenticate(raw) is None
    assert "Revoked" in client.get(TOKENS).content.decode()
    assert AuditEntry.objects.filter(action="token_revoke", actor=people.caseworker).exists()


@pytest.mark.parametrize("data,field", [({"name": "", "days_valid": "30"}, "name"),
                                        ({"name": "x", "days_valid": "0"}, "days_valid"),
                                        ({"name": "x", "days_valid": "abc"}, "days_valid"),
                                        ({"name": "x" * 101, "days_valid": "30"}, "name")])
def test_bad_token_request_is_refused_and_input_kept(people, login, data, field):
    response = login(people.caseworker).post(TOKENS, dict(data, action="issue"))
    assert response.status_code == 400 and field in response.context["errors"]
    assert data["name"] in response.content.decode()
    assert not ApiToken.objects.exists()


def test_nobody_revokes_someone_elses_token(people, login):
    token, raw = api_token_issue(user=people.supervisor, name="Mine")
    response = login(people.caseworker).post(TOKENS, {"action": "revoke", "token_id": token.pk})
    assert response.status_code == 404
    assert api_token_authenticate(raw) == people.supervisor
