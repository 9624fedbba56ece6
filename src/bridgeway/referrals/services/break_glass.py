"""Break-glass: emergency, time-limited, audited read access."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from bridgeway.access import policy, sectors
from bridgeway.access.policy import Perm
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.cases.events import case_event
from bridgeway.cases.models import Case
from bridgeway.core.coerce import Errors
from bridgeway.core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.core.text import clean_text
from bridgeway.referrals import grants
from bridgeway.referrals.models import (
    BreakGlass,
)
from bridgeway.referrals.services._common import (
    _agency_staff,
    _auditors,
    _int_id,
    _notify,
    _reason,
    _sorted,
    break_glass_hours,
    log,
    min_reason_length,
)


def break_glass_open(*, actor: Any, reason: Any, case_id: Any = None,
                     case_number: Any = None) -> BreakGlass:
    """Emergency read access to a case outside the actor's scope, for
    ``BRIDGEWAY_BREAK_GLASS_HOURS`` (default 3). The reason is required (at least
    ``BRIDGEWAY_MIN_REASON_LENGTH`` characters) and goes into the audit entry; the owning
    agency's supervisors and every auditor are notified. The grant is VIEW with the
    sector's standing categories (a health supervisor sees identity and health, a
    child-protection supervisor everything)."""
    if not grants.may_break_glass(actor):
        raise NotAllowed("Your role does not allow emergency (break-glass) access.")
    errors: Errors = {}
    text = _reason(reason, field="reason", errors=errors, minimum=min_reason_length())
    if errors:
        raise ValidationFailed(errors)
    lookup: dict[str, Any]
    if case_id not in (None, ""):
        lookup = {"pk": _int_id(case_id)}
    elif isinstance(case_number, str) and case_number.strip():
        lookup = {"case_number": case_number.strip()}
    else:
        raise NotFound()
    with transaction.atomic():
        case = (Case.objects.select_related("owning_agency", "child")
                .filter(child__deleted_at__isnull=True, **lookup).first())
        if case is None:
            raise NotFound()
        # A partial view (a referral for one category) does not rule out an emergency;
        # already seeing everything break-glass would give does.
        if (policy.can(actor, Perm.VIEW, case)
                and sectors.standing_for(actor) <= policy.categories_for(actor, case)):
            raise DomainError("You can already see this case; emergency access is not "
                              "needed.")
        now = timezone.now()
        categories = _sorted(sectors.standing_for(actor))
        use = BreakGlass.objects.create(
            user=actor, case=case, agency_id=actor.agency_id,
            owning_agency_id=case.owning_agency_id, reason=text, categories=categories,
            started_at=now, expires_at=now + timedelta(hours=break_glass_hours()))
        audit_record(actor=actor, action=Action.BREAK_GLASS, object_type="case",
                     object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                     reason=text, detail={"break_glass": use.pk, "categories": categories,
                                          "expires_at": use.expires_at.isoformat()})
        case_event(case=case, actor=actor, kind="break_glass",
                   params={"break_glass": use.pk, "agency": actor.agency.code,
                           "until": use.expires_at.isoformat()})
        until = timezone.localtime(use.expires_at)
        _notify(_agency_staff(case.owning_agency_id, supervisors_only=True) + _auditors(),
                kind="break_glass", case=case, obj=use,
                message=f"Emergency (break-glass) access to case {case.case_number} by "
                        f"{actor.username} ({actor.agency.name}) until {until:%Y-%m-%d %H:%M}. "
                        "The stated reason is in the break-glass review list.")
        transaction.on_commit(lambda: log.warning(
            "break-glass #%s: user %s (agency %s) on case %s until %s", use.pk,
            actor.username, actor.agency.code, case.case_number, use.expires_at.isoformat()))
        return use


def break_glass_end(*, actor: Any, break_glass_id: Any) -> BreakGlass:
    """The user ends their own emergency access early."""
    pk = _int_id(break_glass_id)
    with transaction.atomic():
        use = BreakGlass.objects.select_for_update().filter(pk=pk, user_id=actor.pk).first()
        if use is None:
            raise NotFound()
        if not use.is_active():
            raise DomainError("This emergency access has already ended.")
        use.ended_at = timezone.now()
        use.save(update_fields=["ended_at"])
        audit_record(actor=actor, action=Action.BREAK_GLASS, object_type="break_glass",
                     object_id=use.pk, child_id=None, case_id=use.case_id,
                     detail={"ended": True})
        return use


def break_glass_review(*, actor: Any, break_glass_id: Any, note: Any) -> BreakGlass:
    """An auditor records the review of one break-glass use."""
    if not policy.may_read_audit(actor):
        raise NotFound()
    text = clean_text(note, field="note", required=True, max_length=5000)
    pk = _int_id(break_glass_id)
    with transaction.atomic():
        use = BreakGlass.objects.select_for_update().filter(pk=pk).first()
        if use is None:
            raise NotFound()
        if use.reviewed_at is not None:
            raise DomainError("This use was already reviewed.")
        use.reviewed_at, use.reviewed_by, use.review_note = timezone.now(), actor, text
        use.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
        audit_record(actor=actor, action=Action.AUDIT_VIEW, object_type="break_glass",
                     object_id=use.pk, case_id=use.case_id, detail={"reviewed": True})
        return use
