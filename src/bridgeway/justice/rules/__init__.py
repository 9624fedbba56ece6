"""Justice safeguards rules engine (pure: no Django, no database).

Give it one child's justice timeline, age record and the jurisdiction's
rule history; it returns every deadline and every violation::

    from bridgeway.justice.rules import DEFAULTS, RuleHistory, Timeline, evaluate

    result = evaluate(timeline, RuleHistory.of(DEFAULTS), now=now)

Rules live in ``catalogue`` (one function each, registered with ``@rule``);
``RULES`` lists them for the UI. Boundary semantics are documented there.

Hand-written rather than built on a rules-engine library (business-rules,
durable-rules …): each safeguard is a few lines of date arithmetic over a
sorted timeline, and a rule DSL would add a language to learn without
removing any of that code. Dates use the standard library only; ages in
completed years need one comparison, not python-dateutil.
"""

from . import catalogue as _catalogue  # noqa: F401  (registers the rules)
from .engine import Context, Spell, evaluate
from .params import DEFAULTS, NoRuleSetInForce, RuleHistory, RuleSet, RuleSetError
from .registry import (
    RULES,
    Breach,
    Deadline,
    DeadlineStatus,
    Evaluation,
    Obligation,
    Rule,
    Severity,
    Violation,
    rule,
)
from .timeline import (
    AgeRecord,
    DetentionEpisode,
    EpisodeKind,
    EventKind,
    JusticeEvent,
    Subject,
    Timeline,
    TimelineError,
)

__all__ = [
    "DEFAULTS",
    "RULES",
    "AgeRecord",
    "Breach",
    "Context",
    "Deadline",
    "DeadlineStatus",
    "DetentionEpisode",
    "EpisodeKind",
    "Evaluation",
    "EventKind",
    "JusticeEvent",
    "NoRuleSetInForce",
    "Obligation",
    "Rule",
    "RuleHistory",
    "RuleSet",
    "RuleSetError",
    "Severity",
    "Spell",
    "Subject",
    "Timeline",
    "TimelineError",
    "Violation",
    "evaluate",
    "rule",
]
