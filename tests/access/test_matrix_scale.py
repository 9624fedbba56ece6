"""The permission matrix at scale (issue 5: "thousands of generated cases, zero leaks").

``test_matrix_referrals`` walks every sector × relation through the services (a few
hundred cases, the real write paths). This one checks the one access policy over
``CASES`` cases bulk-created with random combinations of every grant source at once —
owning agency and assignment, case status, referrals in every status with consents valid,
withdrawn, not yet valid or lapsed and access periods on either side of today, transfers
with and without retained access, break-glass uses by every kind of user, inside, before
and after their window or ended early, justice involvements (active or ended, in the same
or another country, before or after a seal), deleted children. Rows are written with
``bulk_create`` (seconds instead of minutes), never through the policy.

The oracle is computed here from first principles, from the generated specs (not read
back from the database, not from the policy's code): for every user and every case,
whether the case is listed (``cases_visible_to``, the queryset filter every list uses), the
child is listed (``children_visible_to``), and — for every pair where the user sees the
case or belongs to an agency related to it, plus a fixed sample of the rest — which
categories and permissions the object-level check (``grants_for``) gives. Zero
differences allowed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.access.policy import ALL_CATEGORIES, Category, Perm
from bridgeway.accounts.models import JUSTICE_SECTORS, Agency, Sector, User
from bridgeway.cases.models import Case, Status
from bridgeway.justice.models import JusticeInvolvement, JusticeSeal
from bridgeway.referrals.models import (
    BreakGlass,
    Consent,
    Referral,
    ReferralStatus,
    Transfer,
    TransferStatus,
)
from bridgeway.registry.models import Child
from tests.access.test_matrix_referrals import BREAK_GLASS_SECTORS, BY_CONSENT, STANDING

pytestmark = pytest.mark.django_db

SEED = 20261204
CASES = 1200
SAMPLE_EVERY = 23  # unrelated (user, case) pairs checked at object level: one in 23

C = Category
JUSTICE_CATEGORIES = frozenset({C.IDENTITY, C.JUSTICE})
CASEWORKER_PERMS = frozenset({Perm.VIEW, Perm.EDIT, Perm.NOTE, Perm.REQUEST_CLOSURE})
VIEW = frozenset({Perm.VIEW})
OPEN_STATUSES = [s for s in Status.values if s not in (Status.CLOSED,)]


# --- the generated world, as plain specs --------------------------------------------------

@dataclass
class ConsentSpec:
    categories: frozenset[Category]
    consented_on: date
    valid_until: date
    withdrawn: bool

    def valid(self, today: date) -> bool:
        return not self.withdrawn and self.consented_on <= today <= self.valid_until


@dataclass
class ReferralSpec:
    agency: str
    status: str
    access_until: date
    assigned: str | None
    categories: frozenset[Category]
    consent: ConsentSpec


@dataclass
class TransferSpec:
    from_agency: str
    status: str
    retain: bool
    categories: frozenset[Category]
    until: date | None
    former_assignee: str | None
    consent: ConsentSpec


@dataclass
class GlassSpec:
    user: str
    started: datetime
    expires: datetime
    ended: bool


@dataclass
class InvolvementSpec:
    agency: str
    added: datetime
    ended: bool


@dataclass
class CaseSpec:
    owner: str
    assignee: str | None
    status: str
    deleted: bool
    referrals: list[ReferralSpec] = field(default_factory=list)
    transfer: TransferSpec | None = None
    glass: list[GlassSpec] = field(default_factory=list)
    involvements: list[InvolvementSpec] = field(default_factory=list)
    sealed_at: datetime | None = None
    case: Any = None


# agency key -> (sector, country)
AGENCIES: dict[str, tuple[str, str]] = {"home": ("child_protection", "ID")}
AGENCIES.update({s: (s, "ID") for s in Sector.values})
AGENCIES.update({"police-my": ("police", "MY"), "court-my": ("court", "MY"),
                 "cp-my": ("child_protection", "MY")})


def sector_of(user_key: str) -> str:
    return AGENCIES[user_key.split(":")[0]][0] if ":" in user_key else ""


def agency_of(user_key: str) -> str:
    return user_key.split(":")[0]


def role_of(user_key: str) -> str:
    part = user_key.split(":")[-1]
    return {"sup": "supervisor", "cw1": "caseworker", "cw2": "caseworker",
            "analyst": "analyst", "admin": "agency_admin", "gone": "supervisor"}[part]


# --- the oracle ------------------------------------------------------------------------------

def expected(user_key: str, spec: CaseSpec, today: date, now: datetime
             ) -> tuple[frozenset[Category], frozenset[Perm]] | None:
    """What ``user_key`` may do with the case (None: not even see it), from the rules as
    the issue and shared/STANDARDS.md state them."""
    if ":" not in user_key or user_key.endswith(":gone"):  # no agency, or deactivated
        return None
    agency, role, sector = agency_of(user_key), role_of(user_key), sector_of(user_key)
    standing = STANDING[sector]
    ceiling = standing | BY_CONSENT.get(sector, frozenset())
    grants: list[tuple[frozenset[Category], frozenset[Perm]]] = []
    case_worker = role in ("caseworker", "supervisor")
    # Owning agency: supervisors everything; the assigned caseworker works on it (reads
    # only once it is closed). Other roles nothing.
    if agency == spec.owner and role == "supervisor":
        grants.append((ALL_CATEGORIES & standing, frozenset(Perm)))
    elif agency == spec.owner and role == "caseworker" and spec.assignee == user_key:
        grants.append((ALL_CATEGORIES & standing,
                       VIEW if spec.status == Status.CLOSED else CASEWORKER_PERMS))
    # An accepted referral, within its access period, on a valid consent: the receiving
    # agency's supervisors and the assigned receiving user read the categories both the
    # referral and its consent name, up to the sector's ceiling.
    for r in spec.referrals:
        if (case_worker and r.agency == agency and r.status == ReferralStatus.ACCEPTED
                and r.access_until >= today and r.consent.valid(today)
                and (role == "supervisor" or r.assigned == user_key)):
            grants.append((r.categories & r.consent.categories & ceiling, VIEW))
    # Access a former owner keeps after an accepted transfer, only if the transfer says so.
    t = spec.transfer
    if (t is not None and case_worker and t.from_agency == agency
            and t.status == TransferStatus.ACCEPTED and t.retain and t.until is not None
            and t.until >= today and t.consent.valid(today)
            and (role == "supervisor" or t.former_assignee == user_key)):
        grants.append((t.categories & ceiling, VIEW))
    # Break-glass: child-protection and health supervisors, inside the window, not ended.
    if sector in BREAK_GLASS_SECTORS and role == "supervisor":
        for g in spec.glass:
            if g.user == user_key and not g.ended and g.started <= now < g.expires:
                grants.append((standing, VIEW))
    # Justice: a justice agency of the case's country, actively involved (after the seal,
    # when the record is sealed), sees identity and justice.
    if sector in JUSTICE_SECTORS and case_worker and \
            AGENCIES[agency][1] == AGENCIES[spec.owner][1]:
        links = [i for i in spec.involvements if i.agency == agency and not i.ended]
        if spec.sealed_at is not None:
            links = [i for i in links if i.added > spec.sealed_at]
        if links:
            grants.append((JUSTICE_CATEGORIES & standing, VIEW))
    if not grants:
        return None
    return (frozenset().union(*(c for c, _ in grants)),
            frozenset().union(*(p for _, p in grants)))


def related(user_key: str, spec: CaseSpec) -> bool:
    """The user's agency stands in some relation to the case: where a leak would come
    from."""
    agency = agency_of(user_key)
    return (agency == spec.owner or any(r.agency == agency for r in spec.referrals)
            or (spec.transfer is not None and spec.transfer.from_agency == agency)
            or any(g.user == user_key for g in spec.glass)
            or any(i.agency == agency for i in spec.involvements))


# --- generation -------------------------------------------------------------------------------

def _subset(rng: random.Random) -> frozenset[Category]:
    items = sorted(ALL_CATEGORIES)
    return frozenset(rng.sample(items, rng.randint(1, len(items))))


def _consent(rng: random.Random, today: date) -> ConsentSpec:
    start = today - timedelta(days=rng.choice([0, 0, 3, 40])) if rng.random() > 0.08 \
        else today + timedelta(days=1)
    end = today + timedelta(days=rng.choice([-1, 0, 0, 1, 30, 90]))
    return ConsentSpec(_subset(rng), start, max(start, end), withdrawn=rng.random() < 0.15)


def generate(today: date, now: datetime, users: list[str]) -> list[CaseSpec]:
    rng = random.Random(SEED)
    owners = ["home"] * 6 + ["child_protection", "cp-my", "health", "police", "community"]
    others = list(AGENCIES)
    justice = [a for a, (s, _) in AGENCIES.items() if s in JUSTICE_SECTORS]
    specs = []
    for _ in range(CASES):
        owner = rng.choice(owners)
        status = (Status.CLOSED if rng.random() < 0.15 else rng.choice(OPEN_STATUSES))
        spec = CaseSpec(owner=owner, assignee=rng.choice([f"{owner}:cw1", f"{owner}:cw2",
                                                          None]),
                        status=status, deleted=rng.random() < 0.03)
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            agency = rng.choice([a for a in others if a != owner])
            spec.referrals.append(ReferralSpec(
                agency=agency, status=rng.choice(ReferralStatus.values),
                access_until=today + timedelta(days=rng.choice([-1, 0, 0, 5, 60])),
                assigned=rng.choice([f"{agency}:cw1", f"{agency}:cw2", None]),
                categories=_subset(rng), consent=_consent(rng, today)))
        if rng.random() < 0.3:
            source = rng.choice([a for a in others if a != owner])
            retain = rng.random() < 0.7
            spec.transfer = TransferSpec(
                from_agency=source,
                status=rng.choice(TransferStatus.values), retain=retain,
                categories=_subset(rng) if retain else frozenset(),
                until=(today + timedelta(days=rng.choice([-1, 0, 10]))) if retain else None,
                former_assignee=rng.choice([f"{source}:cw1", f"{source}:cw2", None]),
                consent=_consent(rng, today))
        if rng.random() < 0.25:
            started = now + timedelta(minutes=rng.choice([-600, -170, -60, 30]))
            spec.glass.append(GlassSpec(user=rng.choice(users), started=started,
                                        expires=started + timedelta(hours=3),
                                        ended=rng.random() < 0.15))
        if rng.random() < 0.35:
            for agency in rng.sample([*justice, "health"], rng.choice([1, 1, 2])):
                spec.involvements.append(InvolvementSpec(
                    agency=agency, added=now - timedelta(days=rng.choice([1, 20, 200])),
                    ended=rng.random() < 0.2))
            if rng.random() < 0.25:
                spec.sealed_at = now - timedelta(days=10)
        specs.append(spec)
    return specs


def build(specs: list[CaseSpec], users: dict[str, Any], agencies: dict[str, Any],
          now: datetime) -> None:
    """Write the specs with ``bulk_create``: children, cases, then every grant row."""
    recorder = users["home:sup"]
    children = Child.objects.bulk_create(
        [Child(registered_by=recorder, registered_at=now, display_name=f"Anak {i}",
               deleted_at=now if s.deleted else None) for i, s in enumerate(specs)])
    cases = Case.objects.bulk_create(
        [Case(case_number=f"BW-SCALE-{i:06d}", child=child, opened_at=now, status=s.status,
              owning_agency=agencies[s.owner],
              assigned_to=users[s.assignee] if s.assignee else None)
         for i, (s, child) in enumerate(zip(specs, children, strict=True))])
    for s, case in zip(specs, cases, strict=True):
        s.case = case

    def consent_row(s: CaseSpec, c: ConsentSpec, kind: str, to: str) -> Consent:
        return Consent(case=s.case, kind=kind, given_by="child", categories=sorted(c.categories),
                       purpose="scale matrix", receiving_agency=agencies[to],
                       consented_on=c.consented_on, valid_until=c.valid_until,
                       recorded_by=recorder, recorded_at=now,
                       withdrawn_at=now if c.withdrawn else None)

    pairs = [(s, r) for s in specs for r in s.referrals]
    consents = Consent.objects.bulk_create(
        [consent_row(s, r.consent, "referral", r.agency) for s, r in pairs])
    Referral.objects.bulk_create([
        Referral(case=s.case, consent=consent, referred_by=recorder,
                 from_agency=agencies[s.owner], receiving_agency=agencies[r.agency],
                 categories=sorted(r.categories), purpose="scale matrix", status=r.status,
                 created_at=now, respond_by=now + timedelta(days=3),
                 access_until=r.access_until,
                 assigned_to=users[r.assigned] if r.assigned else None)
        for (s, r), consent in zip(pairs, consents, strict=True)])
    moved = [s for s in specs if s.transfer is not None]
    consents = Consent.objects.bulk_create(
        [consent_row(s, s.transfer.consent, "transfer", s.owner) for s in moved])
    Transfer.objects.bulk_create([
        Transfer(case=s.case, consent=consent, from_agency=agencies[t.from_agency],
                 to_agency=agencies[s.owner], reason="scale matrix", status=t.status,
                 proposed_by=recorder, proposed_at=now, retain_access=t.retain,
                 retained_categories=sorted(t.categories), retained_until=t.until,
                 former_assignee=users[t.former_assignee] if t.former_assignee else None)
        for s, consent in zip(moved, consents, strict=True)
        if (t := s.transfer) is not None])
    BreakGlass.objects.bulk_create([
        BreakGlass(user=users[g.user], case=s.case, agency=users[g.user].agency or
                   agencies["home"], owning_agency=agencies[s.owner],
                   reason="Emergency admission; allergies unknown, guardian unreachable.",
                   categories=[], started_at=g.started, expires_at=g.expires,
                   ended_at=now - timedelta(minutes=1) if g.ended else None)
        for s in specs for g in s.glass])
    JusticeInvolvement.objects.bulk_create([
        JusticeInvolvement(case=s.case, agency=agencies[i.agency], added_by=recorder,
                           added_at=i.added, ended_at=now if i.ended else None)
        for s in specs for i in s.involvements])
    JusticeSeal.objects.bulk_create([
        JusticeSeal(case=s.case, sealed_at=s.sealed_at, reason="scale matrix")
        for s in specs if s.sealed_at is not None])


def test_policy_matches_the_oracle_over_generated_cases(db: Any) -> None:
    now = timezone.now()
    today = timezone.localdate(now)
    agencies = {key: Agency.objects.create(code=f"sc-{key}", name=key, sector=sector,
                                           country=country)
                for key, (sector, country) in AGENCIES.items()}
    users: dict[str, Any] = {}
    for key in agencies:
        for part in ("sup", "cw1", "cw2"):
            users[f"{key}:{part}"] = f"{key}:{part}"
    users.update({"home:analyst": "", "home:admin": "", "health:gone": "", "auditor": ""})
    for key in list(users):
        agency = agencies[agency_of(key)] if ":" in key else None
        role = role_of(key) if ":" in key else "auditor"
        users[key] = User.objects.create_user(
            username=key.replace(":", "_"), password="pw", role=role, agency=agency,
            is_active=not key.endswith(":gone"))
    specs = generate(today, now, sorted(users))
    build(specs, users, agencies, now)
    assert len(specs) >= 1000

    fresh = (Case.objects.select_related("owning_agency", "child")
             .in_bulk([s.case.pk for s in specs]))
    problems: list[str] = []
    checked = granted = 0
    for index, (key, user) in enumerate(sorted(users.items())):
        listed = set(policy.cases_visible_to(user).values_list("pk", flat=True))
        children = set(policy.children_visible_to(user).values_list("pk", flat=True))
        for number, spec in enumerate(specs):
            case = fresh[spec.case.pk]
            want = expected(key, spec, today, now)
            where = f"{key} on case {case.pk} ({spec})"
            if (case.pk in listed) != (want is not None):
                problems.append(f"{where}: listed={case.pk in listed}, expected "
                                f"{want is not None}")
            if (case.child_id in children) != (want is not None and not spec.deleted):
                problems.append(f"{where}: child listed={case.child_id in children}")
            if not (want is not None or related(key, spec)
                    or (index + number) % SAMPLE_EVERY == 0):
                continue
            checked += 1
            grants = policy.grants_for(user, case)
            if want is None:
                if grants:
                    problems.append(f"{where}: unexpected grants {grants}")
                continue
            granted += 1
            cats = frozenset().union(*(g.categories for g in grants))
            perms = frozenset().union(*(g.perms for g in grants))
            if (cats, perms) != want:
                problems.append(f"{where}: got {sorted(cats)} {sorted(perms)}, expected "
                                f"{sorted(want[0])} {sorted(want[1])}")
        assert len(problems) < 50, "\n".join(problems)
    assert problems == [], "\n".join(problems[:40])
    # The generation reached every grant source and both answers, many times over.
    assert granted > 1500 and checked > 10000, (granted, checked)
