"""THE access policy. Every read and write of child data asks this module, and nothing else.

Pages, the API, search, exports and background jobs call ``cases_visible_to`` (a queryset
filter) and ``case_for`` / ``can`` (per-object checks). A record a user may not see is
indistinguishable from one that does not exist: ``case_for`` raises ``NotFound`` in both
situations, and list filters simply omit it, so no count or message leaks it.

Access is the union of *grants*. A grant answers three questions for a user: which cases
(a ``Q`` filter), which actions on one case, and which data categories of it. Today there is
one grant source (the owning agency: role and assignment). Referrals, transfers, consent
scopes and break-glass are further grant sources registered in ``GRANT_SOURCES``; callers
never change when one is added.

Every grant is capped by the *sector policy* (``access.sectors``): whatever a grant source
says, a user sees no category outside what their agency's sector may see — the sector's
standing categories, or its ceiling when the grant is backed by the child's consent
(``Grant.consented``). A user whose sector may see nothing sees no case at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from bridgeway.core.errors import NotAllowed, NotFound

if TYPE_CHECKING:
    from bridgeway.accounts.models import User
    from bridgeway.cases.models import Case


class Perm(StrEnum):
    VIEW = "view"
    EDIT = "edit"  # child identity and case details
    NOTE = "note"
    ASSIGN = "assign"
    REQUEST_CLOSURE = "request_closure"
    APPROVE_CLOSURE = "approve_closure"
    REOPEN = "reopen"


class Category(StrEnum):
    """Data categories: every field of child data belongs to exactly one."""

    IDENTITY = "identity"
    CONTACT_LOCATION = "contact_location"
    FAMILY = "family"
    HEALTH = "health"
    PSYCHOSOCIAL = "psychosocial"
    EDUCATION = "education"
    JUSTICE = "justice"
    ASSOCIATION_HISTORY = "association_history"
    PROTECTION_CONCERNS = "protection_concerns"
    CASE_MANAGEMENT = "case_management"


ALL_CATEGORIES = frozenset(Category)
NO_PERMS: frozenset[Perm] = frozenset()


@dataclass(frozen=True)
class Grant:
    perms: frozenset[Perm]
    categories: frozenset[Category]
    source: str  # e.g. "agency", "referral:12", "break_glass:3"
    # Backed by a consent record (referral, transfer): may reach the sector's ceiling.
    # Otherwise the sector's standing categories cap it (see ``access.sectors``).
    consented: bool = False


@dataclass(frozen=True)
class GrantSource:
    """One way of being entitled to a case.

    ``case_filter(user)`` returns a ``Q`` over Case (or None: grants nothing to this user);
    ``grant(user, case)`` returns the grant for one case (or None)."""

    name: str
    case_filter: Callable[[User], Q | None]
    grant: Callable[[User, Case], Grant | None]


# --- roles -----------------------------------------------------------------------------

def _role(user: Any) -> str:
    return getattr(user, "role", "")


def is_case_worker_role(user: Any) -> bool:
    return _role(user) in {"caseworker", "supervisor"}


def may_register(user: Any) -> bool:
    """Registering a child opens a case in the user's own agency."""
    return bool(user and user.is_authenticated and user.is_active and user.agency_id
                and is_case_worker_role(user))


def may_read_audit(user: Any) -> bool:
    return bool(user and user.is_authenticated and _role(user) == "auditor")


def may_configure(user: Any) -> bool:
    return bool(user and user.is_authenticated and _role(user) in {"system_admin",
                                                                   "agency_admin"})


def may_read_aggregates(user: Any) -> bool:
    return bool(user and user.is_authenticated and _role(user) in {"analyst", "supervisor"})


# --- grant source: the owning agency -----------------------------------------------------

CASEWORKER_PERMS = frozenset({Perm.VIEW, Perm.EDIT, Perm.NOTE, Perm.REQUEST_CLOSURE})
SUPERVISOR_PERMS = frozenset(Perm)


def _agency_filter(user: User) -> Q | None:
    if not user.agency_id:
        return None
    if _role(user) == "supervisor":
        return Q(owning_agency_id=user.agency_id)
    if _role(user) == "caseworker":
        return Q(owning_agency_id=user.agency_id, assigned_to_id=user.pk)
    return None


def _agency_grant(user: User, case: Case) -> Grant | None:
    if not user.agency_id or case.owning_agency_id != user.agency_id:
        return None
    if _role(user) == "supervisor":
        return Grant(SUPERVISOR_PERMS, ALL_CATEGORIES, "agency")
    if _role(user) == "caseworker" and case.assigned_to_id == user.pk:
        perms = CASEWORKER_PERMS if case.status != "closed" else frozenset({Perm.VIEW})
        return Grant(perms, ALL_CATEGORIES, "agency")
    return None


GRANT_SOURCES: list[GrantSource] = [GrantSource("agency", _agency_filter, _agency_grant)]


def register_grant_source(source: GrantSource) -> None:
    """Later capabilities (referrals, transfers, break-glass) add their grants here."""
    if any(s.name == source.name for s in GRANT_SOURCES):
        return
    GRANT_SOURCES.append(source)


# --- the questions callers ask -----------------------------------------------------------

def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def case_filter(user: Any) -> Q | None:
    """The union of every grant source's filter, or None when the user may see no case."""
    if not _active(user):
        return None
    from bridgeway.access import sectors

    if not sectors.ceiling_for(user):
        return None
    combined: Q | None = None
    for source in GRANT_SOURCES:
        q = source.case_filter(user)
        if q is not None:
            combined = q if combined is None else combined | q
    return combined


def cases_visible_to(user: Any) -> QuerySet[Case]:
    from bridgeway.cases.models import Case

    q = case_filter(user)
    if q is None:
        return Case.objects.none()
    return Case.objects.filter(q)


def children_visible_to(user: Any) -> QuerySet[Any]:
    from bridgeway.registry.models import Child

    q = case_filter(user)
    if q is None:
        return Child.objects.none()
    visible_case_ids = cases_visible_to(user).values("child_id")
    return Child.objects.filter(pk__in=visible_case_ids, deleted_at__isnull=True)


def capped(grant: Grant, rule: Any) -> Grant:
    """``grant`` with its categories intersected with the sector ``rule`` (an
    ``access.sectors.SectorRule``): the one place where the sector policy meets grants."""
    from bridgeway.access import sectors

    categories = sectors.cap(rule, grant.categories, consented=grant.consented)
    if categories == grant.categories:
        return grant
    return replace(grant, categories=categories)


def grants_for(user: Any, case: Case) -> list[Grant]:
    """Every grant the user holds on ``case``, each already capped by the sector policy."""
    if not _active(user):
        return []
    from bridgeway.access import sectors

    rule = sectors.rule_for_user(user)
    if not rule.ceiling:
        return []
    found = []
    for source in GRANT_SOURCES:
        g = source.grant(user, case)
        if g is not None:
            found.append(capped(g, rule))
    return found


def perms_for(user: Any, case: Case) -> frozenset[Perm]:
    perms: frozenset[Perm] = NO_PERMS
    for g in grants_for(user, case):
        perms = perms | g.perms
    return perms


def categories_for(user: Any, case: Case) -> frozenset[Category]:
    cats: frozenset[Category] = frozenset()
    for g in grants_for(user, case):
        cats = cats | g.categories
    return cats


def can(user: Any, perm: Perm, case: Case) -> bool:
    return perm in perms_for(user, case)


def check(user: Any, perm: Perm, case: Case) -> None:
    """Raise NotFound if the user may not even see the case, NotAllowed if they may see it
    but not do ``perm``."""
    perms = perms_for(user, case)
    if Perm.VIEW not in perms:
        raise NotFound()
    if perm not in perms:
        raise NotAllowed("You may view this case but not do that.")


def case_for(user: Any, *, perm: Perm = Perm.VIEW, pk: int | None = None,
             case_number: str | None = None, for_update: bool = False) -> Case:
    """Fetch one case the user may see (and may ``perm``), or raise NotFound."""
    from bridgeway.cases.models import Case

    if pk is None and case_number is None:
        raise NotFound()
    qs = Case.objects.select_related("child", "owning_agency", "assigned_to")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    lookup = {"pk": pk} if pk is not None else {"case_number": case_number}
    case = qs.filter(**lookup).first()
    if case is None or case.child.deleted_at is not None:
        raise NotFound()
    check(user, perm, case)
    return case
