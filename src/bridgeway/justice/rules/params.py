"""Jurisdiction parameters for the justice safeguards: one ``RuleSet`` per
period of law, several of them in a ``RuleHistory``.

Every figure is a *default* that national law may change (STANDARDS.md:
"national law decides, the software makes the rule visible and computes
the deadlines"). The defaults are those of General Comment 24 (2019); the
three marked *configurable default* in ``DEFAULTS`` have no single
international figure and are ours.

Why a history and not one set: a law that changes on 1 July must not
re-date deadlines that started on 30 June. The rule set that applies to a
deadline is the one in force when the event that starts it happened
(``RuleHistory.in_force``).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

__all__ = [
    "DEFAULTS",
    "NoRuleSetInForce",
    "RuleHistory",
    "RuleSet",
    "RuleSetError",
]

#: Beginning of time for a rule set that has always applied.
ALWAYS = datetime.min.replace(tzinfo=UTC)


class RuleSetError(ValueError):
    """A rule set (or history) that cannot be used: lists every problem."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class NoRuleSetInForce(LookupError):
    """An event predates every rule set of the jurisdiction."""


# Fields that are lengths of time or ages: each must be a positive whole number.
_POSITIVE_INTS = (
    "macr_years",
    "max_hours_to_appearance",
    "pretrial_review_days",
    "days_to_charge",
    "max_pretrial_days",
    "sealing_years",
    "expungement_years",
    "age_of_majority",
    "parent_notification_hours",
    "legal_counsel_access_hours",
    "continuity_gap_hours",
)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The figures of one jurisdiction's law from ``valid_from`` onwards.

    ``parent_notification_hours`` and ``legal_counsel_access_hours`` turn
    "without delay" / "prompt" into a number a deadline can be computed
    from; ``continuity_gap_hours`` says how far apart two detention
    episodes (or an arrest and the admission that follows) may be and still
    count as one continuous deprivation of liberty, so that moving a child
    between facilities does not restart the clocks.
    """

    jurisdiction: str
    valid_from: datetime
    macr_years: int
    max_hours_to_appearance: int
    pretrial_review_days: int
    days_to_charge: int
    max_pretrial_days: int
    sealing_years: int
    expungement_years: int
    age_of_majority: int
    diversion_types: frozenset[str] = field(default_factory=frozenset)
    parent_notification_hours: int = 24
    legal_counsel_access_hours: int = 24
    continuity_gap_hours: int = 24

    def __post_init__(self) -> None:
        # Accept any iterable of names, store a frozenset (hashable, order-free).
        if not isinstance(self.diversion_types, frozenset):
            object.__setattr__(self, "diversion_types", frozenset(self.diversion_types or ()))
        self.validate()
        object.__setattr__(self, "valid_from", self.valid_from.astimezone(UTC))

    def validate(self) -> None:
        """Raise ``RuleSetError`` naming every missing, zero or negative figure.

        A zero review interval would make every pretrial day a violation and
        a negative one would date deadlines before the events that start
        them, so neither is accepted even if a form lets it through.
        """
        problems: list[str] = []
        if not isinstance(self.jurisdiction, str) or not self.jurisdiction.strip():
            problems.append("jurisdiction is missing")
        if not isinstance(self.valid_from, datetime):
            problems.append("valid_from is missing")
        elif self.valid_from.tzinfo is None or self.valid_from.utcoffset() is None:
            problems.append("valid_from must be timezone-aware")
        for name in _POSITIVE_INTS:
            value = getattr(self, name)
            if value is None:
                problems.append(f"{name} is missing")
            elif isinstance(value, bool) or not isinstance(value, int):
                problems.append(f"{name} must be a whole number, got {value!r}")
            elif value <= 0:
                problems.append(f"{name} must be greater than zero, got {value}")
        if not problems and self.macr_years > self.age_of_majority:
            problems.append(
                f"macr_years ({self.macr_years}) is above age_of_majority ({self.age_of_majority})"
            )
        if any(not isinstance(t, str) or not t.strip() for t in self.diversion_types):
            problems.append("diversion_types must be non-empty names")
        if problems:
            raise RuleSetError(problems)

    def concerns(self) -> tuple[str, ...]:
        """Where this jurisdiction's figures fall short of General Comment 24.

        Not errors (national law decides) but worth showing next to the
        parameters, so that the gap is visible to whoever reads the alerts.
        """
        out: list[str] = []
        if self.macr_years < DEFAULTS.macr_years:
            out.append(
                f"MACR {self.macr_years} is below the recommended minimum of 14 (GC24 para 22)"
            )
        for name, unit in (
            ("max_hours_to_appearance", "hours"),
            ("pretrial_review_days", "days"),
            ("days_to_charge", "days"),
            ("max_pretrial_days", "days"),
        ):
            if getattr(self, name) > getattr(DEFAULTS, name):
                out.append(
                    f"{name} {getattr(self, name)} {unit} is longer than "
                    f"the General Comment 24 figure of {getattr(DEFAULTS, name)}"
                )
        if self.age_of_majority < 18:
            out.append("age_of_majority is below 18 (CRC art. 1)")
        return tuple(out)


DEFAULTS = RuleSet(
    jurisdiction="default",
    valid_from=ALWAYS,
    macr_years=14,  # GC24 para 22
    max_hours_to_appearance=24,  # GC24 para 90
    pretrial_review_days=14,  # GC24 para 90: "preferably every two weeks"
    days_to_charge=30,  # GC24 para 90
    max_pretrial_days=180,  # GC24 para 90: final decision within six months
    sealing_years=5,  # configurable default; no international figure
    expungement_years=10,  # configurable default; no international figure
    age_of_majority=18,  # CRC art. 1
    diversion_types=frozenset(
        {"warning", "restorative_justice", "family_group_conference", "community_service"}
    ),
    parent_notification_hours=24,  # configurable default for "without delay"
    legal_counsel_access_hours=24,  # configurable default for "prompt access"
    continuity_gap_hours=24,  # configurable default
)


@dataclass(frozen=True, slots=True)
class RuleHistory:
    """The successive rule sets of one jurisdiction, ordered by ``valid_from``."""

    sets: tuple[RuleSet, ...]
    _starts: tuple[datetime, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sets = tuple(sorted(self.sets, key=lambda s: s.valid_from))
        problems: list[str] = []
        if not sets:
            problems.append("a rule history needs at least one rule set")
        if len({s.jurisdiction for s in sets}) > 1:
            problems.append(
                "a rule history holds one jurisdiction, got "
                + ", ".join(sorted({s.jurisdiction for s in sets}))
            )
        starts = tuple(s.valid_from for s in sets)
        if len(set(starts)) != len(starts):
            problems.append("two rule sets start at the same moment")
        if problems:
            raise RuleSetError(problems)
        object.__setattr__(self, "sets", sets)
        object.__setattr__(self, "_starts", starts)

    @classmethod
    def of(cls, *sets: RuleSet) -> RuleHistory:
        return cls(sets=tuple(sets))

    @property
    def jurisdiction(self) -> str:
        return self.sets[0].jurisdiction

    def in_force(self, at: datetime) -> RuleSet:
        """The rule set in force at ``at``: the latest with ``valid_from <= at``."""
        index = bisect.bisect_right(self._starts, at) - 1
        if index < 0:
            raise NoRuleSetInForce(
                f"no {self.jurisdiction} rule set is in force at {at.isoformat()}; "
                f"the earliest starts {self._starts[0].isoformat()}"
            )
        return self.sets[index]


# RuleSet field names, for adapters that build one from a database row.
RULESET_FIELDS = tuple(f.name for f in fields(RuleSet))
