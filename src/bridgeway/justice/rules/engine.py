"""``evaluate()``: run every registered rule over one child's timeline.

Pure and deterministic: no clock, no database, no randomness. ``now`` is
an argument, and the timeline is first cut down to what was known at
``now`` (events after it are ignored, a release or notification after it
has not happened yet), so the same call answers "what is overdue today"
and "what was overdue on 1 March" alike, and nothing can be dated after
``now``.

Derived facts shared by several rules live on ``Context`` (sorted events,
detention spells, age on a date), computed once per child.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .params import RuleHistory, RuleSet
from .registry import (
    RULES,
    Breach,
    Deadline,
    DeadlineStatus,
    Evaluation,
    Obligation,
    Rule,
    Violation,
)
from .timeline import (
    AgeRecord,
    DetentionEpisode,
    EpisodeKind,
    EventKind,
    JusticeEvent,
    Timeline,
    TimelineError,
)

__all__ = ["Context", "Spell", "evaluate"]

#: Episode kinds ordered by a court, so their start shows the child has
#: already been before a competent authority.
COURT_ORDERED = frozenset({EpisodeKind.PRETRIAL, EpisodeKind.SENTENCE})


@dataclass(frozen=True, slots=True)
class Spell:
    """One continuous deprivation of liberty: episodes that follow each
    other with gaps shorter than ``continuity_gap_hours`` (transfers,
    police custody then pretrial …). Clocks that run "from the initial
    detention" start at ``start``."""

    episodes: tuple[DetentionEpisode, ...]
    start: datetime
    end: datetime | None  # None: the child is still held

    @property
    def first(self) -> DetentionEpisode:
        return self.episodes[0]

    def pretrial(self) -> tuple[DetentionEpisode, ...]:
        return tuple(e for e in self.episodes if e.kind is EpisodeKind.PRETRIAL)


class Context:
    """What rules read: the timeline as known at ``now``, plus derived facts."""

    __slots__ = ("_child", "age", "episodes", "events", "now", "rules", "spells")

    def __init__(self, timeline: Timeline, rules: RuleHistory, now: datetime) -> None:
        self.now = now
        self.rules = rules
        self.age: AgeRecord = timeline.age
        self.events: tuple[JusticeEvent, ...] = tuple(
            sorted(
                (_event_as_of(e, now) for e in timeline.events if e.at <= now),
                key=lambda e: (e.at, e.id),
            )
        )
        self.episodes: tuple[DetentionEpisode, ...] = tuple(
            sorted(
                (_episode_as_of(e, now) for e in timeline.episodes if e.admitted_at <= now),
                key=lambda e: (e.admitted_at, e.id),
            )
        )
        self.spells: tuple[Spell, ...] = self._spells()
        self._child: dict[tuple[date, int], bool] = {}

    # -- rules and age -------------------------------------------------------

    def rules_at(self, at: datetime) -> RuleSet:
        return self.rules.in_force(at)

    def lowest_age_on(self, day: date) -> int | None:
        return self.age.lowest_age_on(day)

    def is_child_at(self, at: datetime) -> bool:
        """Under the age of majority at ``at`` on the lowest plausible age.

        No evidence of age means a child: whoever is registered here is
        presumed one until shown otherwise (STANDARDS "Who is a child").
        """
        majority = self.rules_at(at).age_of_majority
        key = (at.date(), majority)
        known = self._child.get(key)
        if known is None:
            age = self.age.lowest_age_on(key[0])
            known = age is None or age < majority
            self._child[key] = known
        return known

    def age_pending_since(self) -> tuple[bool, datetime | None]:
        """(pending at now, requested_at). A request dated after ``now`` is
        not pending yet."""
        return self.age.pending_at(self.now), self.age.assessment_requested_at

    # -- events --------------------------------------------------------------

    def of_kind(self, *kinds: EventKind) -> Iterator[JusticeEvent]:
        return (e for e in self.events if e.kind in kinds)

    def first_event(
        self, kinds: Iterable[EventKind], *, at_or_after: datetime
    ) -> JusticeEvent | None:
        """The earliest event of one of ``kinds`` at or after ``at_or_after``."""
        wanted = frozenset(kinds)
        for e in self.events:
            if e.at >= at_or_after and e.kind in wanted:
                return e
        return None

    # -- detention -----------------------------------------------------------

    def _spells(self) -> tuple[Spell, ...]:
        spells: list[Spell] = []
        group: list[DetentionEpisode] = []
        start = end = _OPEN
        for ep in self.episodes:
            ep_end = ep.released_at or _OPEN
            if group and (end == _OPEN or ep.admitted_at <= end + self._gap(ep.admitted_at)):
                group.append(ep)
                end = max(end, ep_end)
            else:
                if group:
                    spells.append(_spell(group, start, end))
                group, start, end = [ep], ep.admitted_at, ep_end
        if group:
            spells.append(_spell(group, start, end))
        return tuple(spells)

    def _gap(self, at: datetime) -> timedelta:
        return timedelta(hours=self.rules_at(at).continuity_gap_hours)

    def spell_of_arrest(self, at: datetime) -> Spell | None:
        """The spell an arrest at ``at`` belongs to: it began at most
        ``continuity_gap_hours`` after the arrest and had not ended before it
        (an arrest during a detention belongs to that detention)."""
        for spell in self.spells:
            if spell.start - self._gap(spell.start) <= at and (
                spell.end is None or at <= spell.end
            ):
                return spell
        return None

    def spell_started_by(self, at: datetime) -> Spell | None:
        """The spell an arrest at ``at`` led to: one that began at the arrest
        or at most ``continuity_gap_hours`` after it."""
        for spell in self.spells:
            if spell.start - self._gap(spell.start) <= at <= spell.start:
                return spell
        return None

    def previous_spell_end(self, spell: Spell) -> datetime | None:
        index = self.spells.index(spell)
        return self.spells[index - 1].end if index > 0 else None


_OPEN = datetime.max.replace(tzinfo=UTC)


def _spell(group: list[DetentionEpisode], start: datetime, end: datetime) -> Spell:
    return Spell(tuple(group), start, None if end == _OPEN else end)


def _later_than(value: datetime | None, now: datetime) -> bool:
    return value is not None and value > now


def _event_as_of(e: JusticeEvent, now: datetime) -> JusticeEvent:
    if _later_than(e.parent_notified_at, now):
        return dataclasses.replace(e, parent_notified_at=None)
    return e


def _episode_as_of(e: DetentionEpisode, now: datetime) -> DetentionEpisode:
    if not any(
        _later_than(at, now)
        for at in (e.released_at, e.legal_counsel_access_at, e.family_notified_at)
    ):
        return e
    return dataclasses.replace(
        e,
        released_at=None if _later_than(e.released_at, now) else e.released_at,
        legal_counsel_access_at=None
        if _later_than(e.legal_counsel_access_at, now)
        else e.legal_counsel_access_at,
        family_notified_at=None if _later_than(e.family_notified_at, now) else e.family_notified_at,
    )


# --------------------------------------------------------------------- evaluate


def evaluate(
    timeline: Timeline,
    rules: RuleHistory,
    *,
    now: datetime,
    registry: Mapping[str, Rule] | None = None,
) -> Evaluation:
    """Every deadline and violation for one child at ``now``.

    ``registry`` defaults to every registered rule (``RULES``). Raises
    ``TimelineError`` for a naive ``now`` and ``NoRuleSetInForce`` when an
    event predates the jurisdiction's first rule set.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise TimelineError("now must be timezone-aware")
    now = now.astimezone(UTC)
    ctx = Context(timeline, rules, now)
    deadlines: list[Deadline] = []
    violations: list[Violation] = []
    chosen = RULES if registry is None else registry
    for code in sorted(chosen):
        r = chosen[code]
        for found in r.check(ctx):
            if isinstance(found, Obligation):
                deadline = _deadline(r, found, now)
                deadlines.append(deadline)
                missed = _missed(r, deadline)
                if missed is not None:
                    violations.append(missed)
            else:
                violations.append(_violation(r, found))
    deadlines.sort(key=Deadline.sort_key)
    violations.sort(key=Violation.sort_key)
    return Evaluation(now=now, deadlines=tuple(deadlines), violations=tuple(violations))


def _deadline(r: Rule, o: Obligation, now: datetime) -> Deadline:
    if o.met_at is not None:
        status = DeadlineStatus.MET if o.met_at <= o.due_at else DeadlineStatus.LATE
    else:
        status = DeadlineStatus.PENDING if now <= o.due_at else DeadlineStatus.OVERDUE
    return Deadline(
        code=r.deadline,
        rule=r.code,
        subject=o.subject,
        starts_at=o.starts_at,
        due_at=o.due_at,
        description=o.description,
        met_at=o.met_at,
        met_by=o.met_by,
        status=status,
    )


def _missed(r: Rule, d: Deadline) -> Violation | None:
    if d.status is DeadlineStatus.LATE:
        detail = (
            f"{d.description}: due {_fmt(d.due_at)}, done late at {_fmt(d.met_at)} ({d.met_by})"
        )
    elif d.status is DeadlineStatus.OVERDUE:
        detail = f"{d.description}: due {_fmt(d.due_at)}, not done"
    else:
        return None
    return Violation(
        code=r.code,
        subject=d.subject,
        since=d.due_at,
        until=d.met_at,
        detail=detail,
        severity=r.severity,
        deadline=d.code,
    )


def _violation(r: Rule, b: Breach) -> Violation:
    return Violation(
        code=r.code,
        subject=b.subject,
        since=b.since,
        until=b.until,
        detail=b.detail,
        severity=r.severity,
    )


def _fmt(at: datetime | None) -> str:
    return "-" if at is None else at.strftime("%Y-%m-%d %H:%M UTC")
