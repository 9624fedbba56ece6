"""Reading the audit log: for auditors only, and every reading is itself audited.

Pages go newest first by sequence number, with a keyset cursor (``before``: the last
sequence number shown), so deep pages cost the same as the first.

Filters: user, child, case, action, a date range, and *break-glass*: the entries of
emergency access — the ``break_glass`` entries themselves (opening and ending it) and
every entry the user made on that case while their break-glass access was running
(``referrals.BreakGlass``: from ``started_at`` until it ended or expired). That window is
how "made under a break-glass grant" is told: the audit entry does not name the grant
it was made under, and a time window over the break-glass rows needs no change to how
every other app writes its entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.audit.models import Action, AuditEntry, IntegrityCheck
from bridgeway.audit.services import audit_record
from bridgeway.core.errors import NotAllowed, ValidationFailed

PAGE_SIZE = 50


def _positive_int(raw: Any, name: str, errors: dict[str, list[str]]) -> int | None:
    raw = str(raw or "").strip()
    if not raw:
        return None
    if not raw.isdecimal() or len(raw) > 18:
        errors[name] = ["Must be a whole number."]
        return None
    return int(raw)


def _day(raw: Any, name: str, errors: dict[str, list[str]]) -> date | None:
    raw = str(raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = ["Not a valid date (use YYYY-MM-DD)."]
        return None


@dataclass(frozen=True)
class AuditFilters:
    user: str = ""  # username, exact
    child_id: int | None = None
    case_id: int | None = None
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    break_glass: bool = False  # only break-glass entries and what was done under them
    before: int | None = None  # keyset cursor: show entries with seq < before

    @classmethod
    def from_params(cls, params: Any) -> AuditFilters:
        errors: dict[str, list[str]] = {}
        action = (params.get("action") or "").strip()
        if action and action not in Action.values:
            errors["action"] = [f"Unknown action {action!r}."]
        filters = cls(
            user=(params.get("user") or "").strip()[:150],
            child_id=_positive_int(params.get("child_id"), "child_id", errors),
            case_id=_positive_int(params.get("case_id"), "case_id", errors),
            action=action,
            date_from=_day(params.get("date_from"), "date_from", errors),
            date_to=_day(params.get("date_to"), "date_to", errors),
            break_glass=str(params.get("break_glass") or "").strip().lower()
            in {"1", "true", "on", "yes"},
            before=_positive_int(params.get("before"), "before", errors),
        )
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            errors["date_to"] = ["Ends before it starts."]
        if errors:
            raise ValidationFailed(errors)
        return filters

    def as_audit(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None, False)}


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    next_before: int | None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filtered(filters: AuditFilters) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.all()
    if filters.user:
        qs = qs.filter(actor_username=filters.user)
    if filters.child_id is not None:
        qs = qs.filter(child_id=filters.child_id)
    if filters.case_id is not None:
        qs = qs.filter(case_id=filters.case_id)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.date_from:
        qs = qs.filter(at__gte=_start_of(filters.date_from))
    if filters.date_to:
        qs = qs.filter(at__lt=_start_of(filters.date_to + timedelta(days=1)))
    if filters.break_glass:
        qs = qs.filter(Q(action=Action.BREAK_GLASS) | Exists(_under_break_glass()))
    if filters.before is not None:
        qs = qs.filter(seq__lt=filters.before)
    return qs


def _under_break_glass() -> QuerySet[Any]:
    """Break-glass uses covering an audit entry (correlated on the outer entry): same
    user, same case, made while the access ran."""
    from bridgeway.referrals.models import BreakGlass  # audit must not import it at load

    at = OuterRef("at")
    return BreakGlass.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=at), user_id=OuterRef("actor_id"),
        case_id=OuterRef("case_id"), started_at__lte=at, expires_at__gt=at)


def audit_log(*, actor: Any, filters: AuditFilters, page_size: int = PAGE_SIZE) -> AuditPage:
    """One page of the audit log for an auditor; the viewing is appended to the log first,
    so it shows on the page it produced."""
    if not policy.may_read_audit(actor):
        raise NotAllowed("Only auditors read the audit log.")
    audit_record(actor=actor, action=Action.AUDIT_VIEW, object_type="audit_log",
                 detail={"filters": filters.as_audit()})
    rows = list(_filtered(filters).order_by("-seq")[: page_size + 1])
    next_before = rows[page_size - 1].seq if len(rows) > page_size else None
    return AuditPage(entries=rows[:page_size], next_before=next_before)


def integrity_checks(*, actor: Any, limit: int = 5) -> list[IntegrityCheck]:
    """The latest verifications of the hash chain (daily job and manual runs), newest
    first, for auditors. Reading them is not child data, so it is not audited."""
    if not policy.may_read_audit(actor):
        raise NotAllowed("Only auditors see the integrity checks.")
    return list(IntegrityCheck.objects.order_by("-at", "-id")[:limit])
