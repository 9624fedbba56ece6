"""The facts the safeguards engine reads: a child's age record, justice
events and detention episodes (deprivation of liberty), as frozen values.

These are plain dataclasses, not Django models, so that the rules can be
tested and benchmarked without a database; the ``justice`` models convert
to them.

Every datetime must be timezone-aware and is normalised to UTC when the
value is built. That is not cosmetic: Python adds a ``timedelta`` to an
aware datetime in the wall-clock time of its own ``tzinfo``, so "24 hours
after an arrest at 01:30 Europe/Paris on the night the clocks change" would
be 23 or 25 real hours. In UTC, hours are hours.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

__all__ = [
    "AgeRecord",
    "DetentionEpisode",
    "EpisodeKind",
    "EventKind",
    "JusticeEvent",
    "Subject",
    "Timeline",
    "TimelineError",
]


class TimelineError(ValueError):
    """Facts that cannot be evaluated (naive datetimes, release before admission …)."""


def _utc(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TimelineError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise TimelineError(f"{name} must be timezone-aware, got {value.isoformat()}")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True, slots=True, order=True)
class Subject:
    """What a deadline or violation is about: ``event:<id>`` or ``episode:<id>``."""

    kind: str
    id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


# --------------------------------------------------------------------------- age


def _completed_years(born: date, on: date) -> int:
    """Whole years from ``born`` to ``on``.

    Someone born on 29 February has their birthday on 1 March in common
    years: the later of the two candidate days, hence the lower age.
    """
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year: 28 February is the later valid day
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True, slots=True)
class AgeRecord:
    """What is known of a child's age, from which the *lowest* plausible age
    on any day is derived (benefit of the doubt: CRC General Comment 6
    para 31; GC24 para 33; STANDARDS "age for all purposes = min").

    ``assessed_min_age_years`` is the lower end of an assessed range on
    ``assessed_on``; fractions are allowed (14.5). When both a date of
    birth and an assessment exist, the one giving the lower age wins.
    ``assessment_requested_at`` dates the start of a pending assessment;
    without it, the pending period is unknown.
    """

    date_of_birth: date | None = None
    assessed_min_age_years: float | int | None = None
    assessed_on: date | None = None
    assessment_pending: bool = False
    assessment_requested_at: datetime | None = None
    _latest_birth: date | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if isinstance(self.date_of_birth, datetime):
            raise TimelineError("date_of_birth must be a date, not a datetime")
        if self.assessed_min_age_years is not None:
            value = self.assessed_min_age_years
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TimelineError(f"assessed_min_age_years must be a number, got {value!r}")
            if not 0 <= value < 120:
                raise TimelineError(f"assessed_min_age_years out of range: {value}")
            if self.assessed_on is None:
                raise TimelineError("assessed_min_age_years needs assessed_on")
        _set(
            self,
            "assessment_requested_at",
            _utc(self.assessment_requested_at, "assessment_requested_at"),
        )
        _set(self, "_latest_birth", self._compute_latest_birth())

    def _compute_latest_birth(self) -> date | None:
        candidates: list[date] = []
        if self.date_of_birth is not None:
            candidates.append(self.date_of_birth)
        if self.assessed_min_age_years is not None and self.assessed_on is not None:
            whole = int(self.assessed_min_age_years)
            # Subtract only the full days of the fraction, so the implied
            # birth date is the latest possible one (the lowest age).
            days = int((self.assessed_min_age_years - whole) * 365.2425)
            candidates.append(_years_before(self.assessed_on, whole) - timedelta(days=days))
        return max(candidates) if candidates else None

    @property
    def latest_possible_birth(self) -> date | None:
        """The latest birth date consistent with the record (None: no evidence)."""
        return self._latest_birth

    @property
    def has_evidence(self) -> bool:
        return self._latest_birth is not None

    def lowest_age_on(self, day: date) -> int | None:
        """Completed years on ``day`` at the lowest plausible age; None if unknown."""
        if self._latest_birth is None:
            return None
        return _completed_years(self._latest_birth, day)

    def pending_at(self, at: datetime) -> bool:
        """An age assessment is pending at ``at`` (as far as the record tells)."""
        if not self.assessment_pending:
            return False
        return self.assessment_requested_at is None or self.assessment_requested_at <= at


# ------------------------------------------------------------------------ events


class EventKind(enum.StrEnum):
    POLICE_CONTACT = "police_contact"
    ARREST = "arrest"
    FIRST_APPEARANCE = "first_appearance"
    CHARGE = "charge"
    HEARING = "hearing"
    DIVERSION_OFFERED = "diversion_offered"
    DIVERSION_ACCEPTED = "diversion_accepted"
    DIVERSION_COMPLETED = "diversion_completed"
    PRETRIAL_MEASURE = "pretrial_measure"
    JUDGMENT = "judgment"
    SENTENCE = "sentence"
    APPEAL = "appeal"
    RELEASE = "release"


#: Kinds that, unless the record says otherwise, treat the child as
#: criminally responsible (a formal charge, a finding, a penalty).
RESPONSIBILITY_KINDS = frozenset({EventKind.CHARGE, EventKind.JUDGMENT, EventKind.SENTENCE})

#: Kinds that, unless the record says otherwise, examine the legality of
#: detention: the first appearance and an order imposing or continuing a
#: pretrial measure. A hearing counts only when marked ``reviews_detention``.
REVIEW_KINDS = frozenset({EventKind.FIRST_APPEARANCE, EventKind.PRETRIAL_MEASURE})

#: Kinds where the child appears before an authority and must be assisted.
PROCEEDING_KINDS = frozenset(
    {
        EventKind.FIRST_APPEARANCE,
        EventKind.HEARING,
        EventKind.PRETRIAL_MEASURE,
        EventKind.JUDGMENT,
        EventKind.SENTENCE,
        EventKind.APPEAL,
    }
)

#: Kinds that bring a child before a competent authority.
APPEARANCE_KINDS = frozenset({EventKind.FIRST_APPEARANCE, EventKind.HEARING})


@dataclass(frozen=True, slots=True)
class JusticeEvent:
    """One step in the child's contact with the justice system.

    ``treats_as_criminally_responsible`` and ``reviews_detention`` default
    from the kind (None = "as the kind implies"); set them to say otherwise,
    e.g. a hearing that reviewed detention, or a charge later annulled.
    ``alleged_offence_on`` is the date of the alleged offence; the MACR is
    judged at that date when known (CRC art. 40(3)(a): age at the time of
    the offence), else at the event date.
    """

    id: str
    kind: EventKind
    at: datetime
    treats_as_criminally_responsible: bool | None = None
    legal_representation_present: bool | None = None
    parent_notified_at: datetime | None = None
    reviews_detention: bool | None = None
    alleged_offence_on: date | None = None
    diversion_type: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            raise TimelineError("an event needs an id")
        try:
            _set(self, "kind", EventKind(self.kind))
        except ValueError:
            raise TimelineError(f"event {self.id}: unknown kind {self.kind!r}") from None
        _set(self, "at", _utc(self.at, f"event {self.id}: at"))
        _set(
            self,
            "parent_notified_at",
            _utc(self.parent_notified_at, f"event {self.id}: parent_notified_at"),
        )
        if self.treats_as_criminally_responsible is None:
            _set(self, "treats_as_criminally_responsible", self.kind in RESPONSIBILITY_KINDS)
        if self.reviews_detention is None:
            _set(self, "reviews_detention", self.kind in REVIEW_KINDS)

    @property
    def subject(self) -> Subject:
        return Subject("event", self.id)


# ---------------------------------------------------------------------- episodes


class EpisodeKind(enum.StrEnum):
    POLICE_CUSTODY = "police_custody"
    PRETRIAL = "pretrial"
    SENTENCE = "sentence"
    ADMINISTRATIVE = "administrative"
    IMMIGRATION = "immigration"
    SECURITY = "security"
    CLOSED_REHABILITATION = "closed_rehabilitation"


@dataclass(frozen=True, slots=True)
class DetentionEpisode:
    """One entry of the detention register: a stay in one facility on one
    legal basis. ``released_at`` None means the child is still held.

    ``last_resort_justification`` '' means none was recorded;
    ``separated_from_adults`` None means it was not recorded, False with a
    ``not_separated_reason`` means a recorded best-interests exception.
    """

    id: str
    kind: EpisodeKind
    admitted_at: datetime
    facility_id: str = ""
    commitment_order_ref: str = ""
    released_at: datetime | None = None
    last_resort_justification: str = ""
    alternatives_considered: tuple[str, ...] = ()
    separated_from_adults: bool | None = None
    not_separated_reason: str = ""
    legal_counsel_access_at: datetime | None = None
    family_notified_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise TimelineError("an episode needs an id")
        try:
            _set(self, "kind", EpisodeKind(self.kind))
        except ValueError:
            raise TimelineError(f"episode {self.id}: unknown kind {self.kind!r}") from None
        name = f"episode {self.id}"
        _set(self, "admitted_at", _utc(self.admitted_at, f"{name}: admitted_at"))
        _set(self, "released_at", _utc(self.released_at, f"{name}: released_at"))
        _set(
            self,
            "legal_counsel_access_at",
            _utc(self.legal_counsel_access_at, f"{name}: legal_counsel_access_at"),
        )
        _set(
            self, "family_notified_at", _utc(self.family_notified_at, f"{name}: family_notified_at")
        )
        if not isinstance(self.alternatives_considered, tuple):
            _set(self, "alternatives_considered", tuple(self.alternatives_considered))
        if self.released_at is not None and self.released_at < self.admitted_at:
            raise TimelineError(f"{name}: released before admitted")

    @property
    def subject(self) -> Subject:
        return Subject("episode", self.id)


# ---------------------------------------------------------------------- timeline


@dataclass(frozen=True, slots=True)
class Timeline:
    """Everything the engine needs about one child. Order of input does not
    matter: the engine sorts."""

    events: tuple[JusticeEvent, ...] = ()
    episodes: tuple[DetentionEpisode, ...] = ()
    age: AgeRecord = field(default_factory=AgeRecord)

    def __post_init__(self) -> None:
        _set(self, "events", tuple(self.events))
        _set(self, "episodes", tuple(self.episodes))
        _unique((e.id for e in self.events), "event")
        _unique((e.id for e in self.episodes), "episode")


def _unique(ids: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise TimelineError(f"two {what}s share the id {i!r}")
        seen.add(i)
