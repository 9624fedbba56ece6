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
