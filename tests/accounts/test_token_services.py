from __future__ import annotations

import pytest

from bridgeway.accounts.services import api_token_issue, api_token_revoke
from bridgeway.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_issue_and_revoke_are_audited_once_each(people):
    token, raw = api_token_issue(user=people.caseworker, name="phone")
    assert raw.startswith("bw_") and token.key_hash != raw
    api_token_revoke(user=people.caseworker, token_id=token.pk)
    api_token_revoke(user=people.caseworker, token_id=token.pk)  # already revoked: no entry
    actions = list(AuditEntry.objects.filter(object_type="api_token")
                   .values_list("action", flat=True))
    assert actions == ["token_issue", "token_revoke"]


def test_administrators_revoke_tokens_and_each_revocation_is_audited(people):
    from bridgeway.accounts.services import api_token_revoke_as_admin

    mine, _ = api_token_issue(user=people.caseworker, name="phone")
    theirs, _ = api_token_issue(user=people.outsider, name="tablet")
    # an agency admin revokes only tokens of their agency's users
    assert api_token_revoke_as_admin(actor=people.agency_admin,
                                     token_ids=[mine.pk, theirs.pk]) == 1
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert api_token_revoke_as_admin(actor=people.sysadmin,
                                     token_ids=[mine.pk, theirs.pk]) == 1  # one was already
    entries = AuditEntry.objects.filter(action="token_revoke")
    assert sorted((e.actor_username, e.object_id, e.detail["owner_id"]) for e in entries) == [
        ("agency_admin", str(mine.pk), people.caseworker.pk),
        ("sysadmin", str(theirs.pk), people.outsider.pk)]


@pytest.mark.parametrize("who", ["caseworker", "supervisor", "auditor", "analyst"])
def test_only_administrators_revoke_other_users_tokens(people, who):
    from bridgeway.accounts.services import api_token_revoke_as_admin
    from bridgeway.core.errors import NotAllowed

    token, _ = api_token_issue(user=people.other_caseworker, name="phone")
    with pytest.raises(NotAllowed):
        api_token_revoke_as_admin(actor=getattr(people, who), token_ids=[token.pk])
    token.refresh_from_db()
    assert token.revoked_at is None
    assert not AuditEntry.objects.filter(action="token_revoke").exists()
