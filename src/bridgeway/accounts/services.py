"""Account operations: API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.accounts.models import ApiToken, User
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.core.errors import NotAllowed, NotFound, ValidationFailed
from bridgeway.core.text import clean_text

TOKEN_PREFIX = "bw_"  # noqa: S105 - a prefix, not a secret


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user: User, name: str, days_valid: int | None = 90) -> tuple[ApiToken, str]:
    """Issue a token; returns the stored record and the raw token (shown once, never stored)."""
    name = clean_text(name, field="name", required=True, max_length=100)
    if days_valid is not None and not (1 <= days_valid <= 365):
        raise ValidationFailed.single("days_valid", "Between 1 and 365 days.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[:10], key_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(days=days_valid) if days_valid else None,
    )
    audit_record(actor=user, action=Action.TOKEN_ISSUE, object_type="api_token",
                 object_id=token.pk, detail={"prefix": token.prefix,
                                             "expires_at": token.expires_at})
    return token, raw


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=user, action=Action.TOKEN_REVOKE, object_type="api_token",
                     object_id=token.pk, detail={"prefix": token.prefix})
    return token


@transaction.atomic
def api_token_revoke_as_admin(*, actor: User, token_ids: list[int]) -> int:
    """An administrator revokes other users' tokens (a lost phone, a user who left): a
    system admin any token, an agency admin those of their agency's users. Each revocation
    is audited under the administrator's name; returns how many were revoked now."""
    if not policy.may_configure(actor):
        raise NotAllowed("Only administrators revoke other users' tokens.")
    tokens = ApiToken.objects.select_for_update().select_related("user").filter(
        pk__in=list(token_ids)).order_by("pk")
    if getattr(actor, "role", "") != "system_admin":
        tokens = tokens.filter(user__agency_id=actor.agency_id, user__agency__isnull=False)
    revoked = 0
    now = timezone.now()
    for token in tokens:
        if token.revoked_at is not None:
            continue
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action=Action.TOKEN_REVOKE, object_type="api_token",
                     object_id=token.pk, detail={"prefix": token.prefix,
                                                 "owner_id": token.user_id})
        revoked += 1
    return revoked


def api_token_authenticate(raw: str) -> User | None:
    token = ApiToken.objects.select_related("user", "user__agency").filter(
        key_hash=hash_token(raw)).first()
    if token is None or not token.is_active() or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
