"""API tokens in the Django admin: shown, and revocable through the audited service, but
never added, edited (a token moved to another user, a revocation undone) or deleted."""

from __future__ import annotations

import pytest

from bridgeway.accounts.models import ApiToken
from bridgeway.accounts.services import api_token_authenticate, api_token_issue
from bridgeway.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
TOKENS = "/admin/accounts/apitoken/"


def test_a_token_cannot_be_moved_to_another_user_or_unrevoked(people, admin_client):
    own, raw = api_token_issue(user=people.sysadmin, name="mine")
    url = f"{TOKENS}{own.pk}/change/"
    assert admin_client.get(url).status_code == 200  # a read-only view
    admin_client.post(url, {"user": people.caseworker.pk, "name": "mine",
                            "created_at_0": "2026-01-01", "created_at_1": "00:00:00"})
    assert api_token_authenticate(raw) == people.sysadmin
    assert admin_client.get(f"{TOKENS}add/").status_code == 403
    admin_client.post(f"{TOKENS}{own.pk}/delete/", {"post": "yes"})
    assert ApiToken.objects.filter(pk=own.pk).exists()


def test_revoke_action_goes_through_the_audited_service(people, admin_client):
    token, raw = api_token_issue(user=people.caseworker, name="lost phone")
    response = admin_client.post(TOKENS, {"action": "revoke", "_selected_action": [token.pk]},
                                 follow=True)
    assert response.status_code == 200
    assert api_token_authenticate(raw) is None
    entry = AuditEntry.objects.get(action="token_revoke")
    assert (entry.actor_username, entry.object_id) == ("sysadmin", str(token.pk))
