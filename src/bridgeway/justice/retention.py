"""Retention of justice records: sealing, expungement, and the retention job.

Havana Rule 19: a child's justice record is sealed on release and expunged at an
appropriate time; both periods are jurisdiction parameters (``JurisdictionRuleSet.
sealing_years`` / ``expungement_years``). The figures used are those of the rule set in
force *at closure* in the owning agency's jurisdiction (country/region layering as in
``adapters.RuleBook``): a later change in the law does not move a closed case's dates.

* **Sealed** (``closed_at + sealing_years`` has passed): a ``JusticeSeal`` row. From then
  no justice grant reaches the case (``justice.access`` checks the seal), and the owning
  agency's users in ``BRIDGEWAY_SEALED_ACCESS_ROLES`` (default: supervisors) see the
  justice record only after stating a reason, audited with the reason. Everybody else,
  including the owning agency's caseworkers, meets "not found". Decision: the named roles
  are checked *on top of* the single access policy (one must still see the case), so
  auditors and justice agencies gain nothing from a seal; auditors read the audit trail.
* **Expunged** (``closed_at + expungement_years`` has passed): events, detention episodes,
  evaluations, alerts, notifications about them, involvements, the seal, the justice
  tasks and the justice entries of the case timeline are deleted, in one transaction per
  case (a job killed midway leaves each case either fully expunged or untouched). One
  audit entry per case lists the kinds and row counts removed, never their content; the
  audit log itself is never touched.

**A sealed record whose case is reopened** (decision, issue 5). Sealing protects the
record *of the closed case*; reopening the case for a new concern does not undo that.

* The seal stays. It covers every justice row recorded up to ``JusticeSeal.sealed_at``
  (events, episodes, alerts, involvements, the justice entries of the case timeline): the
  *sealed part*. It keeps the protection above — the named roles open it with a reason,
  audited; nobody else learns it is there; involvements made before the seal give no
  grant; rows of the sealed part cannot be corrected, released or transferred.
* What is recorded after reopening is the *open part*, recorded and shown as any justice
  record: the owning agency's caseworkers see it and write in it; a justice agency sees it
  when it is linked (again) after the seal; notifications of its alerts go out. A named
  role sees the open part at once, with a notice that an earlier part is sealed.
* When the case closes again, the open part is sealed on the new closure's schedule: the
  job moves ``sealed_at`` forward (one seal per case). Expungement follows the latest
  closure, so while the case is open nothing is expunged, and the whole record goes
  ``expungement_years`` after the last closure (the earlier part stays sealed meanwhile).

``run_retention`` runs sealing, expungement and case-record retention
(``cases.retention``) over every closed case; ``dry_run=True`` only reports. Each step
derives what to do from the current state, so running the job twice in a row does
nothing the second time, and a rerun after a crash finishes the work.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tasks import task

from bridgeway.access import policy
from bridgeway.access.policy import Category, Perm
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.cases.models import Case, CaseEvent, Status, Task
from bridgeway.core.errors import NotAllowed, NotFound, ValidationFailed
from bridgeway.core.kill_points import kill_point
from bridgeway.justice import models as m
from bridgeway.justice.adapters import RuleBook
from bridgeway.justice.evaluation import TASK_PREFIX

log = logging.getLogger("bridgeway.justice.retention")

#: Case timeline entries written by ``justice.services``: part of the justice record.
JUSTICE_CASE_EVENT_KINDS = (
    "justice_agency_involved", "justice_agency_unlinked", "justice_event_recorded",
    "justice_event_corrected", "detention_opened", "detention_released",
    "detention_transferred", "detention_corrected",
)
SEAL_REASON = "Closed for the jurisdiction's sealing period (Havana Rule 19)"
#: The models whose rows of a case ``expunge_rows`` deletes (with the justice tasks and
#: the justice entries of the case timeline).
JUSTICE_MODELS = (m.JusticeEvent, m.DetentionEpisode, m.SafeguardEvaluation,
                  m.SafeguardAlert, m.Notification, m.JusticeInvolvement, m.JusticeSeal)


# ------------------------------------------------------------------ dates


def add_years(at: datetime, years: int) -> datetime:
    """``at`` plus whole calendar years; 29 February becomes 28 February."""
    try:
        return at.replace(year=at.year + years)
    except ValueError:
        return at.replace(year=at.year + years, day=28)


@dataclass(frozen=True)
class JusticeDates:
    seal_at: datetime
    expunge_at: datetime


def justice_dates(case: Case, book: RuleBook) -> JusticeDates | None:
    """When ``case``'s justice record is sealed and expunged, from the rule set in force
    at closure; None while the case is open."""
    if case.status != Status.CLOSED or case.closed_at is None:
        return None
    rules = book.for_case(case).history.in_force(case.closed_at)
    return JusticeDates(seal_at=add_years(case.closed_at, rules.sealing_years),
                        expunge_at=add_years(case.closed_at, rules.expungement_years))


# ------------------------------------------------------------------ access


class SealedRecord(NotAllowed):
    """The justice record is sealed; the user may open it by stating a reason."""

    def __init__(self) -> None:
        super().__init__("This justice record is sealed. State a reason to open it.")


def sealed_roles() -> frozenset[str]:
    return frozenset(getattr(settings, "BRIDGEWAY_SEALED_ACCESS_ROLES", ["supervisor"]))


def min_reason_length() -> int:
    return int(getattr(settings, "BRIDGEWAY_MIN_REASON_LENGTH", 20))


def seal_of(case: Any) -> m.JusticeSeal | None:
    """The case's seal, or None. Uses ``case.justice_seal`` when it was selected."""
    cached = getattr(getattr(case, "_state", None), "fields_cache", {})
    if "justice_seal" in cached:
        return cached["justice_seal"]
    return m.JusticeSeal.objects.filter(case_id=case.pk).first()


def is_sealed(case: Any) -> bool:
    """Whether (part of) the case's justice record is sealed."""
    return seal_of(case) is not None


def reopened_since_sealing(case: Any, seal: m.JusticeSeal) -> bool:
    """The case was reopened after ``seal`` was made (it is open now, or closed again
    since): only the rows recorded up to ``seal.sealed_at`` are sealed."""
    return (case.status != Status.CLOSED or case.closed_at is None
            or case.closed_at > seal.sealed_at)


def sealed_until(case: Any) -> datetime | None:
    """The end of the sealed part when the case was reopened after sealing: rows recorded
    at or before it are sealed, later ones are the open part. None when nothing is sealed
    or when the whole record is (then ``sealed_check`` decides)."""
    seal = seal_of(case)
    if seal is None or not reopened_since_sealing(case, seal):
        return None
    return seal.sealed_at


def under_seal(case: Any, recorded_at: datetime) -> bool:
    """Whether a justice row of ``case`` recorded at ``recorded_at`` is sealed."""
    seal = seal_of(case)
    return seal is not None and recorded_at <= seal.sealed_at


def may_open_sealed(user: Any, case: Any) -> bool:
    """A named role of the owning agency that may otherwise see the justice record."""
    return bool(getattr(user, "role", "") in sealed_roles()
                and getattr(user, "agency_id", None) == case.owning_agency_id
                and Perm.VIEW in policy.perms_for(user, case)
                and Category.JUSTICE in policy.categories_for(user, case))


def sealed_check(user: Any, case: Any, *, reason: str = "") -> None:
    """Nothing when the record is not sealed. Otherwise: NotFound for those who may not
    open sealed records, SealedRecord without a sufficient reason, and with one an
    audit entry carrying the reason (then the caller shows the whole record, the sealed
    part included)."""
    if not is_sealed(case):
        return
    if not may_open_sealed(user, case):
        raise NotFound()
    reason = (reason or "").strip()
    if not reason:
        raise SealedRecord()
    if len(reason) < min_reason_length():
        raise ValidationFailed({"reason": [
            f"Give a reason of at least {min_reason_length()} characters."]})
    audit_record(actor=user, action=Action.VIEW, object_type="sealed_justice_record",
                 object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                 reason=reason)


# -------------------------------------------------------------- sealing


def _needs_sealing(case: Case, seal: m.JusticeSeal | None) -> bool:
    """No seal yet, or a seal made before the case was reopened and closed again (its
    open part is due now)."""
    return seal is None or (case.closed_at is not None and case.closed_at > seal.sealed_at)


def seal(case: Case, *, run: m.RetentionRun, now: datetime) -> bool:
    """Seal ``case``'s justice record (False when it already was). A case reopened after
    sealing and closed again has its seal moved forward to ``now``: what was recorded
    after reopening is sealed with the rest."""
    with transaction.atomic():
        current = m.JusticeSeal.objects.select_for_update().filter(case=case).first()
        if not _needs_sealing(case, current):
            return False
        if current is None:
            m.JusticeSeal.objects.create(case=case, sealed_at=now, reason=SEAL_REASON)
        else:
            m.JusticeSeal.objects.filter(pk=current.pk).update(sealed_at=now)
        kill_point("retention")
        m.RetentionAction.objects.create(run=run, case_id=case.pk, at=now,
                                         action=m.RetentionActionKind.SEAL, counts={})
        audit_record(actor=None, action=Action.UPDATE, object_type="justice_seal",
                     object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                     detail={"retention": "seal", "run": run.pk,
                             **({"after_reopening": True} if current is not None else {})})
    return True


# ----------------------------------------------------------- expungement


def justice_row_counts(case_id: int) -> dict[str, int]:
    """How many rows of each kind the justice record of a case holds (counts only)."""
    return {
        "justice_events": m.JusticeEvent.objects.filter(case_id=case_id).count(),
        "detention_episodes": m.DetentionEpisode.objects.filter(case_id=case_id).count(),
        "safeguard_evaluations": m.SafeguardEvaluation.objects.filter(
            case_id=case_id).count(),
        "safeguard_alerts": m.SafeguardAlert.objects.filter(case_id=case_id).count(),
        "notifications": m.Notification.objects.filter(
            Q(case_id=case_id) | Q(alert__case_id=case_id)).count(),
        "involvements": m.JusticeInvolvement.objects.filter(case_id=case_id).count(),
        "seals": m.JusticeSeal.objects.filter(case_id=case_id).count(),
        "justice_tasks": Task.objects.filter(case_id=case_id,
                                             source_key__startswith=TASK_PREFIX).count(),
        "justice_timeline_entries": CaseEvent.objects.filter(
            case_id=case_id, kind__in=JUSTICE_CASE_EVENT_KINDS).count(),
    }


def _delete_justice_rows(case_id: int) -> dict[str, int]:
    """Delete every justice row of the case, children first (episodes and events are
    PROTECTed by the case). Must run inside a transaction."""
    counts = justice_row_counts(case_id)
    m.Notification.objects.filter(Q(case_id=case_id) | Q(alert__case_id=case_id)).delete()
    m.SafeguardAlert.objects.filter(case_id=case_id).delete()
    m.SafeguardEvaluation.objects.filter(case_id=case_id).delete()
    episodes = m.DetentionEpisode.objects.filter(case_id=case_id)
    episodes.update(transferred_from=None)  # a transfer chain protects its links
    episodes.delete()
    m.JusticeEvent.objects.filter(case_id=case_id).delete()
    m.JusticeInvolvement.objects.filter(case_id=case_id).delete()
    m.JusticeSeal.objects.filter(case_id=case_id).delete()
    Task.objects.filter(case_id=case_id, source_key__startswith=TASK_PREFIX).delete()
    CaseEvent.objects.filter(case_id=case_id, kind__in=JUSTICE_CASE_EVENT_KINDS).delete()
    return counts


def expunge_rows(case: Case) -> dict[str, int]:
    """Delete the justice record of ``case`` and return what kinds/how many rows went.
    For callers that hold their own transaction (``cases.retention`` anonymising a case
    expunges its justice record in the same transaction)."""
    return {k: v for k, v in _delete_justice_rows(case.pk).items() if v}


def expunge(case: Case, *, run: m.RetentionRun, now: datetime) -> dict[str, int]:
    """Expunge ``case``'s justice record in one transaction, with its audit entry and
    ``RetentionAction``; returns the row counts (empty: nothing was left to remove)."""
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()
        counts = expunge_rows(case)
        if not counts:
            return {}
        kill_point("retention")
        m.RetentionAction.objects.create(run=run, case_id=case.pk, at=now,
                                         action=m.RetentionActionKind.EXPUNGE, counts=counts)
        audit_record(actor=None, action=Action.DELETE, object_type="justice_record",
                     object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                     detail={"retention": "expunge", "run": run.pk, "removed": counts})
    return counts


# ------------------------------------------------------------------ planning


def _has_justice_rows() -> Q:
    """Cases that still hold any justice row (what sealing and expungement act on)."""
    exists = [
        Exists(m.JusticeEvent.objects.filter(case_id=OuterRef("pk"))),
        Exists(m.DetentionEpisode.objects.filter(case_id=OuterRef("pk"))),
        Exists(m.SafeguardEvaluation.objects.filter(case_id=OuterRef("pk"))),
        Exists(m.SafeguardAlert.objects.filter(case_id=OuterRef("pk"))),
        Exists(m.JusticeInvolvement.objects.filter(case_id=OuterRef("pk"))),
        Exists(m.JusticeSeal.objects.filter(case_id=OuterRef("pk"))),
    ]
    q = Q(exists[0])
    for e in exists[1:]:
        q |= Q(e)
    return q


@dataclass(frozen=True)
class Planned:
    case_id: int
    case_number: str
    action: str  # seal | expunge | anonymise | delete
    counts: dict[str, int] = field(default_factory=dict)


def plan_justice(*, now: datetime, book: RuleBook | None = None) -> list[Planned]:
    """What the next run would seal and expunge (reads only)."""
    book = book or RuleBook.load()
    cases = (Case.objects.filter(status=Status.CLOSED, closed_at__isnull=False)
             .filter(_has_justice_rows()).select_related("owning_agency", "justice_seal")
             .order_by("pk"))
    out: list[Planned] = []
    for case in cases:
        dates = justice_dates(case, book)
        if dates is None:
            continue
        if dates.expunge_at <= now:
            out.append(Planned(case.pk, case.case_number, m.RetentionActionKind.EXPUNGE.value,
                               {k: v for k, v in justice_row_counts(case.pk).items() if v}))
        elif dates.seal_at <= now and _needs_sealing(case, seal_of(case)):
            out.append(Planned(case.pk, case.case_number, m.RetentionActionKind.SEAL.value))
    return out


# ------------------------------------------------------------------ the job


def _case_retention() -> Any:
    from bridgeway.cases import retention as case_retention

    return case_retention


def plan(*, now: datetime | None = None) -> list[Planned]:
    """Everything the next run would do, in the order it would do it."""
    now = now or timezone.now()
    return plan_justice(now=now) + _case_retention().plan_cases(now=now)


def _apply(item: Planned, run: m.RetentionRun, now: datetime) -> bool:
    case = Case.objects.select_related("owning_agency", "child").filter(
        pk=item.case_id).first()
    if case is None:
        return False
    if item.action == m.RetentionActionKind.SEAL:
        return seal(case, run=run, now=now)
    if item.action == m.RetentionActionKind.EXPUNGE:
        return bool(expunge(case, run=run, now=now))
    return _case_retention().apply(case, action=item.action, run=run, now=now)


def run_retention(*, dry_run: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Seal, expunge, anonymise/delete what is due. Returns the counts per action and,
    for a dry run, the planned items (case numbers and row counts). A dry run writes
    only its ``RetentionRun`` row. Each case is its own transaction, so an interrupted
    run leaves finished cases finished and the others untouched; rerunning completes."""
    now = now or timezone.now()
    items = plan(now=now)
    run = m.RetentionRun.objects.create(started_at=timezone.now(), dry_run=dry_run)
    counts: dict[str, int] = {str(k): 0 for k in m.RetentionActionKind.values}
    if dry_run:
        for item in items:
            counts[item.action] += 1
    else:
        for item in items:
            if _apply(item, run, now):
                counts[item.action] += 1
    run.counts = counts
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "finished_at"])
    if not dry_run:
        audit_record(actor=None, action=Action.UPDATE, object_type="retention_run",
                     object_id=run.pk, detail={"counts": counts})
    log.info("retention run %s (dry_run=%s): %s", run.pk, dry_run, counts)
    return {"run": run.pk, "dry_run": dry_run, "counts": counts,
            "planned": [asdict(i) for i in items] if dry_run else []}


@task()
def retention_run_task(dry_run: bool = False) -> dict[str, Any]:
    """The retention job through ``django.tasks`` (schedule daily, like the safeguards)."""
    return run_retention(dry_run=dry_run)
