"""Property-based tests of the rules engine (hypothesis): random but valid
timelines never give contradictory answers, the answer does not depend on
input order, deadlines only move forward as events are added, and a
violation once seen is never retracted as time passes."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridgeway.justice.rules import (
    DEFAULTS,
    RULES,
    AgeRecord,
    DeadlineStatus,
    DetentionEpisode,
    EpisodeKind,
    Evaluation,
    EventKind,
    JusticeEvent,
    RuleHistory,
    RuleSet,
    Timeline,
    evaluate,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_MINUTES = 400 * 24 * 60

common = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150)


def minutes(low: int, high: int) -> st.SearchStrategy[timedelta]:
    return st.integers(low, high).map(lambda m: timedelta(minutes=m))


def maybe_after(
    at: datetime, high_minutes: int = 3 * 24 * 60
) -> st.SearchStrategy[datetime | None]:
    return st.one_of(st.none(), minutes(-120, high_minutes).map(lambda d: at + d))


@st.composite
def events(draw: st.DrawFn, max_size: int = 12) -> tuple[JusticeEvent, ...]:
    out = []
    for i in range(draw(st.integers(0, max_size))):
        at = T0 + draw(minutes(0, SPAN_MINUTES))
        back = draw(st.one_of(st.none(), st.integers(0, 400)))
        out.append(
            JusticeEvent(
                id=f"ev{i}",
                kind=draw(st.sampled_from(EventKind)),
                at=at,
                treats_as_criminally_responsible=draw(st.sampled_from([None, None, True, False])),
                legal_representation_present=draw(st.sampled_from([None, True, False])),
                parent_notified_at=draw(maybe_after(at)),
                reviews_detention=draw(st.sampled_from([None, None, True, False])),
                alleged_offence_on=None if back is None else (at - timedelta(days=back)).date(),
            )
        )
    return tuple(out)


@st.composite
def episodes(draw: st.DrawFn) -> tuple[DetentionEpisode, ...]:
    """Consecutive stays (a child is in one place at a time); gaps from
    zero (a transfer) to weeks; only the last may still be open."""
    out = []
    t = T0 + draw(minutes(0, 60 * 24 * 60))
    n = draw(st.integers(0, 4))
    for i in range(n):
        admitted = t + draw(
            st.sampled_from([timedelta(0), timedelta(hours=2)]) | minutes(0, 40 * 24 * 60)
        )
        last = i == n - 1
        length = draw(
            st.one_of(st.none(), minutes(0, 220 * 24 * 60)) if last else minutes(0, 220 * 24 * 60)
        )
        released = None if length is None else admitted + length
        out.append(
            DetentionEpisode(
                id=f"ep{i}",
                kind=draw(st.sampled_from(EpisodeKind)),
                admitted_at=admitted,
                released_at=released,
                facility_id=draw(st.sampled_from(["F1", "F2"])),
                commitment_order_ref=draw(st.sampled_from(["", "ORD"])),
                last_resort_justification=draw(st.sampled_from(["", "no alternative was safe"])),
                alternatives_considered=draw(st.sampled_from([(), ("bail",)])),
                separated_from_adults=draw(st.sampled_from([None, True, False])),
                not_separated_reason=draw(st.sampled_from(["", "with mother"])),
                legal_counsel_access_at=draw(maybe_after(admitted)),
                family_notified_at=draw(maybe_after(admitted)),
            )
        )
        t = released if released is not None else admitted
    return tuple(out)


@st.composite
def ages(draw: st.DrawFn) -> AgeRecord:
    dob = draw(
        st.one_of(
            st.none(), st.integers(8 * 365, 20 * 365).map(lambda d: (T0 - timedelta(days=d)).date())
        )
    )
    assessed = draw(st.one_of(st.none(), st.floats(8, 20, allow_nan=False)))
    pending = draw(st.booleans())
    return AgeRecord(
        date_of_birth=dob,
        assessed_min_age_years=assessed,
        assessed_on=None if assessed is None else (T0 + draw(minutes(0, SPAN_MINUTES))).date(),
        assessment_pending=pending,
        assessment_requested_at=draw(
            st.one_of(st.none(), minutes(0, SPAN_MINUTES).map(lambda d: T0 + d))
        ),
    )


@st.composite
def timelines(draw: st.DrawFn) -> Timeline:
    return Timeline(events=draw(events()), episodes=draw(episodes()), age=draw(ages()))


@st.composite
def rule_sets(draw: st.DrawFn, valid_from: datetime) -> RuleSet:
    majority = draw(st.integers(16, 21))
    return replace(
        DEFAULTS,
        valid_from=valid_from,
        macr_years=draw(st.integers(7, majority)),
        max_hours_to_appearance=draw(st.integers(1, 72)),
        pretrial_review_days=draw(st.integers(1, 30)),
        days_to_charge=draw(st.integers(1, 90)),
        max_pretrial_days=draw(st.integers(1, 400)),
        age_of_majority=majority,
        parent_notification_hours=draw(st.integers(1, 72)),
        legal_counsel_access_hours=draw(st.integers(1, 72)),
        continuity_gap_hours=draw(st.integers(1, 72)),
    )


@st.composite
def histories(draw: st.DrawFn, max_sets: int = 3) -> RuleHistory:
    later = draw(st.lists(st.integers(1, 400), max_size=max_sets - 1, unique=True))
    starts = [DEFAULTS.valid_from, *sorted(T0 + timedelta(days=d) for d in later)]
    return RuleHistory(sets=tuple(draw(rule_sets(s)) for s in starts))


nows = minutes(0, 600 * 24 * 60).map(lambda d: T0 + d)


# ------------------------------------------------------------------ checks


def assert_consistent(ev: Evaluation) -> None:
    now = ev.now
    missed = set()
    for d in ev.deadlines:
        assert d.starts_at < d.due_at, "a deadline is due before the event that starts it"
        assert d.rule in RULES and RULES[d.rule].deadline == d.code
        if d.met_at is not None:
            assert d.met_at <= now, "discharged after now"
        expected = (
            (DeadlineStatus.MET if d.met_at <= d.due_at else DeadlineStatus.LATE)
            if d.met_at is not None
            else (DeadlineStatus.PENDING if now <= d.due_at else DeadlineStatus.OVERDUE)
        )
        assert d.status is expected
        if d.status in (DeadlineStatus.LATE, DeadlineStatus.OVERDUE):
            missed.add((d.rule, d.subject, d.due_at, d.met_at))

    from_deadlines = set()
    for v in ev.violations:
        assert v.code in RULES and v.severity is RULES[v.code].severity
        assert v.since <= now, "a violation dated in the future of now"
        assert v.until is None or v.since <= v.until <= now
        if v.deadline:
            from_deadlines.add((v.code, v.subject, v.since, v.until))
    # every missed deadline has its violation, and no met or pending one has any
    assert from_deadlines == missed

    keys = Counter((v.code, v.subject, v.since) for v in ev.violations)
    assert max(keys.values(), default=1) == 1, "duplicate violation"
    keys = Counter((d.code, d.subject, d.starts_at) for d in ev.deadlines)
    assert max(keys.values(), default=1) == 1, "duplicate deadline"

    by_subject: dict[object, set[str]] = {}
    for v in ev.violations:
        by_subject.setdefault(v.subject, set()).add(v.code)
    for codes in by_subject.values():
        assert (
            not {"below_macr_treated_as_responsible", "treated_as_responsible_without_age_evidence"}
            <= codes
        )
        assert not {"held_with_adults", "separation_not_recorded"} <= codes

    assert list(ev.deadlines) == sorted(ev.deadlines, key=lambda d: d.sort_key())
    assert list(ev.violations) == sorted(ev.violations, key=lambda v: v.sort_key())


def open_dues(ev: Evaluation) -> dict[tuple[str, object], datetime]:
    """Earliest still-unmet deadline per (code, subject)."""
    out: dict[tuple[str, object], datetime] = {}
    for d in ev.deadlines:
        if d.met_at is None:
            key = (d.code, d.subject)
            out[key] = min(out.get(key, d.due_at), d.due_at)
    return out


# ------------------------------------------------------------------ properties


@common
@given(timeline=timelines(), rules=histories(), now=nows)
def test_random_timelines_never_give_contradictory_answers(timeline, rules, now):
    assert_consistent(evaluate(timeline, rules, now=now))


@common
@given(timeline=timelines(), rules=histories(), now=nows, data=st.data())
def test_same_input_same_output_whatever_the_order(timeline, rules, now, data):
    first = evaluate(timeline, rules, now=now)
    shuffled = Timeline(
        events=tuple(data.draw(st.permutations(timeline.events))),
        episodes=tuple(data.draw(st.permutations(timeline.episodes))),
        age=timeline.age,
    )
    assert evaluate(timeline, rules, now=now) == first
    assert evaluate(shuffled, rules, now=now) == first


@common
@given(timeline=timelines(), rules=histories(max_sets=1), now=nows)
def test_adding_events_in_time_order_only_moves_deadlines_forward(timeline, rules, now):
    """With one rule set in force (a law that shortens an interval may
    legitimately bring a deadline forward), each event added in time order
    can meet a deadline or add one, never bring an unmet one earlier."""
    ordered = sorted(timeline.events, key=lambda e: (e.at, e.id))
    before = open_dues(evaluate(replace(timeline, events=()), rules, now=now))
    for k in range(1, len(ordered) + 1):
        after = open_dues(evaluate(replace(timeline, events=tuple(ordered[:k])), rules, now=now))
        for key, due in after.items():
            if key in before:
                assert due >= before[key], f"{key} moved from {before[key]} to {due}"
        before = after


@common
@given(timeline=timelines(), earlier=nows, later=nows)
def test_a_violation_is_never_retracted_as_time_passes(timeline, earlier, later):
    """Evaluated later (knowing more), every violation seen earlier is still
    there, dated the same."""
    earlier, later = sorted((earlier, later))
    history = RuleHistory.of(DEFAULTS)
    seen = {
        (v.code, v.subject, v.since) for v in evaluate(timeline, history, now=earlier).violations
    }
    now_seen = {
        (v.code, v.subject, v.since) for v in evaluate(timeline, history, now=later).violations
    }
    assert seen <= now_seen


@common
@given(timeline=timelines(), now=nows)
def test_a_met_deadline_stays_met(timeline, now):
    """With every fact already known, time passing never un-meets a deadline. (A fact
    recorded later may: a re-detention within the continuity gap makes two stays one
    continuous deprivation of liberty, and the release no longer ends it — on purpose, so
    that release-and-re-arrest cannot reset the 24-hour limit.)"""
    facts = [e.at for e in timeline.events]
    for ep in timeline.episodes:
        facts += [ep.admitted_at] + ([ep.released_at] if ep.released_at else [])
    now = max([now, *facts])
    history = RuleHistory.of(DEFAULTS)
    first = evaluate(timeline, history, now=now)
    later = evaluate(timeline, history, now=now + timedelta(days=30))
    met_later = {(d.code, d.subject, d.starts_at) for d in later.deadlines if d.met}
    assert {(d.code, d.subject, d.starts_at) for d in first.deadlines if d.met} <= met_later
