"""API tokens: issued from a signed-in web session, used as bearer tokens, revoked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from bridgeway.accounts.models import ApiToken
from bridgeway.accounts.services import api_token_issue
from bridgeway.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/auth/tokens/"
CASES = "/api/v1/cases/"


def _session(user) -> APIClient:
    client = APIClient(enforce_csrf_checks=False)
    client.force_login(user)
    return client


def _bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_token_lifecycle_issue_use_list_revoke(people, register):
    register()
    issued = _session(people.caseworker).post(TOKENS, {"name": "field tablet"}, format="json")
    assert issued.status_code == 201, issued.json()
    body = issued.json()
    raw = body["token"]
    assert raw.startswith("bw_") and body["active"] is True
    assert body["expires_at"]
    stored = ApiToken.objects.get(pk=body["id"])
    assert raw not in (stored.key_hash, stored.prefix)  # only a hash is kept

    client = _bearer(raw)
    assert client.get(CASES).status_code == 200
    assert len(client.get(CASES).json()["items"]) == 1

    listed = client.get(TOKENS).json()["items"]
    assert [t["name"] for t in listed] == ["field tablet"]
    assert "token" not in listed[0] and raw not in str(listed)

    assert client.delete(f"{TOKENS}{body['id']}/").status_code == 204
    after = client.get(CASES)
    assert after.status_code == 401
    assert after.headers["WWW-Authenticate"].startswith("Bearer")
    assert ApiToken.objects.get(pk=body["id"]).revoked_at is not None
    actions = list(AuditEntry.objects.filter(action__startswith="token_")
                   .values_list("action", "channel", "actor_username"))
    assert actions == [("token_issue", "api", "caseworker"),
                       ("token_revoke", "api", "caseworker")]


def test_expired_token_is_refused(people):
    token, raw = api_token_issue(user=people.caseworker, name="old", days_valid=1)
    client = _bearer(raw)
    assert client.get(CASES).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(CASES).status_code == 401


def test_token_of_a_deactivated_user_is_refused(people):
    _, raw = api_token_issue(user=people.caseworker, name="t")
    people.caseworker.is_active = False
    people.caseworker.save(update_fields=["is_active"])
    assert _bearer(raw).get(CASES).status_code == 401


@pytest.mark.parametrize("header", ["Bearer bw_nope", "Bearer", "Bearer a b", "Token bw_x"])
def test_bad_tokens_are_refused(people, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(CASES).status_code == 401


def test_a_token_cannot_mint_another_token(people):
    _, raw = api_token_issue(user=people.caseworker, name="t")
    response = _bearer(raw).post(TOKENS, {"name": "more"}, format="json")
    assert response.status_code == 403
    assert ApiToken.objects.filter(user=people.caseworker).count() == 1


def test_unverified_session_gets_no_token_and_no_data_when_mfa_is_required(
        people, register, settings):
    register()
    settings.BRIDGEWAY_REQUIRE_MFA = True
    client = _session(people.caseworker)  # password only, no TOTP verification
    assert client.post(TOKENS, {"name": "x"}, format="json").status_code == 403
    assert client.get(CASES).status_code == 403
    assert ApiToken.objects.count() == 0


def test_tokens_keep_working_when_mfa_is_required(people, register, settings):
    register()
    _, raw = api_token_issue(user=people.caseworker, name="t")
    settings.BRIDGEWAY_REQUIRE_MFA = True
    assert _bearer(raw).get(CASES).status_code == 200


def test_users_see_and_revoke_only_their_own_tokens(people):
    api_token_issue(user=people.caseworker, name="mine")
    theirs, _ = api_token_issue(user=people.outsider, name="theirs")
    client = _session(people.caseworker)
    assert [t["name"] for t in client.get(TOKENS).json()["items"]] == ["mine"]
    response = client.delete(f"{TOKENS}{theirs.pk}/")
    assert response.status_code == 404
    assert response.json() == client.delete(f"{TOKENS}{theirs.pk + 1000}/").json()
    theirs.refresh_from_db()
    assert theirs.is_active()


@pytest.mark.parametrize("body,field", [
    ({}, "name"), ({"name": ""}, "name"), ({"name": 5}, "name"),
    ({"name": "x", "days_valid": 0}, "days_valid"),
    ({"name": "x", "days_valid": 400}, "days_valid"),
    ({"name": "x", "days_valid": None}, "days_valid"),
    ({"name": "x", "scope": "all"}, "scope"),
])
def test_bad_token_requests_issue_nothing(people, body, field):
    response = _session(people.caseworker).post(TOKENS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize("method,path", [
    ("get", CASES), ("post", CASES), ("post", CASES + "duplicates/"),
    ("get", CASES + "1/"), ("patch", CASES + "1/"), ("put", CASES + "1/child/"),
    ("post", CASES + "1/notes/"), ("post", CASES + "1/status/"),
    ("post", CASES + "1/closure/"), ("post", CASES + "1/closure/decision/"),
    ("post", CASES + "1/reopen/"), ("post", CASES + "1/assign/"),
    ("get", TOKENS), ("post", TOKENS), ("delete", TOKENS + "1/"),
])
def test_unauthenticated_requests_get_401(people, register, method, path):
    register()
    response = getattr(APIClient(), method)(path, {}, format="json")
    assert response.status_code == 401
    assert "Not found" not in response.content.decode()
