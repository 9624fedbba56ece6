"""The permission matrix at the policy layer: sectors × categories × relations.

For every sector there is one agency with a supervisor and two caseworkers; a home
child-protection agency owns most cases. Each generated case puts one sector's agency in
one relation to it — owner, referral pending / accepted / declined / expired (before and
after the sweep) / withdrawn / closed / consent withdrawn, transfer proposed / accepted
with or without retained access, retained access after consent withdrawal, break-glass active / expired — with randomly drawn
category sets (fixed seed). Every user's visible cases, children, per-case categories and
permissions are then compared with an oracle written here from first principles (its own
tables, not the code's). Zero differences allowed; then the sector policy is tightened
and the comparison is run again: existing grants must shrink with it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.access.policy import ALL_CATEGORIES, Category, Perm
from bridgeway.accounts.models import Agency, Sector, User
from bridgeway.core.errors import NotAllowed, NotFound
from bridgeway.referrals import services as svc
from tests.conftest import child_payload
from tests.referrals.conftest import Clock, born_years_ago

pytestmark = pytest.mark.django_db

C = Category
SEED = 20240605
VARIANTS = 2  # cases per (sector, relation)

STANDING = {
    "child_protection": frozenset(ALL_CATEGORIES),
    "health": frozenset({C.IDENTITY, C.HEALTH}),
    "education": frozenset({C.IDENTITY, C.EDUCATION}),
    "police": frozenset({C.IDENTITY, C.JUSTICE}),
    "prosecution": frozenset({C.IDENTITY, C.JUSTICE}),
    "court": frozenset({C.IDENTITY, C.JUSTICE}),
    "detention": frozenset({C.IDENTITY, C.JUSTICE}),
    "legal_aid": frozenset({C.IDENTITY, C.JUSTICE, C.FAMILY}),
    "community": frozenset({C.IDENTITY, C.FAMILY, C.CONTACT_LOCATION}),
    "international": frozenset({C.IDENTITY, C.FAMILY, C.CONTACT_LOCATION}),
}
BY_CONSENT = {"health": frozenset({C.CONTACT_LOCATION, C.FAMILY, C.PSYCHOSOCIAL,
                                   C.PROTECTION_CONCERNS})}
BREAK_GLASS_SECTORS = {"child_protection", "health"}

RELATIONS = ("owner", "referral_pending", "referral_accepted", "referral_declined",
             "referral_expired", "referral_withdrawn", "referral_closed", "consent_withdrawn",
             "transfer_proposed", "transfer_retained", "transfer_plain",
             "transfer_consent_withdrawn",
             "break_glass_active", "break_glass_expired", "none")


@dataclass
class Tables:
    standing: dict[str, frozenset[Category]]
    by_consent: dict[str, frozenset[Category]]

    def ceiling(self, sector: str) -> frozenset[Category]:
        return self.standing[sector] | self.by_consent.get(sector, frozenset())


@dataclass
class Extra:
    users: set[str]
    categories: frozenset[Category]
    consented: bool


@dataclass
class Meta:
    case: Any
    relation: str
    sector: str
    owner: str  # agency key: a sector name or "home"
    assignee: str | None  # user key
    extras: list[Extra] = field(default_factory=list)
    number: int = 0  # the case's markers: ``markers(number)``


@dataclass
class World:
    users: dict[str, Any]  # key -> user ("home:sup", "police:cw1" …)
    agencies: dict[str, Any]
    metas: list[Meta]


def user_agency(key: str) -> str:
    return key.split(":")[0]


def expected(tables: Tables, user_key: str, meta: Meta) -> tuple[bool, frozenset[Category],
                                                                 frozenset[Perm]]:
    """The oracle: visibility, categories and permissions of ``user_key`` on a case."""
    agency = user_agency(user_key)
    sector = "child_protection" if agency == "home" else agency
    standing, ceiling = tables.standing[sector], tables.ceiling(sector)
    if not ceiling:
        return False, frozenset(), frozenset()
    visible, cats, perms = False, frozenset(), frozenset()
    if agency == meta.owner and (user_key.endswith(":sup") or user_key == meta.assignee):
        visible, cats = True, standing
        perms = (frozenset(Perm) if user_key.endswith(":sup")
                 else frozenset({Perm.VIEW, Perm.EDIT, Perm.NOTE, Perm.REQUEST_CLOSURE}))
    for extra in meta.extras:
        if user_key in extra.users:
            visible = True
            cats = cats | (extra.categories & (ceiling if extra.consented else standing))
            perms = perms | {Perm.VIEW}
    return visible, cats, perms


def subset(rng: random.Random, pool: frozenset[Category]) -> frozenset[Category]:
    items = sorted(pool)
    return frozenset(rng.sample(items, rng.randint(1, len(items))))


def markers(number: int) -> dict[Category, tuple[str, ...]]:
    """Unique strings planted in case ``number``'s fields, by data category. A family name
    takes letters only (``b`` … ``k`` for the digits), a phone number digits only."""
    letters = "".join("bcdefghijk"[int(d)] for d in str(number))
    return {
        C.FAMILY: (f"Mxfam{letters}q", f"MXFAMNOTE{number}Q"),
        C.CONTACT_LOCATION: (f"+62 811 {number:04d} 9753", f"MXADDR{number}Q"),
        C.ASSOCIATION_HISTORY: (f"MXASSOC{number}Q",),
        C.JUSTICE: (f"MXOFFENCE{number}Q",),
        C.CASE_MANAGEMENT: (f"MXNOTE{number}Q",),
    }


def build(people: Any, clock: Clock) -> World:
    rng = random.Random(SEED)
    agencies: dict[str, Any] = {"home": Agency.objects.create(
        code="home", name="Home", sector="child_protection", country="ID")}
    users: dict[str, Any] = {}

    def add_user(key: str, role: str) -> None:
        users[key] = User.objects.create_user(username=key.replace(":", "_"),
                                              password="pw", role=role,
                                              agency=agencies[user_agency(key)])

    add_user("home:sup", "supervisor")
    add_user("home:cw1", "caseworker")
    for sector in Sector.values:
        agencies[sector] = Agency.objects.create(code=f"ag-{sector}", name=sector.title(),
                                                 sector=sector, country="ID")
        add_user(f"{sector}:sup", "supervisor")
        add_user(f"{sector}:cw1", "caseworker")
        add_user(f"{sector}:cw2", "caseworker")
    tables = Tables(STANDING, BY_CONSENT)
    metas: list[Meta] = []
    counter = 0

    def register(actor: Any) -> Any:
        """A case whose fields carry a marker per data category (``markers``), for the
        output-channel half of the matrix (``test_matrix_channels``)."""
        nonlocal counter
        counter += 1
        from bridgeway.cases.services import case_add_note
        from bridgeway.registry.services import child_register

        mark = markers(counter)
        case = child_register(actor=actor, child=child_payload(
            names=[{"kind": "given", "value": f"Anak{counter}"}],
            date_of_birth=born_years_ago(14),
            family=[{"relationship": "mother", "name": mark[C.FAMILY][0],
                     "notes": mark[C.FAMILY][1], "phone": mark[C.CONTACT_LOCATION][0],
                     "address": mark[C.CONTACT_LOCATION][1], "is_caregiver": True,
                     "is_legal_guardian": True}]),
            case={"risk_level": "medium", "association_place": mark[C.ASSOCIATION_HISTORY][0],
                  "alleged_offence": mark[C.JUSTICE][0]})
        case_add_note(actor=actor, case_id=case.pk, body=mark[C.CASE_MANAGEMENT][0])
        return case

    def consent(case: Any, actor: Any, to: Any, cats: Any, kind: str = "referral") -> Any:
        return svc.consent_record(actor=actor, case_id=case.pk, data=svc.ConsentInput(
            given_by="child", categories=sorted(cats) if cats else None, purpose="matrix",
            kind=kind, receiving_agency_id=to.pk,
            valid_until=(timezone.localdate() + timedelta(days=90)).isoformat(),
            caregiver_involvement="Caregiver informed."))

    home_sup, home_cw = users["home:sup"], users["home:cw1"]
    for sector in Sector.values:
        agency = agencies[sector]
        sup, cw1 = users[f"{sector}:sup"], users[f"{sector}:cw1"]
        receivers = {f"{sector}:sup", f"{sector}:cw1"}
        for relation in RELATIONS:
            for _ in range(VARIANTS):
                expired = relation in ("referral_expired", "break_glass_expired")
                clock.offset = timedelta(days=-2) if expired else timedelta()
                if relation == "owner" or relation.startswith("transfer"):
                    case = register(cw1)
                    meta = Meta(case, relation, sector, owner=sector,
                                assignee=f"{sector}:cw1")
                else:
                    case = register(home_cw)
                    meta = Meta(case, relation, sector, owner="home", assignee="home:cw1")
                meta.number = counter
                if relation.startswith("referral") or relation == "consent_withdrawn":
                    given = consent(case, home_cw, agency, tables.ceiling(sector))
                    granted = subset(rng, tables.ceiling(sector))
                    until = (timezone.localdate() + timedelta(days=1)) if expired else None
                    referral = svc.referral_create(actor=home_cw, case_id=case.pk,
                                                   data=svc.ReferralInput(
                        consent_id=given.pk, categories=sorted(granted), purpose="matrix",
                        receiving_agency_id=agency.pk,
                        access_until=until.isoformat() if until else None))
                    if relation == "referral_declined":
                        svc.referral_decline(actor=sup, referral_id=referral.pk, reason="no")
                    elif relation != "referral_pending":
                        svc.referral_accept(actor=sup, referral_id=referral.pk,
                                            assign_to_id=cw1.pk)
                    if relation == "referral_accepted":
                        meta.extras.append(Extra(receivers, granted, consented=True))
                    elif relation == "referral_withdrawn":
                        svc.referral_withdraw(actor=home_cw, referral_id=referral.pk,
                                              reason="matrix")
                    elif relation == "referral_closed":
                        svc.referral_close(actor=cw1, referral_id=referral.pk, note="done")
                    elif relation == "consent_withdrawn":
                        svc.consent_withdraw(actor=home_cw, consent_id=given.pk,
                                             reason="matrix")
                elif relation.startswith("transfer"):
                    given = consent(case, cw1, agencies["home"], None, kind="transfer")
                    retained = subset(rng, ALL_CATEGORIES)
                    keep = relation in ("transfer_retained", "transfer_consent_withdrawn")
                    transfer = svc.transfer_propose(actor=sup, case_id=case.pk,
                                                    data=svc.TransferInput(
                        consent_id=given.pk, to_agency_id=agencies["home"].pk,
                        reason="matrix", retain_access=keep,
                        retained_categories=sorted(retained) if keep else None,
                        retained_until=given.valid_until.isoformat() if keep else None))
                    if relation != "transfer_proposed":
                        svc.transfer_accept(actor=home_sup, transfer_id=transfer.pk)
                        meta.owner, meta.assignee = "home", None
                    if relation == "transfer_consent_withdrawn":
                        svc.consent_withdraw(actor=home_sup, consent_id=given.pk,
                                             reason="matrix")
                    elif keep:
                        meta.extras.append(Extra(receivers, retained, consented=True))
                elif relation.startswith("break_glass"):
                    reason = "Emergency admission; allergies unknown, guardian unreachable."
                    if sector in BREAK_GLASS_SECTORS:
                        svc.break_glass_open(actor=sup, case_id=case.pk, reason=reason)
                        if relation == "break_glass_active":
                            meta.extras.append(Extra({f"{sector}:sup"}, ALL_CATEGORIES,
                                                     consented=False))
                    else:
                        with pytest.raises(NotAllowed):
                            svc.break_glass_open(actor=sup, case_id=case.pk, reason=reason)
                metas.append(meta)
    clock.offset = timedelta()
    return World(users=users, agencies=agencies, metas=metas)


def leaks(world: World, tables: Tables, metas: list[Meta] | None = None,
          sample_every: int = 10) -> list[str]:
    """Every difference between the policy and the oracle, as readable lines.

    The list filters (``cases_visible_to``, ``children_visible_to``) are compared for
    every user and every case. The per-object answer (``grants_for`` and from it
    ``categories_for``/``perms_for``) is compared for every pair where the user can see the
    case or belongs to an agency related to it (the owner, the sector's agency that is
    referred to / transferred from / breaking glass) — where a leak would come from — and
    for a fixed sample of the unrelated pairs (keeps the run to about a minute)."""
    from bridgeway.cases.models import Case

    metas = world.metas if metas is None else metas
    fresh = Case.objects.select_related("owning_agency").in_bulk([m.case.pk for m in metas])
    problems: list[str] = []
    for index, (key, user) in enumerate(sorted(world.users.items())):
        visible = set(policy.cases_visible_to(user).filter(pk__in=fresh)
                      .values_list("pk", flat=True))
        children = set(policy.children_visible_to(user).values_list("pk", flat=True))
        for number, meta in enumerate(metas):
            case = fresh[meta.case.pk]
            want_visible, want_cats, want_perms = expected(tables, key, meta)
            where = f"{key} on {meta.relation}/{meta.sector} case {case.pk}"
            if (case.pk in visible) != want_visible:
                problems.append(f"{where}: listed={case.pk in visible}, "
                                f"expected {want_visible}")
            if (case.child_id in children) != want_visible:
                problems.append(f"{where}: child listed={case.child_id in children}")
            related = user_agency(key) in ("home", meta.sector)
            if not (want_visible or related or (index + number) % sample_every == 0):
                continue
            grants = policy.grants_for(user, case)
            cats = frozenset().union(*(g.categories for g in grants))
            perms = frozenset().union(*(g.perms for g in grants))
            if not want_visible:
                if grants:
                    problems.append(f"{where}: unexpected grants {grants}")
                continue
            if cats != want_cats or cats != policy.categories_for(user, case):
                problems.append(f"{where}: categories {sorted(cats)} != {sorted(want_cats)}")
            if perms != want_perms:
                problems.append(f"{where}: perms {sorted(perms)} != {sorted(want_perms)}")
    return problems


def test_matrix_has_zero_leaks(people, monkeypatch, settings):
    clock = Clock(monkeypatch)
    world = build(people, clock)
    assert len(world.metas) == len(Sector.values) * len(RELATIONS) * VARIANTS
    tables = Tables(STANDING, BY_CONSENT)
    problems = leaks(world, tables)
    assert problems == [], "\n".join(problems[:40])

    # the sweep marks ended referrals EXPIRED; nothing about access changes
    result = svc.referrals_sweep()
    assert result.expired == len(Sector.values) * VARIANTS
    ended = [m for m in world.metas if m.relation == "referral_expired"]
    assert leaks(world, tables, ended, sample_every=1) == []

    # guessed ids: every invisible case is NotFound through case_for, like a missing one
    for key, user in world.users.items():
        for meta in world.metas[::7]:
            if not expected(tables, key, meta)[0]:
                with pytest.raises(NotFound):
                    policy.case_for(user, pk=meta.case.pk)

    # tighten the sector policy: every sector loses one category it could see
    dropped = {sector: sorted(tables.ceiling(sector) - {C.IDENTITY})[0]
               for sector in STANDING}
    tight = Tables({s: cats - {dropped[s]} for s, cats in STANDING.items()},
                   {s: cats - {dropped[s]} for s, cats in BY_CONSENT.items()})
    settings.BRIDGEWAY_SECTOR_CATEGORIES = {
        s: {"standing": sorted(tight.standing[s]),
            "by_consent": sorted(tight.by_consent.get(s, frozenset()))} for s in STANDING}
    problems = leaks(world, tight)
    assert problems == [], "\n".join(problems[:40])
