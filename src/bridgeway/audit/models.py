"""The tamper-evident audit log.

Every read and write of child data appends one ``AuditEntry``. Entries form a chain: each
stores the HMAC of its own content plus the previous entry's hash, and sequence numbers are
contiguous, so an edited, deleted or inserted row breaks the chain and ``manage.py
audit_verify`` reports where. The application never updates or deletes entries (the model
refuses, and database triggers refuse too).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Action(models.TextChoices):
    LIST = "list"
    SEARCH = "search"
    VIEW = "view"
    EXPORT = "export"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NOTE = "note"
    ASSIGN = "assign"
    STATUS = "status"
    CLOSE_REQUEST = "close_request"
    CLOSE_APPROVE = "close_approve"
    CLOSE_REJECT = "close_reject"
    REOPEN = "reopen"
    CONFLICT = "conflict"
    # A write refused by a business rule worth an auditor's eye (a supervisor deciding on
    # their own request: four eyes); ``detail`` names the attempted action and the rule.
    REFUSED = "refused"
    BREAK_GLASS = "break_glass"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    TOKEN_ISSUE = "token_issue"  # noqa: S105
    TOKEN_REVOKE = "token_revoke"  # noqa: S105
    AUDIT_VIEW = "audit_view"


class AuditEntry(models.Model):
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_constraint=False,
    )
    actor_username = models.CharField(max_length=150, blank=True)
    agency_code = models.CharField(max_length=40, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    child_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    channel = models.CharField(max_length=10, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["actor", "at"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor_username} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise RuntimeError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("Audit entries are append-only.")


class ChainHead(models.Model):
    """One row holding the last sequence number and hash; locking it serializes appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)


class IntegrityCheck(models.Model):
    """Result of each verification run (the daily job and manual runs)."""

    at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField()
    entries_checked = models.BigIntegerField()
    first_bad_seq = models.BigIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-at"]
