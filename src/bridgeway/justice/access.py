"""Justice users' access to cases: a grant source for the access policy, and who may
record in the justice record.

Decision (issue 4, "Access"). A user of a justice agency (police, prosecution, court,
legal aid, detention) sees a case when

* the agency is *involved* in it: an active ``JusticeInvolvement`` row, and
* the case is in the agency's jurisdiction: the owning agency's country is the justice
  agency's country,

and then only the categories IDENTITY and JUSTICE, with the permission VIEW. The case's
psychosocial, health, family and every other category stay hidden; pages and the API
check ``categories_for`` before showing a field. Only caseworker and supervisor roles of
the agency get the grant (its administrators and analysts see no individual records).

How an agency becomes involved, kept deliberately simple (no free search of the registry
by justice users, which would expose every child's identity to every police officer):

1. the owning agency's assigned caseworker or supervisor links it
   (``services.justice_involvement_add``), e.g. the police unit that made contact;
2. opening or transferring into a facility run by a justice agency links that agency
   (the detention facility must see the register entries it is responsible for);
3. a justice user who can already see a case (through a link, or a future referral
   with consent) and records an event or episode in it links their own agency.

Recording (events, episodes, releases, transfers, corrections) is allowed to the owning
agency's users who may edit the case, and to justice users with the grant above.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q

from bridgeway.access import policy
from bridgeway.access.policy import Category, Grant, GrantSource, Perm
from bridgeway.accounts.models import JUSTICE_SECTORS
from bridgeway.core.errors import NotAllowed, NotFound

SOURCE = "justice"
JUSTICE_PERMS = frozenset({Perm.VIEW})
JUSTICE_CATEGORIES = frozenset({Category.IDENTITY, Category.JUSTICE})
JUSTICE_ROLES = frozenset({"caseworker", "supervisor"})


def is_justice_user(user: Any) -> bool:
    agency = getattr(user, "agency", None) if getattr(user, "agency_id", None) else None
    return bool(agency is not None and agency.active and agency.sector in JUSTICE_SECTORS
                and getattr(user, "role", "") in JUSTICE_ROLES)


def _filter(user: Any) -> Q | None:
    if not is_justice_user(user):
        return None
    from bridgeway.justice.models import JusticeInvolvement

    # A sealed justice record is reached by no justice grant (``justice.retention``): an
    # involvement made before the seal gives nothing. Only a link made after it — the
    # case was reopened, and the agency linked again — reaches the record's open part.
    involved = (JusticeInvolvement.objects
                .filter(agency_id=user.agency_id, ended_at__isnull=True)
                .filter(Q(case__justice_seal__isnull=True)
                        | Q(added_at__gt=F("case__justice_seal__sealed_at")))
                .values("case_id"))
    return Q(pk__in=involved, owning_agency__country=user.agency.country)


def _involved(user: Any, case: Any, *, after: Any = None) -> bool:
    """An active involvement of the user's agency (made after ``after``, when given)."""
    # Uses a prefetch of ``justice_involvements`` when the caller made one (lists).
    cache = getattr(case, "_prefetched_objects_cache", {})
    if "justice_involvements" in cache:
        return any(i.agency_id == user.agency_id and i.ended_at is None
                   and (after is None or i.added_at > after)
                   for i in cache["justice_involvements"])
    links = case.justice_involvements.filter(agency_id=user.agency_id,
                                             ended_at__isnull=True)
    if after is not None:
        links = links.filter(added_at__gt=after)
    return links.exists()


def _grant(user: Any, case: Any) -> Grant | None:
    if not is_justice_user(user):
        return None
    if case.owning_agency.country != user.agency.country or not _involved(user, case):
        return None
    from bridgeway.justice.retention import seal_of

    seal = seal_of(case)
    if seal is not None and not _involved(user, case, after=seal.sealed_at):
        return None
    return Grant(JUSTICE_PERMS, JUSTICE_CATEGORIES, SOURCE)


def register() -> None:
    policy.register_grant_source(GrantSource(SOURCE, _filter, _grant))


# --------------------------------------------------------------- questions


def justice_view_check(user: Any, case: Any) -> frozenset[Category]:
    """The categories the user sees of this case, if the justice record is among them;
    NotFound otherwise (a case whose justice record one may not see does not exist)."""
    if Perm.VIEW not in policy.perms_for(user, case):
        raise NotFound()
    categories = policy.categories_for(user, case)
    if Category.JUSTICE not in categories:
        raise NotFound()
    return categories


def sees_justice(user: Any, case: Any) -> bool:
    """Whether ``user`` may see ``case``'s justice record: the same answer as
    ``Category.JUSTICE in policy.categories_for(user, case)`` (with VIEW), but stopping
    at the first grant that gives it. Grant sources are asked in registration order, so
    for the owning agency and involved justice agencies only the cheap, prefetch-aware
    sources run; lists of many cases then cost the same number of queries for any number
    of rows. Each grant is capped by the sector policy exactly as ``grants_for`` does."""
    if not (user is not None and user.is_authenticated and user.is_active):
        return False
    from bridgeway.access import sectors

    rule = sectors.rule_for_user(user)
    if Category.JUSTICE not in rule.ceiling:
        return False
    for source in policy.GRANT_SOURCES:
        grant = source.grant(user, case)
        if grant is None:
            continue
        grant = policy.capped(grant, rule)
        if Perm.VIEW in grant.perms and Category.JUSTICE in grant.categories:
            return True
    return False


def may_record(user: Any, case: Any) -> bool:
    perms = policy.perms_for(user, case)
    if Perm.VIEW not in perms:
        return False
    if case.owning_agency_id == user.agency_id and Perm.EDIT in perms:
        return True
    return (is_justice_user(user) and case.owning_agency.country == user.agency.country
            and Category.JUSTICE in policy.categories_for(user, case))


def record_check(user: Any, case: Any) -> None:
    """NotFound when the justice record is not visible, NotAllowed when it is but the
    user may not write in it (a caseworker of a closed case, an analyst …)."""
    justice_view_check(user, case)
    if not may_record(user, case):
        raise NotAllowed("You may view this justice record but not record in it.")


def may_link_agencies(user: Any, case: Any) -> bool:
    """The owning agency's users who may edit the case link justice agencies to it."""
    return (case.owning_agency_id == user.agency_id
            and Perm.EDIT in policy.perms_for(user, case))


def may_edit_rules(user: Any) -> bool:
    """Jurisdiction rules are national law: only system administrators record them."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and getattr(user, "role", "") == "system_admin")
