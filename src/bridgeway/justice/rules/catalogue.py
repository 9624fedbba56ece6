"""The justice safeguard rules, one function each.

Each docstring is the description users read next to an alert: it says
what the rule checks, where the figure comes from and exactly where the
boundary lies. Shared boundary semantics (implemented once, in the engine):

* A deadline is met by an act at or before ``due_at``: at exactly 24h00
  after an arrest the appearance is on time; one minute (or one second)
  later it is late.
* Before ``due_at`` an unmet deadline is *pending*. Once ``now`` is past
  ``due_at`` and it is still unmet it is *overdue* and a violation dated
  ``due_at`` and still ongoing; met late, it is a past violation from
  ``due_at`` to the act.
* Durations are exact elapsed time in UTC (``days`` = 24-hour days).
* The rule set that applies is the one in force when the event that starts
  the deadline happened.
* Child-specific rules apply when the person was a child (under the age of
  majority, lowest plausible age, or age unknown) when the event happened
  or the detention began.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from .engine import COURT_ORDERED, Context, Spell
from .params import NoRuleSetInForce
from .registry import Breach, Obligation, Severity, rule
from .timeline import (
    APPEARANCE_KINDS,
    PROCEEDING_KINDS,
    DetentionEpisode,
    EpisodeKind,
    EventKind,
    JusticeEvent,
    Subject,
)

Found = Iterator[Obligation | Breach]
_TICK = timedelta(microseconds=1)
_CRIMINAL_DETENTION = frozenset({EpisodeKind.PRETRIAL, EpisodeKind.SENTENCE})


def _earliest(*candidates: tuple[datetime, str] | None) -> tuple[datetime | None, str]:
    present = [c for c in candidates if c is not None]
    if not present:
        return None, ""
    at, by = min(present)
    return at, by


def _event_at(e: JusticeEvent | None, note: str = "") -> tuple[datetime, str] | None:
    if e is None:
        return None
    return e.at, f"{e.subject}{note}"


def _pretrial_end(pretrial: Iterable[DetentionEpisode]) -> datetime | None:
    """End of the pretrial part of a spell; None while any of it is open."""
    ends = [e.released_at for e in pretrial]
    if not ends or any(end is None for end in ends):
        return None
    return max(e for e in ends if e is not None)


def _initial_detention(spell: Spell, first_pretrial: DetentionEpisode) -> datetime:
    """Start of the detention that led into pretrial: the spell start,
    unless the child was serving a sentence in the same spell, in which
    case the clock starts after that sentence."""
    run_start: datetime | None = None
    for ep in spell.episodes:
        if ep is first_pretrial:
            break
        if ep.kind is EpisodeKind.SENTENCE:
            run_start = None
        elif run_start is None:
            run_start = ep.admitted_at
    return run_start or first_pretrial.admitted_at


def _arrests_by_spell(ctx: Context) -> dict[int, list[JusticeEvent]]:
    found: dict[int, list[JusticeEvent]] = {}
    for arrest in ctx.of_kind(EventKind.ARREST):
        spell = ctx.spell_started_by(arrest.at)
        if spell is not None:
            found.setdefault(id(spell), []).append(arrest)
    return found


# ------------------------------------------------------------------ deadlines


@rule(
    code="appearance_overdue",
    deadline="appearance_due",
    title="Not brought before a competent authority in time",
    deadline_title="Appearance before a competent authority",
    citation="CRC art. 37(d); GC24 para 90; Beijing Rule 10.2",
    severity=Severity.HIGH,
)
def appearance(ctx: Context) -> Found:
    """A child arrested or deprived of liberty is brought before a competent
    authority within ``max_hours_to_appearance`` hours (default 24).

    The clock starts at each recorded arrest, and at the start of a
    deprivation of liberty that no arrest led to (no arrest at or up to
    ``continuity_gap_hours`` before it), unless it began with a
    court-ordered pretrial or sentence episode. It stops at the first
    ``first_appearance`` or ``hearing`` event at or after the start, at
    admission to a court-ordered episode in the same spell, or at release
    (a ``release`` event or the end of the spell). Appearance at exactly
    24h00 is on time; at 24h01 the violation runs from 24h00.
    """
    starts: list[tuple[datetime, Subject, Spell | None]] = []
    covered: set[int] = set()
    for arrest in ctx.of_kind(EventKind.ARREST):
        started = ctx.spell_started_by(arrest.at)
        if started is not None:
            covered.add(id(started))
        starts.append((arrest.at, arrest.subject, started or ctx.spell_of_arrest(arrest.at)))
    for unannounced in ctx.spells:
        if id(unannounced) not in covered and unannounced.first.kind not in COURT_ORDERED:
            starts.append((unannounced.start, unannounced.first.subject, unannounced))
    for start, subject, spell in starts:
        if not ctx.is_child_at(start):
            continue
        hours = ctx.rules_at(start).max_hours_to_appearance
        court: tuple[datetime, str] | None = None
        spell_end: tuple[datetime, str] | None = None
        if spell is not None:
            court = next(
                (
                    (ep.admitted_at, f"{ep.subject} (court-ordered)")
                    for ep in spell.episodes
                    if ep.kind in COURT_ORDERED and ep.admitted_at >= start
                ),
                None,
            )
            spell_end = (spell.end, "released") if spell.end is not None else None
        met_at, met_by = _earliest(
            _event_at(ctx.first_event(APPEARANCE_KINDS, at_or_after=start)),
            _event_at(ctx.first_event((EventKind.RELEASE,), at_or_after=start), " (release)"),
            court,
            spell_end,
        )
        yield Obligation(
            subject=subject,
            starts_at=start,
            due_at=start + timedelta(hours=hours),
            description=f"Before a competent authority within {hours} hours",
            met_at=met_at,
            met_by=met_by,
        )


@rule(
    code="charge_overdue",
    deadline="charge_due",
    title="Not formally charged in time while in pretrial detention",
    deadline_title="Formal charge",
    citation="CRC art. 40(2)(b)(ii); GC24 para 90",
    severity=Severity.HIGH,
)
def charge(ctx: Context) -> Found:
    """A child in pretrial detention is formally charged within
    ``days_to_charge`` days (default 30) of the pretrial detention taking
    effect (admission to the first pretrial episode of the spell).

    A ``charge`` or ``judgment`` event counts if it was recorded after the
    end of the child's previous deprivation of liberty (so a charge in an
    earlier, closed matter does not silence a new detention), including
    before the pretrial admission. The end of pretrial detention (release
    or a change to another legal basis) also discharges it. A charge at
    exactly 30 days is on time.
    """
    for spell in ctx.spells:
        pretrial = spell.pretrial()
        if not pretrial:
            continue
        start = pretrial[0].admitted_at
        if not ctx.is_child_at(start):
            continue
        days = ctx.rules_at(start).days_to_charge
        previous_end = ctx.previous_spell_end(spell)
        lower = datetime.min.replace(tzinfo=UTC) if previous_end is None else previous_end + _TICK
        end = _pretrial_end(pretrial)
        met_at, met_by = _earliest(
            _event_at(ctx.first_event((EventKind.CHARGE, EventKind.JUDGMENT), at_or_after=lower)),
            (end, "pretrial detention ended") if end is not None else None,
        )
        yield Obligation(
            subject=pretrial[0].subject,
            starts_at=start,
            due_at=start + timedelta(days=days),
            description=f"Formally charged within {days} days of pretrial detention",
            met_at=met_at,
            met_by=met_by,
        )


@rule(
    code="pretrial_beyond_limit",
    deadline="pretrial_limit",
    title="Pretrial detention beyond the maximum",
    deadline_title="Final decision or release",
    citation="CRC art. 37(b); GC24 para 90",
    severity=Severity.CRITICAL,
)
def pretrial_limit(ctx: Context) -> Found:
    """A final decision is reached within ``max_pretrial_days`` days
    (default 180, i.e. six months) of the initial detention, failing which
    the child is released.

    The clock starts at the beginning of the continuous deprivation of
    liberty that led into pretrial detention (police custody and transfers
    included, a sentence served before it excluded). It stops at the first
    ``judgment`` event or when pretrial detention ends. Day 180 exactly is
    within the limit; one minute later the child is held beyond it.
    """
    for spell in ctx.spells:
        pretrial = spell.pretrial()
        if not pretrial:
            continue
        start = _initial_detention(spell, pretrial[0])
        if not ctx.is_child_at(start):
            continue
        days = ctx.rules_at(start).max_pretrial_days
        end = _pretrial_end(pretrial)
        met_at, met_by = _earliest(
            _event_at(ctx.first_event((EventKind.JUDGMENT,), at_or_after=start)),
            (end, "pretrial detention ended") if end is not None else None,
        )
        yield Obligation(
            subject=pretrial[0].subject,
            starts_at=start,
            due_at=start + timedelta(days=days),
            description=f"Final decision or release within {days} days of the initial detention",
            met_at=met_at,
            met_by=met_by,
        )


@rule(
    code="pretrial_review_overdue",
    deadline="pretrial_review_due",
    title="Legality of pretrial detention not reviewed in time",
    deadline_title="Review of pretrial detention",
    citation="CRC art. 37(d); GC24 para 90",
    severity=Severity.HIGH,
)
def pretrial_review(ctx: Context) -> Found:
    """The legality of pretrial detention is reviewed at least every
    ``pretrial_review_days`` days (default 14, "preferably every two
    weeks").

    The first review is due that many days after admission to pretrial
    detention, each next one that many days after the previous review. A
    review is an event marked ``reviews_detention`` (by default a first
    appearance or a pretrial-measure order; a hearing when so marked)
    strictly after the previous one, while pretrial detention lasts. The
    end of pretrial detention discharges the pending review. The interval
    is the one in force when it started. A review at exactly 14 days is
    on time.
    """
    for spell in ctx.spells:
        pretrial = spell.pretrial()
        if not pretrial:
            continue
        base = pretrial[0].admitted_at
        if not ctx.is_child_at(base):
            continue
        end = _pretrial_end(pretrial)
        reviews = [e for e in ctx.events if e.reviews_detention and (end is None or e.at <= end)]
        while True:
            days = ctx.rules_at(base).pretrial_review_days
            review = next((e for e in reviews if e.at > base), None)
            met_at, met_by = _earliest(
                _event_at(review),
                (end, "pretrial detention ended") if end is not None else None,
            )
            yield Obligation(
                subject=pretrial[0].subject,
                starts_at=base,
                due_at=base + timedelta(days=days),
                description=f"Pretrial detention reviewed within {days} days",
                met_at=met_at,
                met_by=met_by,
            )
            # The chain goes on only from a review made while still detained.
            if (
                review is None
                or met_by != str(review.subject)
                or (end is not None and review.at >= end)
            ):
                break
            base = review.at


@rule(
    code="no_legal_counsel",
    deadline="legal_counsel_due",
    title="No prompt access to legal assistance in detention",
    deadline_title="Access to legal assistance",
    citation="CRC art. 37(d), 40(2)(b)(ii); GC24 paras 49-53",
    severity=Severity.HIGH,
)
def legal_counsel(ctx: Context) -> Found:
    """A child deprived of liberty has access to legal assistance within
    ``legal_counsel_access_hours`` hours (configurable default 24, for
    "prompt access") of the start of the deprivation of liberty.

    One deadline per continuous deprivation of liberty: access recorded on
    any of its episodes counts, and release discharges it. Access at
    exactly 24h00 is on time.
    """
    for spell in ctx.spells:
        if not ctx.is_child_at(spell.start):
            continue
        hours = ctx.rules_at(spell.start).legal_counsel_access_hours
        accesses = [
            (ep.legal_counsel_access_at, str(ep.subject))
            for ep in spell.episodes
            if ep.legal_counsel_access_at is not None
        ]
        met_at, met_by = _earliest(
            min(accesses) if accesses else None,
            (spell.end, "released") if spell.end is not None else None,
        )
        yield Obligation(
            subject=spell.first.subject,
            starts_at=spell.start,
            due_at=spell.start + timedelta(hours=hours),
            description=f"Access to legal assistance within {hours} hours",
            met_at=met_at,
            met_by=met_by,
        )


@rule(
    code="parent_not_notified",
    deadline="parent_notification_due",
    title="Parents not notified of the arrest without delay",
    deadline_title="Notification of parents (arrest)",
    citation="CRC art. 40(2)(b)(ii); Beijing Rule 10.1",
    severity=Severity.HIGH,
)
def parent_notification(ctx: Context) -> Found:
    """The parents or guardian of an arrested child are notified within
    ``parent_notification_hours`` hours (configurable default 24, for
    "immediately" / "without delay") of the arrest.

    ``parent_notified_at`` on the arrest counts, and so does the family
    notification recorded on the first detention episode that the arrest
    led to. Release does not discharge it. Notification at exactly 24h00 is
    on time.
    """
    for arrest in ctx.of_kind(EventKind.ARREST):
        if not ctx.is_child_at(arrest.at):
            continue
        hours = ctx.rules_at(arrest.at).parent_notification_hours
        spell = ctx.spell_started_by(arrest.at)
        from_episode = None
        if spell is not None and spell.first.family_notified_at is not None:
            from_episode = (spell.first.family_notified_at, str(spell.first.subject))
        met_at, met_by = _earliest(
            (arrest.parent_notified_at, str(arrest.subject))
            if arrest.parent_notified_at is not None
            else None,
            from_episode,
        )
        yield Obligation(
            subject=arrest.subject,
            starts_at=arrest.at,
            due_at=arrest.at + timedelta(hours=hours),
            description=f"Parents notified within {hours} hours of the arrest",
            met_at=met_at,
            met_by=met_by,
        )


@rule(
    code="family_not_notified",
    deadline="family_notification_due",
    title="Family not informed of admission or transfer without delay",
    deadline_title="Notification of family (admission or transfer)",
    citation="CRC art. 37(c); Havana Rules 21-22",
    severity=Severity.HIGH,
)
def family_notification(ctx: Context) -> Found:
    """Parents, guardian or closest relative are informed of each admission
    and transfer (each detention episode) within
    ``parent_notification_hours`` hours of admission.

    For the first episode of a deprivation of liberty, a parent
    notification recorded on the arrest that led to it also counts.
    Release does not discharge it. At exactly 24h00 it is on time.
    """
    arrests = _arrests_by_spell(ctx)
    for spell in ctx.spells:
        for ep in spell.episodes:
            if not ctx.is_child_at(ep.admitted_at):
                continue
            hours = ctx.rules_at(ep.admitted_at).parent_notification_hours
            candidates: list[tuple[datetime, str] | None] = [
                (ep.family_notified_at, str(ep.subject)) if ep.family_notified_at else None
            ]
            if ep is spell.first:
                candidates += [
                    (a.parent_notified_at, str(a.subject))
                    for a in arrests.get(id(spell), ())
                    if a.parent_notified_at is not None
                ]
            met_at, met_by = _earliest(*candidates)
            yield Obligation(
                subject=ep.subject,
                starts_at=ep.admitted_at,
                due_at=ep.admitted_at + timedelta(hours=hours),
                description=f"Family informed within {hours} hours of admission",
                met_at=met_at,
                met_by=met_by,
            )


# ------------------------------------------------------------- conditions


def _child_episodes(ctx: Context) -> Iterator[DetentionEpisode]:
    return (ep for ep in ctx.episodes if ctx.is_child_at(ep.admitted_at))


@rule(
    code="no_last_resort_justification",
    title="Deprivation of liberty without a last-resort justification",
    citation="CRC art. 37(b); GC24 part on deprivation of liberty; GA 79/188 para 3",
    severity=Severity.HIGH,
)
def last_resort(ctx: Context) -> Found:
    """Every detention episode of a child, police custody included, records
    why it was a measure of last resort: a justification and at least one
    alternative considered. Missing either is a violation for the whole
    episode (from admission to release, ongoing while held).
    """
    for ep in _child_episodes(ctx):
        missing = []
        if not ep.last_resort_justification.strip():
            missing.append("no justification")
        if not any(a.strip() for a in ep.alternatives_considered):
            missing.append("no alternatives considered")
        if missing:
            yield Breach(
                subject=ep.subject,
                since=ep.admitted_at,
                until=ep.released_at,
                detail=f"{ep.kind.value} episode with " + " and ".join(missing),
            )


@rule(
    code="no_commitment_order",
    title="Detention without a commitment order",
    citation="Havana Rules 20-21",
    severity=Severity.HIGH,
)
def commitment_order(ctx: Context) -> Found:
    """No child is received in a detention facility without a valid
    commitment order: every episode, of any kind, records the order's
    reference (for police custody, the custody order or record the child is
    held under). The register refuses new episodes without one; this flags
    entries recorded before that, for the whole episode.
    """
    for ep in _child_episodes(ctx):
        if not ep.commitment_order_ref.strip():
            yield Breach(
                subject=ep.subject,
                since=ep.admitted_at,
                until=ep.released_at,
                detail=f"{ep.kind.value} episode without a commitment order reference",
            )


@rule(
    code="held_with_adults",
    title="Held with adults",
    citation="CRC art. 37(c); GC24 para 92; Havana Rule 29",
    severity=Severity.CRITICAL,
)
def held_with_adults(ctx: Context) -> Found:
    """A child deprived of liberty is separated from adults, unless it is
    in the child's best interests not to be. An episode recorded as not
    separated is a violation unless a best-interests reason is recorded
    (``not_separated_reason``). Whole episode.
    """
    for ep in _child_episodes(ctx):
        if ep.separated_from_adults is False and not ep.not_separated_reason.strip():
            yield Breach(
                subject=ep.subject,
                since=ep.admitted_at,
                until=ep.released_at,
                detail=f"{ep.kind.value} episode not separated from adults, no best-interests reason",
            )


@rule(
    code="separation_not_recorded",
    title="Separation from adults not recorded",
    citation="CRC art. 37(c); Havana Rule 21",
    severity=Severity.MEDIUM,
)
def separation_not_recorded(ctx: Context) -> Found:
    """The detention register does not say whether the child is separated
    from adults (``separated_from_adults`` unknown), so the safeguard
    cannot be shown to be respected. Whole episode.
    """
    for ep in _child_episodes(ctx):
        if ep.separated_from_adults is None:
            yield Breach(
                subject=ep.subject,
                since=ep.admitted_at,
                until=ep.released_at,
                detail=f"{ep.kind.value} episode: separation from adults not recorded",
            )


@rule(
    code="detained_while_age_assessment_pending",
    title="Detained while an age assessment is pending",
    citation="CRC General Comment 6 para 31; STANDARDS 'Who is a child'",
    severity=Severity.CRITICAL,
)
def detained_pending_age(ctx: Context) -> Found:
    """No detention while awaiting an age assessment: the person is treated
    as a child while it is pending.

    With ``assessment_requested_at`` the violation covers the overlap of
    each episode with the pending period (from the request to ``now``).
    Without it the pending period is unknown and every episode is flagged
    from admission, so that the alert cannot disappear as time passes; the
    detail says the request date is missing. Applies whatever the recorded
    age, since the age itself is in doubt.
    """
    pending, requested = ctx.age_pending_since()
    if not pending:
        return
    for ep in ctx.episodes:
        if requested is None:
            yield Breach(
                subject=ep.subject,
                since=ep.admitted_at,
                until=ep.released_at,
                detail="detained while an age assessment is pending (request date not recorded)",
            )
        elif ep.released_at is None or ep.released_at > requested:
            yield Breach(
                subject=ep.subject,
                since=max(ep.admitted_at, requested),
                until=ep.released_at,
                detail="detained while an age assessment is pending",
            )


def _macr_for(ctx: Context, event: JusticeEvent, offence_day: datetime | None) -> int:
    """The MACR that applies: the higher of the rule in force at the event
    and at the alleged offence (the more favourable law applies to the child)."""
    macr = ctx.rules_at(event.at).macr_years
    if offence_day is not None:
        with contextlib.suppress(NoRuleSetInForce):
            macr = max(macr, ctx.rules_at(offence_day).macr_years)
    return macr


@rule(
    code="below_macr_treated_as_responsible",
    title="Child below the minimum age of criminal responsibility treated as responsible",
    citation="CRC art. 40(3)(a); GC24 paras 20-22, 33-34",
    severity=Severity.CRITICAL,
)
def below_macr(ctx: Context) -> Found:
    """An event that treats the child as criminally responsible (by default
    a charge, judgment or sentence) when the child's *lowest* plausible age
    on the day of the alleged offence (else the event day) is below the
    MACR. The MACR is the higher of the one in force at the event and at the
    offence. On the 14th birthday the child is 14, not below a MACR of 14.
    The violation lasts until the record is corrected.
    """
    if not ctx.age.has_evidence:
        return
    for e in ctx.events:
        if not e.treats_as_criminally_responsible:
            continue
        day = e.at.date()
        offence_start = None
        if e.alleged_offence_on is not None:
            day = min(day, e.alleged_offence_on)
            offence_start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        age = ctx.lowest_age_on(day)
        macr = _macr_for(ctx, e, offence_start)
        if age is not None and age < macr:
            yield Breach(
                subject=e.subject,
                since=e.at,
                detail=f"{e.kind.value}: lowest plausible age {age} on {day.isoformat()}, MACR {macr}",
            )


@rule(
    code="treated_as_responsible_without_age_evidence",
    title="Treated as criminally responsible without proof of age",
    citation="GC24 paras 33-34; CRC General Comment 6 para 31",
    severity=Severity.HIGH,
)
def responsible_without_age(ctx: Context) -> Found:
    """An event that treats the child as criminally responsible while the
    record holds neither a date of birth nor an assessed minimum age: it
    cannot be shown that the child was at or above the MACR, and without
    that the child is not to be held criminally responsible.
    """
    if ctx.age.has_evidence:
        return
    for e in ctx.events:
        if e.treats_as_criminally_responsible:
            yield Breach(
                subject=e.subject,
                since=e.at,
                detail=f"{e.kind.value} with no date of birth or age assessment on record",
            )


@rule(
    code="below_macr_in_criminal_detention",
    title="Child below the MACR in pretrial detention or serving a sentence",
    citation="CRC art. 37(b), 40(3)(a); GC24 para 22",
    severity=Severity.CRITICAL,
)
def below_macr_detained(ctx: Context) -> Found:
    """A pretrial or sentence episode (detention that presupposes criminal
    responsibility) of a child whose lowest plausible age at admission is
    below the MACR in force then. Age at admission is never lower than at
    the alleged offence, so this never flags a child who was old enough.
    Police custody is not included. Whole episode.
    """
    if not ctx.age.has_evidence:
        return
    for ep in ctx.episodes:
        if ep.kind not in _CRIMINAL_DETENTION:
            continue
        age = ctx.lowest_age_on(ep.admitted_at.date())
        macr = ctx.rules_at(ep.admitted_at).macr_years
        if age is not None and age < macr:
            yield Breach(
                subject=ep.subject,
                since=ep.admitted_at,
                until=ep.released_at,
                detail=f"{ep.kind.value} at lowest plausible age {age}, MACR {macr}",
            )


@rule(
    code="unrepresented_at_proceeding",
    title="No legal assistance at a proceeding",
    citation="CRC art. 40(2)(b)(ii)-(iii); GC24 paras 49-53",
    severity=Severity.HIGH,
)
def unrepresented(ctx: Context) -> Found:
    """A child appears before an authority (first appearance, hearing,
    pretrial measure, judgment, sentence, appeal) recorded as without legal
    or other appropriate assistance (``legal_representation_present`` is
    False). Unknown (None) is not flagged. A point-in-time violation: since
    and until are the event.
    """
    for e in ctx.events:
        if (
            e.kind in PROCEEDING_KINDS
            and e.legal_representation_present is False
            and ctx.is_child_at(e.at)
        ):
            yield Breach(
                subject=e.subject,
                since=e.at,
                until=e.at,
                detail=f"{e.kind.value} without legal assistance",
            )
