"""Care reads for pages, the API and the task derivers.

Functions taking ``actor`` apply the access policy (``policy.case_for``: 404 for a case the
actor may not see) and write one audit entry. Plan rows, services and reviews are case
management data: a user whose grants on the case lack that category (a referral that
shares only health, a justice grant) does not see them — the plan answers 404, lists are
empty. Form answers are filtered field by field (``forms.selectors.form_record_visible_data``).

The functions without ``actor`` (``plan_in_force``, ``next_review_due`` …) are internal
reads for services and derivers, which have already decided access.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.access.policy import Category, Perm
from bridgeway.accounts.models import Agency
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.care import deadlines
from bridgeway.care.models import (
    Approval,
    CareRecord,
    Decision,
    PlanAction,
    PlanGoal,
    PlanReview,
    ServiceDelivered,
)
from bridgeway.cases.models import Case
from bridgeway.core.errors import NotFound
from bridgeway.forms.models import FormDefinition, FormRecord, Purpose, RecordStatus
from bridgeway.forms.schema import walk
from bridgeway.forms.selectors import form_record_get, form_record_visible_data, forms_available

DECISION_PURPOSES = frozenset({Purpose.REINTEGRATION_PLAN, Purpose.BID_PANEL,
                               Purpose.CLOSURE})
# The order a case moves through, for pages.
PURPOSE_ORDER = [Purpose.INITIAL_ASSESSMENT, Purpose.PSYCHOSOCIAL_ASSESSMENT,
                 Purpose.BIA_SHORT, Purpose.BIA_COMPREHENSIVE, Purpose.BID_PANEL,
                 Purpose.REINTEGRATION_PLAN, Purpose.PLAN_REVIEW, Purpose.FOLLOW_UP,
                 Purpose.CLOSURE]


# --------------------------------------------------------------------------
# Internal reads (no access check)


def psychosocial_assessment_exists(case_id: int) -> bool:
    """A submitted individual psychosocial assessment is on the case (drafts do not count)."""
    return CareRecord.objects.filter(case_id=case_id,
                                     purpose=Purpose.PSYCHOSOCIAL_ASSESSMENT).exists()


@dataclass(frozen=True)
class PlanInForce:
    care: CareRecord
    record: FormRecord
    approval: Approval

    @property
    def approved_on(self) -> dt.date:
        assert self.approval.decided_at is not None
        return timezone.localdate(self.approval.decided_at)


def plan_in_force(case_id: int) -> PlanInForce | None:
    """The latest approved reintegration plan of the case."""
    approval = (Approval.objects.filter(case_id=case_id, decision=Decision.APPROVED,
                                        care_record__purpose=Purpose.REINTEGRATION_PLAN)
                .select_related("care_record__record", "decided_by")
                .order_by("-decided_at", "-id").first())
    if approval is None:
        return None
    return PlanInForce(approval.care_record, approval.care_record.record, approval)


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def next_review_due(case_id: int, plan: PlanInForce | None = None) -> dt.date | None:
    """When the plan in force must next be reviewed, or None without an approved plan."""
    plan = plan or plan_in_force(case_id)
    if plan is None:
        return None
    last = (PlanReview.objects.filter(case_id=case_id, plan_record_id=plan.record.pk)
            .order_by("-reviewed_on", "-id").first())
    return deadlines.review_due(
        approved_on=plan.approved_on, months=deadlines.review_months(),
        plan_asked=_date(plan.record.data.get("plan_review_date")),
        last_review_on=last.reviewed_on if last else None,
        last_asked=last.next_review_on if last else None)


def current_goals(case_id: int) -> list[PlanGoal]:
    """The goals of the current plan version, with their actions (two queries)."""
    actions = (PlanAction.objects.filter(superseded_at__isnull=True)
               .select_related("responsible_agency").order_by("position", "id"))
    return list(PlanGoal.objects.filter(case_id=case_id, superseded_at__isnull=True)
                .prefetch_related(Prefetch("actions", queryset=actions))
                .order_by("position", "id"))


def latest_approvals(record_ids: list[int]) -> dict[int, Approval]:
    """The latest approval round of each record, by record id (one query)."""
    found: dict[int, Approval] = {}
    for approval in (Approval.objects.filter(care_record__record_id__in=record_ids)
                     .select_related("care_record", "requested_by", "decided_by")
                     .order_by("-requested_at", "-id")):
        found.setdefault(approval.care_record.record_id, approval)
    return found


# --------------------------------------------------------------------------
# Reads for users


def _sees_case_management(actor: Any, case: Case) -> bool:
    return Category.CASE_MANAGEMENT in policy.categories_for(actor, case)


def _audit(actor: Any, case: Case, object_type: str, action: Action = Action.VIEW,
           **detail: Any) -> None:
    audit_record(actor=actor, action=action, object_type=object_type, object_id=case.pk,
                 child_id=case.child_id, case_id=case.pk, detail=detail)


@dataclass
class PlanView:
    case: Case
    record: FormRecord | None  # the newest plan (approved, waiting or returned)
    approval: Approval | None  # its latest approval round
    in_force: PlanInForce | None  # the latest approved plan
    goals: list[PlanGoal]
    next_review_due: dt.date | None
    reviews: list[PlanReview]

    @property
    def review_overdue(self) -> bool:
        return bool(self.next_review_due and self.next_review_due < timezone.localdate())


def _plan_view(case: Case) -> PlanView:
    newest = (CareRecord.objects.filter(case_id=case.pk, purpose=Purpose.REINTEGRATION_PLAN)
              .select_related("record__form_version")
              .defer("record__data", "record__form_version__xlsx",
                     "record__form_version__xform", "record__form_version__schema")
              .order_by("-created_at", "-id").first())
    record = newest.record if newest else None
    approval = latest_approvals([record.pk]).get(record.pk) if record else None
    in_force = plan_in_force(case.pk)
    reviews = list(PlanReview.objects.filter(case_id=case.pk).select_related("recorded_by")
                   .order_by("-reviewed_on", "-id")[:50])
    return PlanView(case=case, record=record, approval=approval, in_force=in_force,
                    goals=current_goals(case.pk),
                    next_review_due=next_review_due(case.pk, in_force), reviews=reviews)


def plan_for_case(*, actor: Any, case_id: int) -> PlanView:
    """The case's plan: goals and actions of the current version, approval, reviews and
    the next review date."""
    case = policy.case_for(actor, pk=case_id, perm=Perm.VIEW)
    if not _sees_case_management(actor, case):
        raise NotFound()
    view = _plan_view(case)
    _audit(actor, case, "plan", record_id=view.record.pk if view.record else None,
           goal_ids=[g.pk for g in view.goals])
    return view


def services_for_case(*, actor: Any, case_id: int, limit: int = 200
                      ) -> list[ServiceDelivered]:
    case = policy.case_for(actor, pk=case_id, perm=Perm.VIEW)
    if not _sees_case_management(actor, case):
        raise NotFound()
    services = _services(case)[:limit]
    _audit(actor, case, "service_delivered", Action.LIST,
           service_ids=[s.pk for s in services])
    return services


def _services(case: Case) -> list[ServiceDelivered]:
    return list(ServiceDelivered.objects.filter(case_id=case.pk)
                .select_related("provider_agency", "action", "recorded_by")
                .order_by("-start_date", "-id"))


def reviews_for_case(*, actor: Any, case_id: int) -> list[PlanReview]:
    case = policy.case_for(actor, pk=case_id, perm=Perm.VIEW)
    if not _sees_case_management(actor, case):
        raise NotFound()
    reviews = list(PlanReview.objects.filter(case_id=case.pk).select_related("recorded_by")
                   .order_by("-reviewed_on", "-id"))
    _audit(actor, case, "plan_review", Action.LIST, review_ids=[r.pk for r in reviews])
    return reviews


@dataclass
class RecordItem:
    """A filled form with what the actor may see of it and its latest approval round."""

    record: FormRecord
    data: dict[str, Any]
    approval: Approval | None

    @property
    def purpose(self) -> str:
        return str(self.record.form_version.form.purpose)


def care_records_for_case(*, actor: Any, case_id: int, purpose: str | None = None
                          ) -> list[RecordItem]:
    """The case's filled forms (assessments, plans, decisions), newest first, with their
    answers filtered by the actor's data categories. Audited as one list."""
    case = policy.case_for(actor, pk=case_id, perm=Perm.VIEW)
    qs = (FormRecord.objects.filter(case=case)
          .select_related("form_version__form", "submitted_by")
          .defer("form_version__xlsx", "form_version__xform")
          .order_by("-created_at", "-id"))
    if purpose:
        qs = qs.filter(form_version__form__purpose=purpose)
    records = list(qs)
    approvals = latest_approvals([r.pk for r in records])
    items = []
    for record in records:
        record.case = case
        items.append(RecordItem(record, form_record_visible_data(actor=actor, record=record),
                                approvals.get(record.pk)))
    audit_record(actor=actor, action=Action.LIST, object_type="form_record",
                 child_id=case.child_id, case_id=case.pk,
                 detail={"record_ids": [r.pk for r in records], "purpose": purpose or ""})
    return items


def care_record_get(*, actor: Any, record_id: int) -> RecordItem:
    """One filled form with its visible answers and latest approval, or NotFound."""
    record = form_record_get(actor=actor, record_id=record_id)
    return RecordItem(record, form_record_visible_data(actor=actor, record=record),
                      latest_approvals([record.pk]).get(record.pk))


# --------------------------------------------------------------------------
# Decision page


@dataclass
class DecisionView:
    record: FormRecord
    purpose: str
    approvals: list[Approval]
    child_views: str | None  # None: not visible to the actor, or not in this form
    child_views_weight: str | None
    may_decide: bool  # an approver who did not write or send it, while one is pending
    own: bool

    @property
    def pending(self) -> Approval | None:
        return next((a for a in self.approvals if a.decision == Decision.PENDING), None)


def record_decision(*, actor: Any, record_id: int) -> DecisionView:
    """A decision record (plan, best-interests determination, closure) with the child's
    views and every approval round."""
    record = form_record_get(actor=actor, record_id=record_id)
    purpose = str(record.form_version.form.purpose)
    if purpose not in DECISION_PURPOSES:
        raise NotFound()
    approvals = list(Approval.objects.filter(care_record__record_id=record.pk)
                     .select_related("requested_by", "decided_by")
                     .order_by("-requested_at", "-id"))
    visible = form_record_visible_data(actor=actor, record=record)
    pending = next((a for a in approvals if a.decision == Decision.PENDING), None)
    own = actor.pk in {record.submitted_by_id, record.updated_by_id,
                       pending.requested_by_id if pending else None}
    may = policy.can(actor, Perm.APPROVE_CLOSURE, record.case)
    return DecisionView(record=record, purpose=purpose, approvals=approvals,
                        child_views=visible.get("child_views"),
                        child_views_weight=visible.get("child_views_weight"),
                        may_decide=bool(may and pending and not own), own=own)


# --------------------------------------------------------------------------
# The care overview page


@dataclass
class PurposeRow:
    purpose: str
    label: str
    records: list[FormRecord]
    fill: FormDefinition | None  # the form to fill for this purpose, if the actor may


@dataclass
class PendingItem:
    approval: Approval
    record: FormRecord
    child_views: str | None
    child_views_weight: str | None
    own: bool


def _visible_answer(record: FormRecord, name: str, categories: frozenset[Category]
                    ) -> str | None:
    """One top-level answer of ``record`` if its data category is among ``categories`` (the
    rule of ``forms.selectors.form_record_visible_data``, for one field, without asking the
    access policy again for every record)."""
    for node in walk(record.form_version.schema["fields"]):
        if node["name"] == name:
            category = node.get("category") or ""
            if category and category not in {str(c) for c in categories}:
                return None
            return str(record.data.get(name) or "")
    return None


@dataclass
class CareOverview:
    case: Case
    perms: frozenset[Perm]
    categories: frozenset[Category]
    rows: list[PurposeRow]
    psychosocial_done: bool
    plan: PlanView | None
    services: list[ServiceDelivered]
    pending: list[PendingItem]
    # Decision records a caseworker can send (again) for approval.
    to_send: list[FormRecord]
    agencies: list[Agency] = field(default_factory=list)

    @property
    def sees_case_management(self) -> bool:
        return Category.CASE_MANAGEMENT in self.categories


def care_overview(*, actor: Any, case_id: int) -> CareOverview:
    """Everything the care page shows, in a fixed number of queries whatever the number of
    records, goals, actions or services."""
    case = policy.case_for(actor, pk=case_id, perm=Perm.VIEW)
    grants = policy.grants_for(actor, case)
    perms = frozenset(p for g in grants for p in g.perms)
    categories = frozenset(c for g in grants for c in g.categories)
    managing = Category.CASE_MANAGEMENT in categories
    # Which steps were done, and when, is case management: not loaded for a grant
    # without that category (the API's answers are filtered field by field instead).
    records = list(FormRecord.objects.filter(case=case)
                   .select_related("form_version__form", "submitted_by")
                   .defer("data", "form_version__xlsx", "form_version__xform",
                          "form_version__schema")
                   .order_by("-created_at", "-id")) if managing else []
    by_purpose: dict[str, list[FormRecord]] = defaultdict(list)
    for record in records:
        by_purpose[record.form_version.form.purpose].append(record)
    fill: dict[str, FormDefinition] = {}
    if Perm.EDIT in perms:
        for definition, _version in forms_available(actor=actor):
            fill.setdefault(definition.purpose, definition)
    labels = dict(Purpose.choices)
    rows = [PurposeRow(p, str(labels[p]), by_purpose.get(p, []), fill.get(p))
            for p in PURPOSE_ORDER]
    psychosocial_done = any(r.status != RecordStatus.DRAFT
                            for r in by_purpose.get(Purpose.PSYCHOSOCIAL_ASSESSMENT, []))

    approvals = latest_approvals([r.pk for r in records
                                  if r.form_version.form.purpose in DECISION_PURPOSES])
    pending, to_send = [], []
    pending_records = {a.care_record.record_id for a in approvals.values()
                       if a.decision == Decision.PENDING}
    with_views: dict[int, FormRecord] = {}
    if pending_records:
        for full in (FormRecord.objects.filter(pk__in=pending_records)
                     .select_related("form_version__form")
                     .defer("form_version__xlsx", "form_version__xform")):
            full.case = case
            with_views[full.pk] = full
    for record in records:
        purpose = record.form_version.form.purpose
        if purpose not in DECISION_PURPOSES or record.status == RecordStatus.DRAFT:
            continue
        approval = approvals.get(record.pk)
        if approval is not None and approval.decision == Decision.PENDING:
            full = with_views[record.pk]
            pending.append(PendingItem(
                approval, record, _visible_answer(full, "child_views", categories),
                _visible_answer(full, "child_views_weight", categories),
                actor.pk in {record.submitted_by_id, record.updated_by_id,
                             approval.requested_by_id}))
        elif record.status in (RecordStatus.SUBMITTED, RecordStatus.RETURNED):
            to_send.append(record)
    overview = CareOverview(
        case=case, perms=perms, categories=categories, rows=rows,
        psychosocial_done=psychosocial_done,
        plan=_plan_view(case) if managing else None,
        services=_services(case)[:200] if managing else [],
        pending=pending, to_send=to_send,
        agencies=list(Agency.objects.filter(active=True).only("id", "name", "code"))
        if managing and Perm.EDIT in perms else [])
    _audit(actor, case, "care", record_ids=[r.pk for r in records],
           approval_ids=[p.approval.pk for p in pending])
    return overview

