"""Builders shared by the rules-engine tests.

``episode()`` and ``arrest()`` default to a record where every safeguard
was respected (justification, alternatives, separation, commitment order,
counsel and family notified at admission), so each test switches off only
the safeguard it is about.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bridgeway.justice.rules import (
    DEFAULTS,
    AgeRecord,
    DetentionEpisode,
    EpisodeKind,
    Evaluation,
    EventKind,
    JusticeEvent,
    RuleHistory,
    Timeline,
    evaluate,
)

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

#: 15 at T0: above the default MACR, below the age of majority.
CHILD = AgeRecord(date_of_birth=date(2009, 6, 15))
HISTORY = RuleHistory.of(DEFAULTS)


def event(id: str, kind: EventKind | str, at: datetime, **kw: Any) -> JusticeEvent:
    return JusticeEvent(id=id, kind=EventKind(kind), at=at, **kw)


def arrest(id: str, at: datetime, **kw: Any) -> JusticeEvent:
    kw.setdefault("parent_notified_at", at)
    return event(id, EventKind.ARREST, at, **kw)


def episode(
    id: str,
    kind: EpisodeKind | str,
    admitted: datetime,
    released: datetime | None = None,
    **kw: Any,
) -> DetentionEpisode:
    defaults: dict[str, Any] = {
        "facility_id": "F1",
        "commitment_order_ref": "ORD-1",
        "last_resort_justification": "risk of flight, no family placement available",
        "alternatives_considered": ("bail", "family supervision"),
        "separated_from_adults": True,
        "legal_counsel_access_at": admitted,
        "family_notified_at": admitted,
    }
    defaults.update(kw)
    return DetentionEpisode(
        id=id, kind=EpisodeKind(kind), admitted_at=admitted, released_at=released, **defaults
    )


def run(
    *items: JusticeEvent | DetentionEpisode,
    now: datetime,
    age: AgeRecord = CHILD,
    rules: RuleHistory = HISTORY,
) -> Evaluation:
    timeline = Timeline(
        events=tuple(i for i in items if isinstance(i, JusticeEvent)),
        episodes=tuple(i for i in items if isinstance(i, DetentionEpisode)),
        age=age,
    )
    return evaluate(timeline, rules, now=now)


def deadlines(ev: Evaluation, code: str) -> list[Any]:
    return [d for d in ev.deadlines if d.code == code]


def violations(ev: Evaluation, code: str) -> list[Any]:
    return [v for v in ev.violations if v.code == code]


def with_rules(**changes: Any) -> RuleHistory:
    return RuleHistory.of(replace(DEFAULTS, **changes))
