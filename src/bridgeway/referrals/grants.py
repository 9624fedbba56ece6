"""Grant sources this app adds to the access policy (``access.policy.GRANT_SOURCES``).

``referral``
    Users of the receiving agency — the assigned receiving user and the agency's
    supervisors — see the case while the referral is accepted, its consent is valid (not
    withdrawn, within its dates) and its access period has not ended: permission VIEW,
    the referral's categories (never more than its consent's). Pending, declined,
    expired, withdrawn and closed referrals grant nothing, so the receiving agency cannot
    see a child before it has taken the referral on.
``transfer``
    After an accepted transfer, the former owning agency keeps read access (its
    supervisors and the caseworker who was assigned) only when the transfer says so, for
    the categories and until the date it names, and only while the consent stands.
``break_glass``
    A user whose sector and role allow it, and who has opened break-glass on a case,
    sees it read-only for the time granted (default 3 hours), with their sector's standing
    categories.

Time is read on every call: access ends the moment a consent is withdrawn or a period
runs out, without waiting for a job. The policy caps every grant here by the sector
policy (``access.sectors``); referral and transfer grants are marked ``consented``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from bridgeway.access import policy, sectors
from bridgeway.access.policy import Category, Grant, GrantSource, Perm
from bridgeway.referrals.models import (
    BreakGlass,
    Consent,
    Referral,
    ReferralStatus,
    Transfer,
    TransferStatus,
    consent_valid_q,
)

VIEW_ONLY = frozenset({Perm.VIEW})
RECEIVING_ROLES = frozenset({"caseworker", "supervisor"})
DEFAULT_BREAK_GLASS_ROLES: dict[str, list[str]] = {"child_protection": ["supervisor"],
                                                   "health": ["supervisor"]}


def as_categories(values: Iterable[str]) -> frozenset[Category]:
    """Stored category names to ``Category``; unknown names (a category removed from the
    code) grant nothing rather than failing."""
    known = {c.value for c in Category}
    return frozenset(Category(v) for v in values if v in known)


def _agency_user(user: Any) -> bool:
    return bool(getattr(user, "agency_id", None)
                and getattr(user, "role", "") in RECEIVING_ROLES
                and getattr(user, "is_active", False))


# --- referrals ---------------------------------------------------------------------------

def active_referrals_q(today: Any) -> Q:
    return (Q(status=ReferralStatus.ACCEPTED, access_until__gte=today)
            & consent_valid_q(today, "consent__"))


def referrals_granting(user: Any) -> Any:
    """Referrals that currently give ``user`` access (as a queryset)."""
    if not _agency_user(user):
        return Referral.objects.none()
    qs = Referral.objects.filter(active_referrals_q(timezone.localdate()),
                                 receiving_agency_id=user.agency_id)
    if user.role != "supervisor":
        qs = qs.filter(assigned_to_id=user.pk)
    return qs


def _referral_filter(user: Any) -> Q | None:
    if not _agency_user(user):
        return None
    return Q(pk__in=referrals_granting(user).values("case_id"))


def _valid_consents(ids: set[int]) -> dict[int, frozenset[Category]]:
    """Categories of those consents (by id) that are valid today."""
    if not ids:
        return {}
    rows = Consent.objects.filter(consent_valid_q(timezone.localdate()), pk__in=ids)
    return {pk: as_categories(cats) for pk, cats in rows.values_list("pk", "categories")}


def _referral_grant(user: Any, case: Any) -> Grant | None:
    # Two single-table queries, the second only when the first finds something: this runs
    # for every case a user opens, so it stays cheap in the common case (no referral).
    if not _agency_user(user):
        return None
    qs = Referral.objects.filter(case_id=case.pk, receiving_agency_id=user.agency_id,
                                 status=ReferralStatus.ACCEPTED,
                                 access_until__gte=timezone.localdate())
    if user.role != "supervisor":
        qs = qs.filter(assigned_to_id=user.pk)
    rows = list(qs.order_by("pk").values_list("pk", "categories", "consent_id"))
    consents = _valid_consents({consent_id for _, _, consent_id in rows})
    granting = [(pk, as_categories(cats) & consents[consent_id])
                for pk, cats, consent_id in rows if consent_id in consents]
    if not granting:
        return None
    categories = frozenset().union(*(cats for _, cats in granting))
    return Grant(VIEW_ONLY, categories,
                 "referral:" + ",".join(str(pk) for pk, _ in granting), consented=True)


# --- transfers: access the former owner keeps ---------------------------------------------

def transfers_granting(user: Any) -> Any:
    if not _agency_user(user):
        return Transfer.objects.none()
    today = timezone.localdate()
    qs = Transfer.objects.filter(consent_valid_q(today, "consent__"),
                                 status=TransferStatus.ACCEPTED, retain_access=True,
                                 retained_until__gte=today, from_agency_id=user.agency_id)
    if user.role != "supervisor":
        qs = qs.filter(former_assignee_id=user.pk)
    return qs


def _transfer_filter(user: Any) -> Q | None:
    if not _agency_user(user):
        return None
    return Q(pk__in=transfers_granting(user).values("case_id"))


def _transfer_grant(user: Any, case: Any) -> Grant | None:
    if not _agency_user(user):
        return None
    qs = Transfer.objects.filter(case_id=case.pk, from_agency_id=user.agency_id,
                                 status=TransferStatus.ACCEPTED, retain_access=True,
                                 retained_until__gte=timezone.localdate())
    if user.role != "supervisor":
        qs = qs.filter(former_assignee_id=user.pk)
    rows = list(qs.order_by("pk").values_list("pk", "retained_categories", "consent_id"))
    consents = _valid_consents({consent_id for _, _, consent_id in rows})
    granting = [(pk, as_categories(cats)) for pk, cats, consent_id in rows
                if consent_id in consents]
    if not granting:
        return None
    categories = frozenset().union(*(cats for _, cats in granting))
    return Grant(VIEW_ONLY, categories,
                 "transfer:" + ",".join(str(pk) for pk, _ in granting), consented=True)


# --- break-glass ---------------------------------------------------------------------------

def break_glass_roles() -> dict[str, frozenset[str]]:
    raw = getattr(settings, "BRIDGEWAY_BREAK_GLASS_ROLES", None)
    if raw is None:
        raw = DEFAULT_BREAK_GLASS_ROLES
    return {str(sector): frozenset(roles) for sector, roles in raw.items()}


def may_break_glass(user: Any) -> bool:
    """Whether the user's sector and role allow break-glass at all
    (``BRIDGEWAY_BREAK_GLASS_ROLES``: sector -> roles; default: supervisors of child
    protection and health agencies)."""
    if not (user is not None and getattr(user, "is_authenticated", False)
            and getattr(user, "is_active", False) and getattr(user, "agency_id", None)):
        return False
    if not user.agency.active:
        return False
    roles = break_glass_roles().get(sectors.user_sector(user), frozenset())
    return getattr(user, "role", "") in roles


def break_glass_active(user: Any) -> Any:
    now = timezone.now()
    return BreakGlass.objects.filter(user_id=user.pk, ended_at__isnull=True,
                                     started_at__lte=now, expires_at__gt=now)


def _break_glass_filter(user: Any) -> Q | None:
    if not may_break_glass(user):
        return None
    return Q(pk__in=break_glass_active(user).values("case_id"))


def _break_glass_grant(user: Any, case: Any) -> Grant | None:
    if not may_break_glass(user):
        return None
    ids = list(break_glass_active(user).filter(case_id=case.pk).order_by("pk")
               .values_list("pk", flat=True))
    if not ids:
        return None
    return Grant(VIEW_ONLY, sectors.standing_for(user),
                 "break_glass:" + ",".join(str(i) for i in ids))


SOURCES = (
    GrantSource("referral", _referral_filter, _referral_grant),
    GrantSource("transfer", _transfer_filter, _transfer_grant),
    GrantSource("break_glass", _break_glass_filter, _break_glass_grant),
)


def register() -> None:
    for source in SOURCES:
        policy.register_grant_source(source)
