"""Table-driven tests of the justice safeguards rules engine: every rule at
its boundary (exactly on the limit, one minute over), plus the parameters,
age, registry and engine behaviour the rules rely on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bridgeway.justice.rules import (
    DEFAULTS,
    RULES,
    AgeRecord,
    Breach,
    DeadlineStatus,
    EpisodeKind,
    EventKind,
    JusticeEvent,
    NoRuleSetInForce,
    RuleHistory,
    RuleSetError,
    Severity,
    Subject,
    Timeline,
    TimelineError,
    evaluate,
    rule,
)

from .rules_factories import (
    CHILD,
    DAY,
    HISTORY,
    HOUR,
    MINUTE,
    T0,
    arrest,
    deadlines,
    episode,
    event,
    run,
    violations,
    with_rules,
)

PENDING, MET = DeadlineStatus.PENDING, DeadlineStatus.MET
LATE, OVERDUE = DeadlineStatus.LATE, DeadlineStatus.OVERDUE


# ------------------------------------------------------------------ appearance


@pytest.mark.parametrize(
    ("case", "items", "now", "status"),
    [
        (
            "appearance at exactly 24h00",
            [event("f", "first_appearance", T0 + 24 * HOUR)],
            T0 + 30 * DAY,
            MET,
        ),
        (
            "appearance at 24h01",
            [event("f", "first_appearance", T0 + 24 * HOUR + MINUTE)],
            T0 + 30 * DAY,
            LATE,
        ),
        ("a hearing is an appearance", [event("h", "hearing", T0 + 3 * HOUR)], T0 + 30 * DAY, MET),
        ("no appearance, now exactly at 24h00", [], T0 + 24 * HOUR, PENDING),
        ("no appearance, now at 24h01", [], T0 + 24 * HOUR + MINUTE, OVERDUE),
        (
            "released (event) at 23h59",
            [event("r", "release", T0 + 24 * HOUR - MINUTE)],
            T0 + 30 * DAY,
            MET,
        ),
        (
            "appearance before the arrest does not count",
            [event("f", "first_appearance", T0 - HOUR)],
            T0 + 2 * DAY,
            OVERDUE,
        ),
        (
            "appearance after now is not known yet",
            [event("f", "first_appearance", T0 + 3 * DAY)],
            T0 + 2 * DAY,
            OVERDUE,
        ),
    ],
)
def test_appearance_deadline_after_arrest(case, items, now, status):
    ev = run(arrest("a", T0), *items, now=now)
    [d] = deadlines(ev, "appearance_due")
    assert d.status is status, case
    assert d.due_at == T0 + 24 * HOUR
    found = violations(ev, "appearance_overdue")
    if status in (LATE, OVERDUE):
        [v] = found
        assert v.since == T0 + 24 * HOUR
        assert v.until == d.met_at
        assert v.subject == Subject("event", "a")
    else:
        assert found == []


def test_appearance_met_by_court_ordered_pretrial_admission():
    ev = run(
        arrest("a", T0),
        episode("pc", "police_custody", T0, T0 + 20 * HOUR),
        episode("pt", "pretrial", T0 + 20 * HOUR),
        now=T0 + 5 * DAY,
    )
    [d] = deadlines(ev, "appearance_due")
    assert (d.status, d.met_at, d.met_by) == (MET, T0 + 20 * HOUR, "episode:pt (court-ordered)")


def test_appearance_met_by_release_from_custody():
    ev = run(arrest("a", T0), episode("pc", "police_custody", T0, T0 + 6 * HOUR), now=T0 + 5 * DAY)
    [d] = deadlines(ev, "appearance_due")
    assert (d.status, d.met_by) == (MET, "released")


def test_detention_without_arrest_starts_its_own_appearance_clock():
    ev = run(episode("s", "security", T0), now=T0 + 2 * DAY)
    [d] = deadlines(ev, "appearance_due")
    assert (d.subject, d.status) == (Subject("episode", "s"), OVERDUE)
    assert [v.code for v in ev.violations] == ["appearance_overdue"]


def test_an_arrest_just_before_admission_is_one_clock_not_two():
    ev = run(arrest("a", T0), episode("pc", "police_custody", T0 + 2 * HOUR), now=T0 + 2 * HOUR)
    assert [str(d.subject) for d in deadlines(ev, "appearance_due")] == ["event:a"]


def test_court_ordered_detention_needs_no_separate_appearance():
    ev = run(episode("pt", "pretrial", T0), now=T0 + 3 * DAY)
    assert deadlines(ev, "appearance_due") == []


def test_appearance_limit_is_the_rule_in_force_at_the_arrest():
    stricter = replace(DEFAULTS, valid_from=T0 + HOUR, max_hours_to_appearance=12)
    history = RuleHistory.of(DEFAULTS, stricter)
    ev = run(arrest("a", T0), arrest("b", T0 + 2 * HOUR), now=T0 + 3 * HOUR, rules=history)
    due = {str(d.subject): d.due_at for d in deadlines(ev, "appearance_due")}
    assert due == {"event:a": T0 + 24 * HOUR, "event:b": T0 + 14 * HOUR}


def test_no_child_rules_for_an_adult():
    adult = AgeRecord(date_of_birth=date(2000, 1, 1))
    ev = run(
        arrest("a", T0, parent_notified_at=None),
        episode("pc", "police_custody", T0),
        now=T0 + 10 * DAY,
        age=adult,
    )
    assert ev.deadlines == ()
    assert ev.violations == ()


def test_child_who_turns_18_in_detention_keeps_the_safeguards():
    turns_18 = AgeRecord(date_of_birth=date(2007, 3, 2))  # 17 at T0, 18 the next day
    ev = run(episode("pc", "police_custody", T0), now=T0 + 3 * DAY, age=turns_18)
    assert violations(ev, "appearance_overdue")


# --------------------------------------------------------------------- charge


def _pretrial(*items, released=None, now):
    return run(
        arrest("a", T0),
        event("f", "first_appearance", T0 + 10 * HOUR),
        episode("pc", "police_custody", T0, T0 + 10 * HOUR),
        episode("pt", "pretrial", T0 + 10 * HOUR, released),
        *items,
        now=now,
    )


PT = T0 + 10 * HOUR  # pretrial detention takes effect


@pytest.mark.parametrize(
    ("case", "items", "released", "now", "status"),
    [
        (
            "charged at exactly 30 days",
            [event("c", "charge", PT + 30 * DAY)],
            None,
            PT + 40 * DAY,
            MET,
        ),
        (
            "charged at 30 days and a minute",
            [event("c", "charge", PT + 30 * DAY + MINUTE)],
            None,
            PT + 40 * DAY,
            LATE,
        ),
        ("not charged, now at 30 days", [], None, PT + 30 * DAY, PENDING),
        ("not charged, now a minute later", [], None, PT + 30 * DAY + MINUTE, OVERDUE),
        ("released at day 10 uncharged", [], PT + 10 * DAY, PT + 40 * DAY, MET),
        (
            "charged before pretrial took effect",
            [event("c", "charge", T0 + 2 * HOUR)],
            None,
            PT + 40 * DAY,
            MET,
        ),
        (
            "a judgment implies a charge",
            [event("j", "judgment", PT + 20 * DAY)],
            None,
            PT + 40 * DAY,
            MET,
        ),
    ],
)
def test_charge_deadline(case, items, released, now, status):
    ev = _pretrial(*items, released=released, now=now)
    [d] = deadlines(ev, "charge_due")
    assert d.status is status, case
    assert d.due_at == PT + 30 * DAY
    assert bool(violations(ev, "charge_overdue")) is (status in (LATE, OVERDUE))


def test_a_charge_in_an_earlier_closed_matter_does_not_count():
    ev = run(
        event("old", "charge", T0 - 100 * DAY),
        episode("old-pt", "pretrial", T0 - 100 * DAY, T0 - 60 * DAY),
        episode("pt", "pretrial", T0),
        event("f", "first_appearance", T0 - 101 * DAY),
        now=T0 + 31 * DAY,
    )
    by_subject = {str(d.subject): d.status for d in deadlines(ev, "charge_due")}
    assert by_subject == {"episode:old-pt": MET, "episode:pt": OVERDUE}


# ----------------------------------------------------------- maximum pretrial


@pytest.mark.parametrize(
    ("case", "items", "released", "now", "status"),
    [
        (
            "judgment at exactly 180 days",
            [event("j", "judgment", T0 + 180 * DAY)],
            None,
            T0 + 200 * DAY,
            MET,
        ),
        (
            "judgment at 180 days and a minute",
            [event("j", "judgment", T0 + 180 * DAY + MINUTE)],
            None,
            T0 + 200 * DAY,
            LATE,
        ),
        ("released at 180 days and a minute", [], T0 + 180 * DAY + MINUTE, T0 + 200 * DAY, LATE),
        ("still held, now at 180 days", [], None, T0 + 180 * DAY, PENDING),
        ("still held, now a minute later", [], None, T0 + 180 * DAY + MINUTE, OVERDUE),
    ],
)
def test_pretrial_limit_counts_from_the_initial_detention(case, items, released, now, status):
    reviews = [event(f"r{i}", "pretrial_measure", PT + i * 13 * DAY) for i in range(1, 15)]
    ev = _pretrial(*items, *reviews, event("c", "charge", PT + DAY), released=released, now=now)
    [d] = deadlines(ev, "pretrial_limit")
    assert d.starts_at == T0  # police custody start, not pretrial admission
    assert d.status is status, case
    found = violations(ev, "pretrial_beyond_limit")
    assert bool(found) is (status in (LATE, OVERDUE))
    if found:
        assert found[0].severity is Severity.CRITICAL


def test_a_transfer_does_not_restart_the_pretrial_clock():
    ev = run(
        episode("pt1", "pretrial", T0, T0 + 90 * DAY),
        episode("pt2", "pretrial", T0 + 90 * DAY + 3 * HOUR, facility_id="F2"),
        now=T0 + 181 * DAY,
    )
    [d] = deadlines(ev, "pretrial_limit")
    assert (d.starts_at, d.status) == (T0, OVERDUE)


def test_a_release_longer_than_the_gap_starts_a_new_detention():
    ev = run(
        episode("pt1", "pretrial", T0, T0 + 90 * DAY),
        episode("pt2", "pretrial", T0 + 92 * DAY),
        now=T0 + 181 * DAY,
    )
    starts = sorted(d.starts_at for d in deadlines(ev, "pretrial_limit"))
    assert starts == [T0, T0 + 92 * DAY]


def test_a_sentence_served_before_pretrial_is_not_pretrial_time():
    ev = run(
        episode("s", "sentence", T0, T0 + 100 * DAY),
        episode("pt", "pretrial", T0 + 100 * DAY),
        now=T0 + 200 * DAY,
    )
    [d] = deadlines(ev, "pretrial_limit")
    assert d.starts_at == T0 + 100 * DAY
    assert d.status is PENDING


# ------------------------------------------------------------ pretrial review


@pytest.mark.parametrize(
    ("case", "review_at", "status"),
    [
        ("reviewed at exactly 14 days", PT + 14 * DAY, MET),
        ("reviewed at 14 days and a minute", PT + 14 * DAY + MINUTE, LATE),
    ],
)
def test_first_pretrial_review_boundary(case, review_at, status):
    ev = _pretrial(event("r", "pretrial_measure", review_at), now=PT + 20 * DAY)
    first, second = deadlines(ev, "pretrial_review_due")
    assert (first.due_at, first.status) == (PT + 14 * DAY, status), case
    assert (second.starts_at, second.due_at, second.status) == (
        review_at,
        review_at + 14 * DAY,
        PENDING,
    )


def test_review_chain_and_next_review_due():
    ev = _pretrial(
        event("r1", "pretrial_measure", PT + 10 * DAY),
        event("r2", "hearing", PT + 20 * DAY, reviews_detention=True),
        event("r3", "hearing", PT + 25 * DAY),  # a hearing that did not review detention
        now=PT + 40 * DAY,
    )
    chain = [(d.due_at, d.status, d.met_by) for d in deadlines(ev, "pretrial_review_due")]
    assert chain == [
        (PT + 14 * DAY, MET, "event:r1"),
        (PT + 24 * DAY, MET, "event:r2"),
        (PT + 34 * DAY, OVERDUE, ""),
    ]
    [v] = violations(ev, "pretrial_review_overdue")
    assert (v.since, v.until) == (PT + 34 * DAY, None)


def test_release_ends_the_review_chain():
    ev = _pretrial(released=PT + 20 * DAY, now=PT + 100 * DAY)
    [d] = deadlines(ev, "pretrial_review_due")
    assert (d.status, d.met_at, d.met_by) == (LATE, PT + 20 * DAY, "pretrial detention ended")
    [v] = violations(ev, "pretrial_review_overdue")
    assert (v.since, v.until) == (PT + 14 * DAY, PT + 20 * DAY)


def test_review_interval_is_the_rule_in_force_when_it_started():
    weekly = replace(DEFAULTS, valid_from=PT + 5 * DAY, pretrial_review_days=7)
    history = RuleHistory.of(DEFAULTS, weekly)
    ev = run(
        episode("pt", "pretrial", PT),
        event("r1", "pretrial_measure", PT + 10 * DAY),
        now=PT + 12 * DAY,
        rules=history,
    )
    dues = [d.due_at for d in deadlines(ev, "pretrial_review_due")]
    assert dues == [PT + 14 * DAY, PT + 17 * DAY]


# --------------------------------------------- counsel and notifications


@pytest.mark.parametrize(
    ("case", "access", "now", "status"),
    [
        ("counsel at exactly 24h00", T0 + 24 * HOUR, T0 + 5 * DAY, MET),
        ("counsel at 24h01", T0 + 24 * HOUR + MINUTE, T0 + 5 * DAY, LATE),
        ("no counsel, now at 24h00", None, T0 + 24 * HOUR, PENDING),
        ("no counsel, now at 24h01", None, T0 + 24 * HOUR + MINUTE, OVERDUE),
    ],
)
def test_legal_counsel_deadline(case, access, now, status):
    ev = run(episode("pc", "police_custody", T0, legal_counsel_access_at=access), now=now)
    [d] = deadlines(ev, "legal_counsel_due")
    assert d.status is status, case
    assert bool(violations(ev, "no_legal_counsel")) is (status in (LATE, OVERDUE))


def test_counsel_access_on_a_later_episode_of_the_same_detention_counts():
    ev = run(
        episode("pc", "police_custody", T0, T0 + 5 * HOUR, legal_counsel_access_at=None),
        episode("pt", "pretrial", T0 + 5 * HOUR, legal_counsel_access_at=T0 + 6 * HOUR),
        now=T0 + 5 * DAY,
    )
    [d] = deadlines(ev, "legal_counsel_due")
    assert (d.status, d.met_by) == (MET, "episode:pt")


def test_counsel_configurable_limit():
    ev = run(
        episode("pc", "police_custody", T0, legal_counsel_access_at=T0 + 3 * HOUR),
        now=T0 + DAY,
        rules=with_rules(legal_counsel_access_hours=2),
    )
    [d] = deadlines(ev, "legal_counsel_due")
    assert (d.due_at, d.status) == (T0 + 2 * HOUR, LATE)


@pytest.mark.parametrize(
    ("case", "notified", "status"),
    [
        ("parents told at exactly 24h00", T0 + 24 * HOUR, MET),
        ("parents told at 24h01", T0 + 24 * HOUR + MINUTE, LATE),
        ("parents never told", None, OVERDUE),
    ],
)
def test_parent_notification_after_arrest(case, notified, status):
    ev = run(
        arrest("a", T0, parent_notified_at=notified),
        event("r", "release", T0 + HOUR),
        now=T0 + 3 * DAY,
    )
    [d] = deadlines(ev, "parent_notification_due")
    assert d.status is status, case
    assert bool(violations(ev, "parent_not_notified")) is (status in (LATE, OVERDUE))


def test_family_notification_on_the_episode_satisfies_the_arrest_and_back():
    ev = run(
        arrest("a", T0, parent_notified_at=None),
        episode(
            "pc", "police_custody", T0 + HOUR, T0 + 10 * HOUR, family_notified_at=T0 + 2 * HOUR
        ),
        episode("pt", "pretrial", T0 + 10 * HOUR, family_notified_at=None),
        event("f", "first_appearance", T0 + 9 * HOUR),
        now=T0 + 3 * DAY,
    )
    assert [(str(d.subject), d.status) for d in deadlines(ev, "parent_notification_due")] == [
        ("event:a", MET)
    ]
    family = {str(d.subject): d.status for d in deadlines(ev, "family_notification_due")}
    assert family == {
        "episode:pc": MET,
        "episode:pt": OVERDUE,
    }  # a transfer needs its own notification

    ev = run(
        arrest("a", T0, parent_notified_at=T0 + HOUR),
        episode("pc", "police_custody", T0 + HOUR, family_notified_at=None),
        now=T0 + 3 * DAY,
    )
    assert [d.status for d in deadlines(ev, "family_notification_due")] == [MET]


# ------------------------------------------------------------ conditions


@pytest.mark.parametrize(
    ("case", "overrides", "expected"),
    [
        ("all recorded", {}, []),
        ("no justification", {"last_resort_justification": ""}, ["no justification"]),
        ("whitespace only", {"last_resort_justification": "   "}, ["no justification"]),
        ("no alternatives", {"alternatives_considered": ()}, ["no alternatives considered"]),
        ("blank alternatives", {"alternatives_considered": (" ",)}, ["no alternatives considered"]),
    ],
)
def test_last_resort_justification(case, overrides, expected):
    ev = run(
        episode("pc", "police_custody", T0, T0 + 5 * HOUR, **overrides),
        arrest("a", T0),
        now=T0 + DAY,
    )
    found = violations(ev, "no_last_resort_justification")
    assert [m for v in found for m in expected if m in v.detail] == expected, case
    assert len(found) == (1 if expected else 0)
    if found:
        assert (found[0].since, found[0].until) == (T0, T0 + 5 * HOUR)


@pytest.mark.parametrize(
    ("case", "kind", "ref", "flagged"),
    [
        ("police custody without order", "police_custody", "", True),
        ("police custody with its custody record", "police_custody", "POLRES/031", False),
        ("pretrial without order", "pretrial", "", True),
        ("pretrial with order", "pretrial", "ORD-9", False),
        ("administrative without order", "administrative", " ", True),
    ],
)
def test_commitment_order(case, kind, ref, flagged):
    ev = run(episode("e", kind, T0, commitment_order_ref=ref), now=T0 + HOUR)
    assert bool(violations(ev, "no_commitment_order")) is flagged, case


@pytest.mark.parametrize(
    ("case", "separated", "reason", "codes"),
    [
        ("separated", True, "", []),
        ("with adults, no reason", False, "", ["held_with_adults"]),
        (
            "with adults in the child's best interests",
            False,
            "with her mother, by court decision",
            [],
        ),
        ("not recorded", None, "", ["separation_not_recorded"]),
    ],
)
def test_separation_from_adults(case, separated, reason, codes):
    ev = run(
        episode("e", "pretrial", T0, separated_from_adults=separated, not_separated_reason=reason),
        now=T0 + HOUR,
    )
    found = [
        v.code for v in ev.violations if v.code in ("held_with_adults", "separation_not_recorded")
    ]
    assert found == codes, case


@pytest.mark.parametrize(
    ("case", "requested", "released", "now", "since"),
    [
        ("requested before admission", T0 - DAY, None, T0 + DAY, T0),
        ("requested during detention", T0 + 5 * HOUR, None, T0 + DAY, T0 + 5 * HOUR),
        ("released before the request", T0 + 5 * HOUR, T0 + 2 * HOUR, T0 + DAY, None),
        ("request dated after now", T0 + 2 * DAY, None, T0 + DAY, None),
        ("request date unknown", None, T0 + 2 * HOUR, T0 + DAY, T0),
    ],
)
def test_detained_while_age_assessment_pending(case, requested, released, now, since):
    age = AgeRecord(assessment_pending=True, assessment_requested_at=requested)
    ev = run(episode("pt", "pretrial", T0, released), now=now, age=age)
    found = violations(ev, "detained_while_age_assessment_pending")
    assert [v.since for v in found] == ([since] if since else []), case


def test_completed_assessment_no_alert():
    done = AgeRecord(
        assessed_min_age_years=15,
        assessed_on=(T0 - DAY).date(),
        assessment_pending=False,
        assessment_requested_at=T0 - 10 * DAY,
    )
    ev = run(episode("pt", "pretrial", T0), now=T0 + DAY, age=done)
    assert violations(ev, "detained_while_age_assessment_pending") == []


# ------------------------------------------------------------------ MACR

BIRTHDAY_14 = datetime(2025, 6, 15, 10, tzinfo=UTC)  # CHILD-like record born 2011-06-15
YOUNG = AgeRecord(date_of_birth=date(2011, 6, 15))


@pytest.mark.parametrize(
    ("case", "at", "kwargs", "age", "flagged"),
    [
        ("charged the day before the 14th birthday", BIRTHDAY_14 - DAY, {}, YOUNG, True),
        ("charged on the 14th birthday", BIRTHDAY_14, {}, YOUNG, False),
        (
            "charged at 14, offence at 13",
            BIRTHDAY_14 + 30 * DAY,
            {"alleged_offence_on": date(2025, 6, 1)},
            YOUNG,
            True,
        ),
        (
            "offence date after the event is not trusted",
            BIRTHDAY_14 - DAY,
            {"alleged_offence_on": date(2026, 1, 1)},
            YOUNG,
            True,
        ),
        (
            "charge marked as not treating as responsible",
            BIRTHDAY_14 - DAY,
            {"treats_as_criminally_responsible": False},
            YOUNG,
            False,
        ),
        (
            "a hearing marked as treating as responsible",
            BIRTHDAY_14 - DAY,
            {"treats_as_criminally_responsible": True},
            YOUNG,
            True,
        ),
        (
            "DOB says 15, assessment says at least 13: the lower wins",
            T0,
            {},
            AgeRecord(
                date_of_birth=date(2009, 6, 15),
                assessed_min_age_years=13,
                assessed_on=date(2025, 1, 1),
            ),
            True,
        ),
        (
            "assessment says at least 14.5 on the day: not below",
            T0,
            {},
            AgeRecord(assessed_min_age_years=14.5, assessed_on=T0.date()),
            False,
        ),
    ],
)
def test_below_macr_treated_as_responsible(case, at, kwargs, age, flagged):
    kind = "hearing" if "hearing" in case else "charge"
    ev = run(event("c", kind, at, **kwargs), now=at + 40 * DAY, age=age)
    found = violations(ev, "below_macr_treated_as_responsible")
    assert bool(found) is flagged, case
    if found:
        assert (found[0].since, found[0].until, found[0].severity) == (at, None, Severity.CRITICAL)


@pytest.mark.parametrize(("judgment_kind",), [("judgment",), ("sentence",)])
def test_judgment_and_sentence_treat_as_responsible(judgment_kind):
    ev = run(event("j", judgment_kind, BIRTHDAY_14 - DAY), now=BIRTHDAY_14, age=YOUNG)
    assert violations(ev, "below_macr_treated_as_responsible")


@pytest.mark.parametrize(
    ("case", "macr_before", "macr_after", "offence_on", "flagged"),
    [
        ("MACR raised after the offence: the higher applies", 14, 16, date(2025, 5, 1), True),
        ("MACR lowered after the offence: the higher applies", 16, 12, date(2025, 5, 1), True),
        ("MACR lowered, offence date unknown: the rule at the event", 16, 12, None, False),
        ("MACR unchanged and met", 14, 14, date(2025, 5, 1), False),
    ],
)
def test_macr_is_the_more_favourable_of_offence_and_event(
    case, macr_before, macr_after, offence_on, flagged
):
    fifteen = AgeRecord(date_of_birth=date(2010, 1, 1))  # 15 in 2025
    before = replace(DEFAULTS, macr_years=macr_before)
    after = replace(DEFAULTS, valid_from=datetime(2025, 6, 1, tzinfo=UTC), macr_years=macr_after)
    history = RuleHistory.of(before, after)
    charge = event("c", "charge", datetime(2025, 7, 1, tzinfo=UTC), alleged_offence_on=offence_on)
    ev = run(charge, now=datetime(2025, 8, 1, tzinfo=UTC), age=fifteen, rules=history)
    assert bool(violations(ev, "below_macr_treated_as_responsible")) is flagged, case


def test_no_age_evidence_is_its_own_alert_not_a_macr_one():
    ev = run(event("c", "charge", T0), now=T0 + DAY, age=AgeRecord())
    assert [v.code for v in ev.violations] == ["treated_as_responsible_without_age_evidence"]


@pytest.mark.parametrize(
    ("kind", "flagged"),
    [
        ("pretrial", True),
        ("sentence", True),
        ("police_custody", False),
        ("closed_rehabilitation", False),
    ],
)
def test_below_macr_in_criminal_detention(kind, flagged):
    ev = run(episode("e", kind, T0), now=T0 + HOUR, age=YOUNG)  # 13 at T0
    assert bool(violations(ev, "below_macr_in_criminal_detention")) is flagged


@pytest.mark.parametrize(
    ("kind", "present", "flagged"),
    [
        ("hearing", False, True),
        ("first_appearance", False, True),
        ("judgment", False, True),
        ("hearing", None, False),
        ("hearing", True, False),
        ("police_contact", False, False),
    ],
)
def test_unrepresented_at_proceeding(kind, present, flagged):
    ev = run(event("e", kind, T0, legal_representation_present=present), now=T0 + HOUR)
    found = violations(ev, "unrepresented_at_proceeding")
    assert bool(found) is flagged
    if found:
        assert found[0].since == found[0].until == T0


# ---------------------------------------------------------------------- age


@pytest.mark.parametrize(
    ("case", "record", "on", "age"),
    [
        ("no evidence", AgeRecord(), date(2025, 1, 1), None),
        ("day before birthday", AgeRecord(date_of_birth=date(2010, 5, 10)), date(2024, 5, 9), 13),
        ("on birthday", AgeRecord(date_of_birth=date(2010, 5, 10)), date(2024, 5, 10), 14),
        (
            "29 Feb birth, 28 Feb in a common year",
            AgeRecord(date_of_birth=date(2012, 2, 29)),
            date(2026, 2, 28),
            13,
        ),
        ("29 Feb birth, 1 March", AgeRecord(date_of_birth=date(2012, 2, 29)), date(2026, 3, 1), 14),
        (
            "assessment ages with time",
            AgeRecord(assessed_min_age_years=15, assessed_on=date(2024, 1, 1)),
            date(2025, 1, 1),
            16,
        ),
        (
            "fraction not yet a year",
            AgeRecord(assessed_min_age_years=14.5, assessed_on=date(2024, 1, 1)),
            date(2024, 6, 30),
            14,
        ),
        (
            "fraction completes a year",
            AgeRecord(assessed_min_age_years=14.5, assessed_on=date(2024, 1, 1)),
            date(2024, 7, 5),
            15,
        ),
        (
            "the lower of DOB and assessment",
            AgeRecord(
                date_of_birth=date(2005, 1, 1),
                assessed_min_age_years=15,
                assessed_on=date(2024, 1, 1),
            ),
            date(2024, 1, 1),
            15,
        ),
    ],
)
def test_lowest_age_on(case, record, on, age):
    assert record.lowest_age_on(on) == age, case


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"assessed_min_age_years": 15}, "needs assessed_on"),
        ({"assessed_min_age_years": -1, "assessed_on": date(2024, 1, 1)}, "out of range"),
        ({"assessed_min_age_years": True, "assessed_on": date(2024, 1, 1)}, "must be a number"),
        ({"assessment_requested_at": datetime(2024, 1, 1)}, "timezone-aware"),
    ],
)
def test_age_record_rejects_bad_input(kwargs, message):
    with pytest.raises(TimelineError, match=message):
        AgeRecord(**kwargs)


# ----------------------------------------------------------------- rule sets


def test_defaults_are_general_comment_24_figures():
    d = DEFAULTS
    assert (d.macr_years, d.max_hours_to_appearance, d.pretrial_review_days) == (14, 24, 14)
    assert (d.days_to_charge, d.max_pretrial_days, d.age_of_majority) == (30, 180, 18)
    assert d.concerns() == ()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_hours_to_appearance", 0, "max_hours_to_appearance must be greater than zero"),
        ("pretrial_review_days", -14, "pretrial_review_days must be greater than zero"),
        ("days_to_charge", None, "days_to_charge is missing"),
        ("max_pretrial_days", 180.5, "must be a whole number"),
        ("sealing_years", True, "must be a whole number"),
        ("jurisdiction", " ", "jurisdiction is missing"),
        ("valid_from", datetime(2020, 1, 1), "must be timezone-aware"),
        ("macr_years", 19, "above age_of_majority"),
        ("diversion_types", frozenset({""}), "diversion_types"),
    ],
)
def test_ruleset_validation(field, value, message):
    with pytest.raises(RuleSetError, match=message):
        replace(DEFAULTS, **{field: value})


def test_ruleset_validation_lists_every_problem():
    with pytest.raises(RuleSetError) as caught:
        replace(DEFAULTS, days_to_charge=0, max_pretrial_days=None)
    assert len(caught.value.problems) == 2


def test_concerns_name_figures_below_the_standard():
    lax = replace(DEFAULTS, jurisdiction="XX", macr_years=10, max_pretrial_days=365)
    concerns = " ".join(lax.concerns())
    assert "MACR 10" in concerns
    assert "max_pretrial_days 365" in concerns


def test_rule_in_force_boundaries():
    later = replace(DEFAULTS, valid_from=T0, macr_years=16)
    history = RuleHistory.of(later, DEFAULTS)  # order of input does not matter
    assert history.in_force(T0 - MINUTE).macr_years == 14
    assert history.in_force(T0).macr_years == 16


def test_event_before_every_rule_set_is_a_clear_error():
    history = RuleHistory.of(replace(DEFAULTS, valid_from=T0))
    with pytest.raises(NoRuleSetInForce, match="no default rule set is in force"):
        history.in_force(T0 - DAY)


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        ((), "at least one"),
        ((DEFAULTS, replace(DEFAULTS, jurisdiction="XX", valid_from=T0)), "one jurisdiction"),
        ((DEFAULTS, replace(DEFAULTS, macr_years=15)), "same moment"),
    ],
)
def test_rule_history_validation(sets, message):
    with pytest.raises(RuleSetError, match=message):
        RuleHistory(sets=sets)


# ------------------------------------------------------------------- engine


def test_timeline_validation():
    with pytest.raises(TimelineError, match="released before admitted"):
        episode("e", "pretrial", T0, T0 - HOUR)
    with pytest.raises(TimelineError, match="timezone-aware"):
        event("e", "arrest", datetime(2025, 1, 1))
    with pytest.raises(TimelineError, match="unknown kind"):
        JusticeEvent(id="e", kind="interrogation", at=T0)
    with pytest.raises(TimelineError, match="share the id"):
        Timeline(events=(arrest("a", T0), arrest("a", T0 + HOUR)))
    with pytest.raises(TimelineError, match="now must be"):
        evaluate(Timeline(), HISTORY, now=datetime(2025, 1, 1))


def test_hours_are_real_hours_across_a_clock_change():
    paris = ZoneInfo("Europe/Paris")
    night_of_change = datetime(2025, 3, 30, 1, 30, tzinfo=paris)  # clocks go forward at 02:00
    ev = run(arrest("a", night_of_change), now=night_of_change + 2 * DAY)
    [d] = deadlines(ev, "appearance_due")
    assert d.starts_at == datetime(2025, 3, 30, 0, 30, tzinfo=UTC)
    assert d.due_at == datetime(2025, 3, 31, 0, 30, tzinfo=UTC)  # 24 real hours, not wall-clock


def test_facts_after_now_are_not_known_yet():
    ep = episode("pc", "police_custody", T0, T0 + 30 * HOUR, legal_counsel_access_at=T0 + 30 * HOUR)
    ev = run(arrest("a", T0), ep, now=T0 + 25 * HOUR)
    assert {v.code for v in ev.ongoing_violations} >= {"appearance_overdue", "no_legal_counsel"}
    assert all(v.since <= ev.now for v in ev.violations)


def test_output_is_sorted_and_independent_of_input_order():
    items = [
        arrest("a", T0, parent_notified_at=None),
        episode("pc", "police_custody", T0, T0 + 30 * HOUR, last_resort_justification=""),
        episode("pt", "pretrial", T0 + 30 * HOUR, separated_from_adults=False),
        event("c", "charge", T0 + 40 * DAY),
    ]
    forward = run(*items, now=T0 + 60 * DAY)
    backward = run(*reversed(items), now=T0 + 60 * DAY)
    assert forward == backward
    assert list(forward.deadlines) == sorted(forward.deadlines, key=lambda d: d.sort_key())
    assert list(forward.violations) == sorted(forward.violations, key=lambda v: v.sort_key())
    assert forward.next_due("pretrial_review_due") is None  # overdue, not pending
    assert forward.next_due("pretrial_limit").due_at == T0 + 180 * DAY


def test_a_fully_respected_detention_has_no_violations():
    ev = run(
        arrest("a", T0),
        episode("pc", "police_custody", T0, T0 + 12 * HOUR),
        event("f", "first_appearance", T0 + 12 * HOUR, legal_representation_present=True),
        episode("pt", "pretrial", T0 + 12 * HOUR, T0 + 38 * DAY),
        event("c", "charge", T0 + 5 * DAY),
        event("r1", "pretrial_measure", T0 + 12 * DAY),
        event("r2", "pretrial_measure", T0 + 25 * DAY),
        event("j", "judgment", T0 + 38 * DAY, legal_representation_present=True),
        now=T0 + 60 * DAY,
    )
    assert ev.violations == ()
    assert ev.deadlines and all(d.met for d in ev.deadlines)


# ----------------------------------------------------------------- registry

EXPECTED_RULES = {
    "appearance_overdue",
    "charge_overdue",
    "pretrial_beyond_limit",
    "pretrial_review_overdue",
    "no_legal_counsel",
    "parent_not_notified",
    "family_not_notified",
    "no_last_resort_justification",
    "no_commitment_order",
    "held_with_adults",
    "separation_not_recorded",
    "detained_while_age_assessment_pending",
    "below_macr_treated_as_responsible",
    "treated_as_responsible_without_age_evidence",
    "below_macr_in_criminal_detention",
    "unrepresented_at_proceeding",
}


def test_every_rule_is_registered_and_documented():
    assert set(RULES) == EXPECTED_RULES
    for r in RULES.values():
        assert r.title and r.citation and len(r.description) > 60, r.code
    assert len({r.deadline for r in RULES.values() if r.deadline}) == 7


def test_a_new_rule_is_one_registered_function():
    registry: dict = {}

    @rule(
        code="diversion_not_offered",
        title="t",
        citation="GA 79/188 para 3",
        severity=Severity.MEDIUM,
        registry=registry,
    )
    def diversion_not_offered(ctx):
        """Charged without a diversion offer on record (test rule)."""
        if any(e.kind is EventKind.CHARGE for e in ctx.events) and not any(
            e.kind is EventKind.DIVERSION_OFFERED for e in ctx.events
        ):
            yield Breach(subject=Subject("event", "c"), since=T0, detail="no diversion offer")

    ev = evaluate(
        Timeline(events=(event("c", "charge", T0),), age=CHILD),
        HISTORY,
        now=T0 + DAY,
        registry=registry,
    )
    assert [v.code for v in ev.violations] == ["diversion_not_offered"]
    assert "diversion_not_offered" not in RULES


@pytest.mark.parametrize(
    ("code", "doc", "message"),
    [
        ("held_with_adults", "x", "registered twice"),
        ("Bad Code", "x", "snake_case"),
        ("ok_code", None, "docstring"),
    ],
)
def test_registration_errors(code, doc, message):
    registry = dict(RULES)

    def fn(ctx):
        return ()

    fn.__doc__ = doc
    with pytest.raises(ValueError, match=message):
        rule(code=code, title="t", citation="c", severity=Severity.HIGH, registry=registry)(fn)


def test_episode_kinds_and_event_kinds_match_the_issue():
    assert {k.value for k in EpisodeKind} == {
        "police_custody",
        "pretrial",
        "sentence",
        "administrative",
        "immigration",
        "security",
        "closed_rehabilitation",
    }
    assert len(EventKind) == 13
