"""Appending to and verifying the audit chain."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bridgeway.audit.models import Action, AuditEntry, ChainHead, IntegrityCheck
from bridgeway.core import context

GENESIS = "0" * 64
HASHED_FIELDS = ("seq", "at", "actor_id", "actor_username", "agency_code", "action",
                 "object_type", "object_id", "child_id", "case_id", "channel", "ip",
                 "reason", "detail")


def _digest(prev_hash: str, values: dict[str, Any]) -> str:
    payload = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str,
                         separators=(",", ":"))
    return hmac.new(settings.AUDIT_HMAC_KEY.encode(), (prev_hash + payload).encode(),
                    hashlib.sha256).hexdigest()


def _values(entry: AuditEntry) -> dict[str, Any]:
    values = {name: getattr(entry, name) for name in HASHED_FIELDS}
    values["at"] = entry.at.isoformat(timespec="microseconds")
    return values


def audit_record(*, actor: Any, action: Action | str, object_type: str = "",
                 object_id: object = "", child_id: int | None = None,
                 case_id: int | None = None, reason: str = "",
                 detail: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry. Runs inside the caller's transaction when there is one, so a write
    and its audit entry commit or roll back together."""
    ctx = context.current()
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        agency = getattr(actor, "agency", None) if actor is not None else None
        entry = AuditEntry(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_username=getattr(actor, "username", "") or "",
            agency_code=getattr(agency, "code", "") or "",
            action=str(action),
            object_type=object_type,
            object_id=str(object_id or ""),
            child_id=child_id,
            case_id=case_id,
            channel=ctx.channel,
            ip=ctx.ip,
            reason=reason,
            detail=json.loads(json.dumps(detail or {}, default=str)),
            prev_hash=head.last_hash,
        )
        entry.hash = _digest(entry.prev_hash, _values(entry))
        entry.save()
        head.last_seq, head.last_hash = entry.seq, entry.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None
    message: str


def _iter_entries(batch: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def audit_verify(*, record: bool = True) -> VerifyResult:
    """Walk the whole chain; report the first entry that was edited, inserted or follows a
    deleted one, and whether the chain head matches the last entry (truncation)."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    result: VerifyResult | None = None
    for entry in _iter_entries():
        checked += 1
        if entry.seq != expected_seq:
            result = VerifyResult(False, checked, entry.seq,
                                  f"sequence gap or insertion: expected #{expected_seq}, "
                                  f"found #{entry.seq}")
            break
        if entry.prev_hash != prev_hash:
            result = VerifyResult(False, checked, entry.seq,
                                  f"entry #{entry.seq} does not link to the previous entry")
            break
        if not hmac.compare_digest(entry.hash, _digest(entry.prev_hash, _values(entry))):
            result = VerifyResult(False, checked, entry.seq,
                                  f"entry #{entry.seq} was modified after it was written")
            break
        prev_hash, expected_seq = entry.hash, expected_seq + 1
    if result is None:
        head = ChainHead.objects.filter(pk=1).first()
        head_seq = head.last_seq if head else 0
        head_hash = head.last_hash if head else GENESIS
        if head_seq != expected_seq - 1 or head_hash != prev_hash:
            result = VerifyResult(False, checked, expected_seq,
                                  f"chain head says #{head_seq} but the log ends at "
                                  f"#{expected_seq - 1}: entries were removed from the end")
        else:
            result = VerifyResult(True, checked, None, f"{checked} entries verified")
    if record:
        IntegrityCheck.objects.create(ok=result.ok, entries_checked=result.checked,
                                      first_bad_seq=result.first_bad_seq,
                                      message=result.message)
    return result
