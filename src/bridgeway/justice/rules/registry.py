"""The rule registry and the engine's output values.

A rule is one small function registered with ``@rule(...)``: its metadata
(code, title, citation, severity, and for deadline rules the deadline code)
sits on the decorator and its description is its docstring, so the page
that lists the safeguards reads ``RULES`` and a new rule touches nothing
else.

Two shapes of rule:

* a **deadline rule** (``deadline="..."``) yields ``Obligation``s: something
  that must happen by a due time. The engine, not the rule, turns an
  obligation into a ``Deadline`` and, once it is missed, into a
  ``Violation`` — so "a deadline passed without being met becomes a
  violation" is one piece of code for every rule and the two can never
  disagree.
* a **condition rule** yields ``Breach``es: a state of affairs that is a
  violation in itself (detention without a last-resort justification).
"""

from __future__ import annotations

import enum
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeAlias

from .timeline import Subject

if TYPE_CHECKING:
    from .engine import Context

__all__ = [
    "RULES",
    "Breach",
    "Deadline",
    "DeadlineStatus",
    "Evaluation",
    "Obligation",
    "Rule",
    "Severity",
    "Violation",
    "rule",
]


class Severity(enum.StrEnum):
    """How urgently a violation needs a person's attention."""

    CRITICAL = "critical"  # the child should not be where they are, or not be prosecuted
    HIGH = "high"  # a safeguard the law requires is missing
    MEDIUM = "medium"  # the record does not show whether a safeguard was respected

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2}


class DeadlineStatus(enum.StrEnum):
    PENDING = "pending"  # not discharged, not yet due (now <= due_at)
    MET = "met"  # discharged at or before due_at
    LATE = "late"  # discharged, but after due_at: a past violation
    OVERDUE = "overdue"  # not discharged and now > due_at: an ongoing violation


# --------------------------------------------------------------- rule outputs


@dataclass(frozen=True, slots=True)
class Obligation:
    """What a deadline rule yields. ``met_at`` is when it was discharged
    (the required act, or the end of the detention that made it necessary),
    ``met_by`` what discharged it ("event:E3", "released")."""

    subject: Subject
    starts_at: datetime
    due_at: datetime
    description: str
    met_at: datetime | None = None
    met_by: str = ""


@dataclass(frozen=True, slots=True)
class Breach:
    """What a condition rule yields: a violation from ``since`` to ``until``
    (None: still going on)."""

    subject: Subject
    since: datetime
    detail: str
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Deadline:
    """A computed deadline. Boundary: an act at exactly ``due_at`` is on time."""

    code: str
    rule: str
    subject: Subject
    starts_at: datetime
    due_at: datetime
    description: str
    met_at: datetime | None
    met_by: str
    status: DeadlineStatus

    @property
    def met(self) -> bool:
        """Discharged on time."""
        return self.status is DeadlineStatus.MET

    @property
    def is_open(self) -> bool:
        """Still waiting for the act (pending or overdue)."""
        return self.met_at is None

    def sort_key(self) -> tuple[datetime, str, Subject, datetime]:
        return (self.due_at, self.code, self.subject, self.starts_at)


@dataclass(frozen=True, slots=True)
class Violation:
    """A safeguard not respected, from ``since`` to ``until`` (None: ongoing).

    For a missed deadline ``since`` is the deadline itself: the violation
    covers every moment strictly after it. ``deadline`` names the deadline
    code when the violation comes from one.
    """

    code: str
    subject: Subject
    since: datetime
    until: datetime | None
    detail: str
    severity: Severity
    deadline: str = ""

    @property
    def ongoing(self) -> bool:
        return self.until is None

    def sort_key(self) -> tuple[datetime, int, str, Subject]:
        return (self.since, self.severity.rank, self.code, self.subject)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything the engine found for one child at ``now``, sorted."""

    now: datetime
    deadlines: tuple[Deadline, ...]
    violations: tuple[Violation, ...]

    @property
    def open_deadlines(self) -> tuple[Deadline, ...]:
        return tuple(d for d in self.deadlines if d.status is DeadlineStatus.PENDING)

    @property
    def ongoing_violations(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.until is None)

    def next_due(self, code: str) -> Deadline | None:
        """The earliest pending deadline with this code, if any."""
        return next((d for d in self.open_deadlines if d.code == code), None)


# ------------------------------------------------------------------- registry

RuleCheck: TypeAlias = Callable[["Context"], Iterable[Obligation | Breach]]

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered safeguard rule (what the UI lists)."""

    code: str
    title: str
    citation: str
    severity: Severity
    description: str
    check: RuleCheck
    deadline: str = ""  # deadline code for deadline rules, '' for condition rules
    deadline_title: str = ""

    @property
    def is_deadline_rule(self) -> bool:
        return bool(self.deadline)


_REGISTRY: dict[str, Rule] = {}

#: Every registered rule by code (read-only view; registration goes through ``@rule``).
RULES: Mapping[str, Rule] = MappingProxyType(_REGISTRY)


def rule(
    *,
    code: str,
    title: str,
    citation: str,
    severity: Severity,
    deadline: str = "",
    deadline_title: str = "",
    registry: dict[str, Rule] | None = None,
) -> Callable[[RuleCheck], RuleCheck]:
    """Register the decorated function as a rule. ``registry`` lets tests
    register into a private dict instead of the global one."""

    target = _REGISTRY if registry is None else registry

    def register(fn: RuleCheck) -> RuleCheck:
        for name, value in (("code", code), ("deadline", deadline)):
            if value and not _CODE.match(value):
                raise ValueError(f"rule {name} {value!r} must be snake_case")
        if code in target:
            raise ValueError(f"rule {code!r} is registered twice")
        doc = inspect.getdoc(fn)
        if not doc:
            raise ValueError(f"rule {code!r} needs a docstring: it is the description users read")
        target[code] = Rule(
            code=code,
            title=title,
            citation=citation,
            severity=Severity(severity),
            description=doc,
            check=fn,
            deadline=deadline,
            deadline_title=deadline_title or title,
        )
        return fn

    return register
