"""Case reads for pages, the API and exports. Each selector applies the access policy and
writes the audit entry for what it returned."""

from __future__ import annotations

import base64
import binascii
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.access.policy import Category, Perm
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.cases.models import Case, CaseEvent, CaseNote, Risk, Status, Task, TaskStatus
from bridgeway.core.errors import ValidationFailed
from bridgeway.registry import age
from bridgeway.registry.models import Child, ChildName, Sex
from bridgeway.registry.selectors import CASE_NUMBER_RE, identifier_child_ids, name_match_scores

PAGE_SIZE = 25
# An identifier match ranks above any name match.
IDENTIFIER_MATCH_SCORE = 10**9


@dataclass(frozen=True)
class CaseFilters:
    q: str = ""
    status: str = ""
    risk: str = ""
    assigned_to: int | None = None
    overdue: bool = False
    cursor: str = ""
    # Narrowing (a name shared by many children): the child's sex and age for all purposes
    # in whole years. A child whose sex or age was not recorded is never left out.
    sex: str = ""
    age_from: int | None = None
    age_to: int | None = None

    @classmethod
    def from_params(cls, params: Any) -> CaseFilters:
        errors: dict[str, list[str]] = {}
        q = (params.get("q") or "").strip()[:200]
        status = params.get("status") or ""
        if status and status not in Status.values:
            errors["status"] = [f"Unknown status {status!r}."]
        risk = params.get("risk") or ""
        if risk and risk not in Risk.values:
            errors["risk"] = [f"Unknown risk level {risk!r}."]
        assigned_raw = params.get("assigned_to") or ""
        assigned = None
        if assigned_raw:
            if not str(assigned_raw).isdecimal():
                errors["assigned_to"] = ["Must be a user id."]
            else:
                assigned = int(assigned_raw)
        overdue = str(params.get("overdue") or "").lower() in {"1", "true", "on", "yes"}
        sex = params.get("sex") or ""
        if sex and sex not in Sex.values:
            errors["sex"] = [f"Unknown sex {sex!r}."]
        ages: dict[str, int | None] = {}
        for name in ("age_from", "age_to"):
            raw = str(params.get(name) or "").strip()
            ages[name] = None
            if not raw:
                continue
            if not raw.isdecimal() or int(raw) > MAX_FILTER_AGE:
                errors[name] = [f"Must be a whole number of years from 0 to {MAX_FILTER_AGE}."]
            else:
                ages[name] = int(raw)
        low, high = ages["age_from"], ages["age_to"]
        if low is not None and high is not None and low > high:
            errors["age_to"] = ["Must not be below the lowest age."]
        if errors:
            raise ValidationFailed(errors)
        return cls(q=q, status=status, risk=risk, assigned_to=assigned, overdue=overdue,
                   cursor=params.get("cursor") or "", sex=sex, age_from=low, age_to=high)

    def as_audit(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None, False)}


MAX_FILTER_AGE = 30  # children who turned 18 during their case stay on the list


def _narrowed(qs: QuerySet[Case], filters: CaseFilters, today: date) -> QuerySet[Case]:
    """The cases whose child fits the sex and age range asked for, or has none recorded."""
    if filters.sex:
        qs = qs.filter(Q(child__sex=filters.sex) | Q(child__sex=Sex.UNKNOWN))
    unknown_age = Q(child__youngest_birth_date__isnull=True)
    if filters.age_from is not None:
        born_by = age.latest_birth_date_for_age(filters.age_from, today)
        qs = qs.filter(Q(child__youngest_birth_date__lte=born_by) | unknown_age)
    if filters.age_to is not None:
        too_old = age.latest_birth_date_for_age(filters.age_to + 1, today)
        qs = qs.filter(Q(child__youngest_birth_date__gt=too_old) | unknown_age)
    return qs


@dataclass
class CasePage:
    cases: list[Case]
    next_cursor: str | None
    ranked: bool  # ordered by search relevance rather than date


def _encode_cursor(case: Case) -> str:
    raw = f"{case.opened_at.isoformat()}|{case.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        stamp, pk = raw.split("|")
        return datetime.fromisoformat(stamp), int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed.single("cursor", "Invalid page cursor.") from exc


def _overdue_tasks(now: datetime) -> QuerySet[Task]:
    return Task.objects.filter(status=TaskStatus.OPEN, due_at__lt=now)


def _list_queryset(actor: Any) -> QuerySet[Case]:
    return (policy.cases_visible_to(actor)
            .filter(child__deleted_at__isnull=True)
            .select_related("child", "assigned_to", "owning_agency"))


def _mark_overdue(cases: list[Case], now: datetime) -> list[Case]:
    """Set ``has_overdue`` on a page of cases with one query over that page's tasks.

    Not an ``Exists`` annotation on the list query: PostgreSQL plans an annotation for
    every case the filter could return (it does not count on the page's LIMIT) and hashes
    every overdue task of the registry first — 12 ms at 100,000 children, growing with the
    registry; this reads only the page's tasks."""
    late = set(_overdue_tasks(now).filter(case_id__in=[c.pk for c in cases])
               .values_list("case_id", flat=True)) if cases else set()
    for c in cases:
        c.has_overdue = c.pk in late  # type: ignore[attr-defined]
    return cases


def case_list(*, actor: Any, filters: CaseFilters, page_size: int = PAGE_SIZE) -> CasePage:
    now = timezone.now()
    qs = _list_queryset(actor)
    if filters.status:
        qs = qs.filter(status=filters.status)
    elif not filters.q:
        qs = qs.exclude(status=Status.CLOSED)
    if filters.risk:
        qs = qs.filter(risk_level=filters.risk)
    if filters.assigned_to:
        qs = qs.filter(assigned_to_id=filters.assigned_to)
    if filters.overdue:
        qs = qs.filter(Exists(_overdue_tasks(now).filter(case=OuterRef("pk"))))
    qs = _narrowed(qs, filters, timezone.localdate())

    ranked = False
    if filters.q:
        page = _search(qs, actor, filters.q, page_size)
        ranked = True
        cases, next_cursor = page, None
    else:
        qs = qs.order_by("-opened_at", "-id")
        if filters.cursor:
            stamp, pk = _decode_cursor(filters.cursor)
            qs = qs.filter(opened_at__lte=stamp).exclude(opened_at=stamp, id__gte=pk)
        cases = list(qs[: page_size + 1])
        next_cursor = _encode_cursor(cases[page_size - 1]) if len(cases) > page_size else None
        cases = cases[:page_size]
    _mark_overdue(cases, now)
    audit_record(actor=actor, action=Action.SEARCH if filters.q else Action.LIST,
                 object_type="case", detail={"filters": filters.as_audit(),
                                             "case_ids": [c.pk for c in cases]})
    return CasePage(cases=cases, next_cursor=next_cursor, ranked=ranked)


def _search(qs: QuerySet[Case], actor: Any, q: str, limit: int) -> list[Case]:
    """The best ``limit`` cases for ``q``: a case number exactly; otherwise children by
    identifier (first) and by name rank, among the children of the cases in ``qs``.

    Ranking reads the search index for the query's keys only and asks the access policy
    about the few children it found, so its cost does not grow with the registry."""
    if CASE_NUMBER_RE.match(q):
        # A case number is an exact lookup; a near miss is not a name. Case-insensitive
        # as ``iexact``, but through the unique index: the letters (the prefix, at most
        # ten) in every case, instead of UPPER() over every case of the registry.
        return list(qs.filter(case_number__in=_letter_cases(q))[:limit])
    visible_children = qs.values("child_id")
    scores: dict[int, int] = {}
    for cid in identifier_child_ids(q, within=visible_children):
        scores[cid] = scores.get(cid, 0) + IDENTIFIER_MATCH_SCORE
    for cid, score in name_match_scores(q, within=visible_children, limit=limit):
        scores[cid] = scores.get(cid, 0) + score
    if not scores:
        return []
    # Equal scores keep the name ranking's order (shorter names first, then child id).
    rank = {cid: i for i, cid in enumerate(scores)}
    top = sorted(scores.items(), key=lambda kv: (-kv[1], rank[kv[0]]))[:limit]
    order = {cid: i for i, (cid, _) in enumerate(top)}
    cases = list(qs.filter(child_id__in=order))
    cases.sort(key=lambda c: (order[c.child_id], -c.opened_at.timestamp()))
    return cases[:limit]


def _letter_cases(text: str) -> list[str]:
    """``text`` with its ASCII letters in every combination of upper and lower case."""
    options = [(ch.lower(), ch.upper()) if ch.isascii() and ch.isalpha() else (ch,)
               for ch in text]
    return sorted({"".join(p) for p in itertools.product(*options)})


@dataclass
class CaseDetail:
    case: Case
    child: Child
    perms: frozenset[Perm]
    categories: frozenset[Category]
    age_now: int | None
    turned_18_on: date | None
    notes: list[CaseNote] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)

    def may(self, perm: str) -> bool:
        return Perm(perm) in self.perms

    def sees(self, category: str) -> bool:
        return Category(category) in self.categories


def _timeline(case: Case) -> QuerySet[CaseEvent]:
    """The case's timeline. The justice entries of a sealed justice record are part of
    it (``justice.retention``) and are left out for everyone; the named roles read the
    sealed record itself, with a reason. Entries made after the case was reopened stay."""
    from bridgeway.justice.models import JusticeSeal
    from bridgeway.justice.retention import JUSTICE_CASE_EVENT_KINDS

    events = case.events.select_related("actor")
    sealed_at = JusticeSeal.objects.filter(case_id=case.pk).values_list(
        "sealed_at", flat=True).first()
    if sealed_at is not None:
        events = events.exclude(kind__in=JUSTICE_CASE_EVENT_KINDS, at__lte=sealed_at)
    return events


def case_detail(*, actor: Any, case_id: int, audit: bool = True) -> CaseDetail:
    case = policy.case_for(actor, pk=case_id)
    child = (Child.objects.filter(pk=case.child_id)
             .prefetch_related(Prefetch("names", queryset=ChildName.objects.order_by(
                 "position", "id")), "aliases", "identifiers", "family", "age_assessments")
             .get())
    today = timezone.localdate()
    age_now = age.age_on(child.youngest_birth_date, today)
    birthday = age.eighteenth_birthday(child.youngest_birth_date)
    categories = policy.categories_for(actor, case)
    # Data of a category the user may not see is not even loaded.
    managing = Category.CASE_MANAGEMENT in categories
    detail = CaseDetail(
        case=case, child=child, perms=policy.perms_for(actor, case),
        categories=categories, age_now=age_now,
        turned_18_on=birthday if birthday and birthday <= today else None,
        notes=list(case.notes.select_related("author")[:100]) if managing else [],
        events=list(_timeline(case)[:100]) if managing else [],
        tasks=list(case.tasks.filter(status=TaskStatus.OPEN)) if managing else [],
    )
    if audit:
        audit_record(actor=actor, action=Action.VIEW, object_type="case",
                     object_id=case.case_number, child_id=child.pk, case_id=case.pk)
    return detail


def agency_caseworkers(*, actor: Any) -> QuerySet[Any]:
    """Assignable users in the actor's agency (for filters and assignment)."""
    from bridgeway.accounts.models import User

    if not actor.agency_id:
        return User.objects.none()
    return User.objects.filter(agency_id=actor.agency_id, is_active=True,
                               role__in=["caseworker", "supervisor"]).order_by("username")


@dataclass
class PossibleDuplicate:
    child: Child
    cases: list[Case] = field(default_factory=list)  # the actor's visible cases, newest first

    @property
    def case(self) -> Case | None:
        """The case the actor would open for that child (their newest)."""
        return self.cases[0] if self.cases else None


def registration_duplicates(*, actor: Any, child: dict[str, Any]) -> list[PossibleDuplicate]:
    """The duplicate check shown before a registration is saved (web page and API): children
    the actor may see who could be the one being registered, each with the actor's visible
    cases. Audited as a search, because it reads child records."""
    from bridgeway.registry.selectors import possible_duplicates

    found = possible_duplicates(actor=actor, child=child)
    cases: dict[int, list[Case]] = {c.pk: [] for c in found}
    for case in (policy.cases_visible_to(actor).filter(child_id__in=list(cases))
                 .select_related("owning_agency").order_by("-opened_at", "-id")):
        cases[case.child_id].append(case)
    audit_record(actor=actor, action=Action.SEARCH, object_type="child",
                 detail={"purpose": "duplicate_check", "child_ids": [c.pk for c in found]})
    return [PossibleDuplicate(child=c, cases=cases[c.pk]) for c in found]
