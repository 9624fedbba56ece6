"""Notifications to users about sharing events (their own only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from bridgeway.core.errors import NotFound
from bridgeway.referrals.models import Notification
from bridgeway.referrals.services._common import _auditors, _int_id, _notify


def notification_send(*, recipients: Iterable[Any], kind: str, message: str,
                      case: Any = None) -> int:
    """Notify users of something outside a sharing operation (e.g. the audit chain's daily
    check failing). ``message`` must not contain child data: a case number at most."""
    with transaction.atomic():
        return _notify(recipients, kind=kind, message=message, case=case)


def notification_send_to_auditors(*, kind: str, message: str) -> int:
    """Every active auditor gets ``message`` (no child data in it)."""
    return notification_send(recipients=_auditors(), kind=kind, message=message)


def notification_mark_read(*, actor: Any, notification_id: Any) -> Notification:
    pk = _int_id(notification_id)
    with transaction.atomic():
        note = Notification.objects.select_for_update().filter(
            pk=pk, recipient_id=getattr(actor, "pk", None)).first()
        if note is None:
            raise NotFound()
        if note.read_at is None:
            note.read_at = timezone.now()
            note.save(update_fields=["read_at"])
        return note


def notifications_mark_all_read(*, actor: Any) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    return Notification.objects.filter(recipient_id=getattr(actor, "pk", None),
                                       read_at__isnull=True).update(read_at=timezone.now())


def notifications_mark_read(*, actor: Any, ids: Iterable[Any]) -> int:
    """Mark the actor's notifications ``ids`` read, all or none: an id that is not the
    actor's (or does not exist) is NotFound and nothing changes. Returns how many."""
    with transaction.atomic():
        found = [notification_mark_read(actor=actor, notification_id=pk) for pk in ids]
        return len(found)
