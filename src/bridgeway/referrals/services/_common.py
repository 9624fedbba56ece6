"""Helpers shared by the sharing services (not part of the public interface)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.access.policy import Category, Perm
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.cases.models import Case
from bridgeway.core.coerce import Errors, add, to_int
from bridgeway.core.errors import NotAllowed, NotFound, ValidationFailed
from bridgeway.core.text import clean_text
from bridgeway.referrals.models import (
    Notification,
)

log = logging.getLogger("bridgeway.referrals")

CONSENT_AGE = 13  # shared/STANDARDS.md: assent under 13, own consent from 13
DEFAULT_CONSENT_MAX_DAYS = 365
DEFAULT_RESPONSE_HOURS = 72
MAX_RESPONSE_DAYS = 30
DEFAULT_BREAK_GLASS_HOURS = 3
DEFAULT_MIN_REASON = 20  # characters, for best-interests overrides and break-glass
CASE_WORKER_ROLES = ("caseworker", "supervisor")


# --- settings ------------------------------------------------------------------------------

def consent_max_days() -> int:
    return int(getattr(settings, "BRIDGEWAY_CONSENT_MAX_DAYS", DEFAULT_CONSENT_MAX_DAYS))


def response_hours() -> float:
    return float(getattr(settings, "BRIDGEWAY_REFERRAL_RESPONSE_HOURS",
                         DEFAULT_RESPONSE_HOURS))


def break_glass_hours() -> float:
    return float(getattr(settings, "BRIDGEWAY_BREAK_GLASS_HOURS", DEFAULT_BREAK_GLASS_HOURS))


def min_reason_length() -> int:
    return int(getattr(settings, "BRIDGEWAY_MIN_REASON_LENGTH", DEFAULT_MIN_REASON))


# --- small helpers ---------------------------------------------------------------------------

def _categories(value: Any, *, field: str, errors: Errors) -> frozenset[Category]:
    if value in (None, "") or (isinstance(value, list | tuple | set | frozenset)
                               and not value):
        add(errors, field, "Choose at least one data category.")
        return frozenset()
    if isinstance(value, str) or not isinstance(value, Iterable):
        add(errors, field, "Must be a list of data categories.")
        return frozenset()
    found: set[Category] = set()
    for item in value:
        try:
            found.add(Category(item))
        except ValueError:
            add(errors, field, f"Unknown data category {item!r}.")
    return frozenset(found)


def _sorted(categories: Iterable[Category | str]) -> list[str]:
    return sorted(str(c) for c in categories)


def _reason(value: Any, *, field: str, errors: Errors, minimum: int = 0) -> str:
    text = clean_text(value, field=field, required=True, max_length=5000, errors=errors)
    if text and minimum and len(text) < minimum:
        add(errors, field, f"Explain in at least {minimum} characters.")
    return text


def _owner_case(actor: Any, case_id: Any, *, supervisor_only: bool = False,
                for_update: bool = True) -> Case:
    """The case, for a caseworker or supervisor of its owning agency who may edit it.
    NotFound when the actor cannot see the case at all."""
    if not isinstance(case_id, int) or isinstance(case_id, bool):
        raise NotFound()
    case = policy.case_for(actor, pk=case_id, perm=Perm.VIEW, for_update=for_update)
    if case.owning_agency_id != actor.agency_id or not policy.can(actor, Perm.EDIT, case):
        raise NotAllowed("Only the owning agency's caseworker or supervisor may do this.")
    if supervisor_only and actor.role != "supervisor":
        raise NotAllowed("Only a supervisor of the owning agency may do this.")
    return case


def _int_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise NotFound()
    try:
        return int(value)
    except ValueError as exc:
        raise NotFound() from exc


def _agency_staff(agency_id: int, *, supervisors_only: bool = False) -> list[Any]:
    from bridgeway.accounts.models import User

    roles = ["supervisor"] if supervisors_only else list(CASE_WORKER_ROLES)
    return list(User.objects.filter(agency_id=agency_id, is_active=True, role__in=roles))


def _auditors() -> list[Any]:
    from bridgeway.accounts.models import User

    return list(User.objects.filter(role="auditor", is_active=True))


def _notify(recipients: Iterable[Any], *, kind: str, message: str, case: Case | None = None,
            obj: Any = None) -> int:
    """One notification row per distinct active recipient, in the caller's transaction;
    a log line after commit. ``message`` must not contain child data."""
    now = timezone.now()
    seen: dict[int, Any] = {}
    for user in recipients:
        if user is not None and getattr(user, "pk", None) and user.is_active:
            seen[user.pk] = user
    rows = [Notification(recipient=u, kind=kind, case=case,
                         object_type=type(obj).__name__.lower() if obj is not None else "",
                         object_id=str(getattr(obj, "pk", "") or ""), message=message[:500],
                         created_at=now) for u in seen.values()]
    Notification.objects.bulk_create(rows)
    case_ref = case.case_number if case is not None else "-"
    transaction.on_commit(lambda: log.info("notification %s on case %s to %d user(s)", kind,
                                           case_ref, len(rows)))
    return len(rows)


def _assignable(agency_id: int, user_id: Any, *, field: str = "assign_to") -> Any:
    from bridgeway.accounts.models import User

    errors: Errors = {}
    pk = to_int(user_id, field=field, errors=errors, minimum=1, maximum=2**62)
    if errors or pk is None:
        raise ValidationFailed(errors or {field: ["This field is required."]})
    user = User.objects.filter(pk=pk, agency_id=agency_id, is_active=True,
                               role__in=CASE_WORKER_ROLES).first()
    if user is None:
        raise ValidationFailed.single(field, "Not an active caseworker or supervisor of "
                                             "this agency.")
    return user


def _audit(actor: Any, action: Action, obj_type: str, obj: Any, case: Case, *,
           reason: str = "", detail: dict[str, Any] | None = None) -> None:
    audit_record(actor=actor, action=action, object_type=obj_type, object_id=obj.pk,
                 child_id=case.child_id, case_id=case.pk, reason=reason, detail=detail)




def _to_datetime(value: Any, *, field: str, errors: Errors) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            add(errors, field, "Not a valid date and time (ISO 8601).")
            return None
    else:
        add(errors, field, "Not a valid date and time (ISO 8601).")
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed
