"""Between the database and the pure safeguards engine (``justice.rules``).

* ``RuleBook``: every jurisdiction's rule history, built once from the (small)
  ``JurisdictionRuleSet`` table and reused for thousands of cases.
* ``timeline_of``: one case's events, episodes and the child's age evidence as the
  engine's frozen values.

Which rules apply to a case: those of its jurisdiction, i.e. the owning agency's country
and region. The history is layered, most specific in force: the international defaults
(General Comment 24, ``rules.DEFAULTS``) until the country's first rule set, the
country's rule sets until the region's first one, then the region's. A region with rules
of its own is therefore unaffected by later changes at country level (its own law
applies); a region without any uses the country's.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from bridgeway.justice import models as m
from bridgeway.justice.rules import (
    DEFAULTS,
    AgeRecord,
    DetentionEpisode,
    JusticeEvent,
    RuleHistory,
    RuleSet,
    Timeline,
)
from bridgeway.registry import age as registry_age

#: RuleSet figures stored as columns of ``JurisdictionRuleSet`` (all but jurisdiction,
#: valid_from and diversion_types, which need converting).
FIGURES = (
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


def jurisdiction_label(country: str, region: str = "") -> str:
    return f"{country}-{region}" if region else country


def ruleset_of(row: m.JurisdictionRuleSet, *, label: str | None = None) -> RuleSet:
    return RuleSet(
        jurisdiction=label or row.jurisdiction,
        valid_from=row.valid_from,
        diversion_types=frozenset(row.diversion_types or ()),
        **{name: getattr(row, name) for name in FIGURES},
    )


@dataclass(frozen=True)
class AppliedRules:
    """A case's rule history plus, for each rule set in it, the row it came from
    (0: the built-in defaults), so an evaluation can say which versions it used."""

    label: str
    history: RuleHistory
    row_ids: dict[datetime, int]

    def row_id_at(self, at: datetime) -> int:
        return self.row_ids[self.history.in_force(at).valid_from]


def _current_versions(rows: Iterable[m.JurisdictionRuleSet]) -> list[m.JurisdictionRuleSet]:
    """Per ``valid_from`` the newest row: an older row with the same start was corrected."""
    newest: dict[datetime, m.JurisdictionRuleSet] = {}
    for row in rows:
        seen = newest.get(row.valid_from)
        if seen is None or (row.created_at, row.pk) > (seen.created_at, seen.pk):
            newest[row.valid_from] = row
    return [newest[k] for k in sorted(newest)]


class RuleBook:
    """All jurisdictions' histories, resolved lazily and cached per (country, region)."""

    def __init__(self, rows: Iterable[m.JurisdictionRuleSet]) -> None:
        grouped: dict[tuple[str, str], list[m.JurisdictionRuleSet]] = defaultdict(list)
        for row in rows:
            grouped[(row.country, row.region)].append(row)
        self._rows = {key: _current_versions(value) for key, value in grouped.items()}
        self._cache: dict[tuple[str, str], AppliedRules] = {}

    @classmethod
    def load(cls) -> RuleBook:
        return cls(m.JurisdictionRuleSet.objects.all())

    def for_jurisdiction(self, country: str, region: str = "") -> AppliedRules:
        key = (country, region)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._resolve(country, region)
        return found

    def _resolve(self, country: str, region: str) -> AppliedRules:
        national = self._rows.get((country, ""), [])
        regional = self._rows.get((country, region), []) if region else []
        if regional:
            first = regional[0].valid_from
            layered = [r for r in national if r.valid_from < first] + regional
            label = jurisdiction_label(country, region)
        else:
            layered, label = national, jurisdiction_label(country) if national else "default"
        sets = [ruleset_of(r, label=label) for r in layered]
        row_ids = {s.valid_from: r.pk for s, r in zip(sets, layered, strict=True)}
        if not sets or sets[0].valid_from > DEFAULTS.valid_from:
            defaults = dataclasses.replace(DEFAULTS, jurisdiction=label)
            sets.insert(0, defaults)
            row_ids[defaults.valid_from] = 0
        return AppliedRules(label=label, history=RuleHistory.of(*sets), row_ids=row_ids)

    def for_case(self, case: object) -> AppliedRules:
        agency = case.owning_agency  # type: ignore[attr-defined]
        return self.for_jurisdiction(agency.country, agency.region or "")


# --------------------------------------------------------------------- timeline


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


#: One age assessment as the engine needs it: (claimed_age_years, claimed_date_of_birth,
#: assessed_min_years, assessed_on, pending).
AgeRow = tuple[Any, Any, Any, Any, bool]


def age_record(*, date_of_birth: date | None, youngest_birth_date: date | None,
               assessments: Sequence[AgeRow]) -> AgeRecord:
    """The engine's view of the child's age: the latest plausible date of birth over
    every piece of evidence (= the lowest plausible age), and whether an assessment is
    pending (since the earliest pending one's date, read as the day it was requested)."""
    evidence = [registry_age.AgeEvidence(date_of_birth=date_of_birth)]
    evidence += [registry_age.AgeEvidence(claimed_age_years=a[0], claimed_date_of_birth=a[1],
                                          assessed_min_years=a[2], assessed_on=a[3])
                 for a in assessments]
    candidates = [d for d in (registry_age.latest_plausible_birth_date(evidence),
                              youngest_birth_date) if d is not None]
    pending = [a[3] for a in assessments if a[4]]
    return AgeRecord(
        date_of_birth=max(candidates) if candidates else None,
        assessment_pending=bool(pending),
        assessment_requested_at=_start_of_day(min(pending)) if pending else None,
    )


def age_record_of(child: Any, assessments: Sequence[Any]) -> AgeRecord:
    return age_record(
        date_of_birth=child.date_of_birth, youngest_birth_date=child.youngest_birth_date,
        assessments=[(a.claimed_age_years, a.claimed_date_of_birth, a.assessed_min_years,
                      a.assessed_on, a.pending) for a in assessments])


def event_of(row: m.JusticeEvent) -> JusticeEvent:
    return JusticeEvent(
        id=str(row.pk),
        kind=row.kind,  # type: ignore[arg-type]
        at=row.at,
        treats_as_criminally_responsible=row.treats_as_criminally_responsible,
        legal_representation_present=row.legal_representation_present,
        parent_notified_at=row.parent_notified_at,
        reviews_detention=row.reviews_detention,
        alleged_offence_on=row.alleged_offence_on,
        diversion_type=row.diversion_type,
    )


def episode_of(row: m.DetentionEpisode) -> DetentionEpisode:
    return DetentionEpisode(
        id=str(row.pk),
        kind=row.kind,  # type: ignore[arg-type]
        admitted_at=row.admitted_at,
        facility_id=str(row.facility_id),
        commitment_order_ref=row.commitment_order_ref,
        released_at=row.released_at,
        last_resort_justification=row.last_resort_justification,
        alternatives_considered=tuple(str(a) for a in row.alternatives_considered or ()),
        separated_from_adults=row.separated,
        not_separated_reason=row.not_separated_reason,
        legal_counsel_access_at=row.legal_counsel_access_at,
        family_notified_at=row.family_notified_at,
    )


#: Columns read for the fast path (``values_list``), in the order the builders expect.
EVENT_COLUMNS = ("case_id", "pk", "kind", "at", "treats_as_criminally_responsible",
                 "legal_representation_present", "parent_notified_at", "reviews_detention",
                 "alleged_offence_on", "diversion_type")
EPISODE_COLUMNS = ("case_id", "pk", "kind", "admitted_at", "facility_id",
                   "commitment_order_ref", "released_at", "last_resort_justification",
                   "alternatives_considered", "separated_from_adults", "not_separated_reason",
                   "legal_counsel_access_at", "family_notified_at")
_SEPARATED = {m.Separation.YES: True, m.Separation.NO: False}


def event_from_row(r: Sequence[Any]) -> JusticeEvent:
    return JusticeEvent(id=str(r[1]), kind=r[2], at=r[3], treats_as_criminally_responsible=r[4],
                        legal_representation_present=r[5], parent_notified_at=r[6],
                        reviews_detention=r[7], alleged_offence_on=r[8], diversion_type=r[9])


def episode_from_row(r: Sequence[Any]) -> DetentionEpisode:
    return DetentionEpisode(
        id=str(r[1]), kind=r[2], admitted_at=r[3], facility_id=str(r[4]),
        commitment_order_ref=r[5], released_at=r[6], last_resort_justification=r[7],
        alternatives_considered=tuple(str(a) for a in r[8] or ()),
        separated_from_adults=_SEPARATED.get(r[9]), not_separated_reason=r[10],
        legal_counsel_access_at=r[11], family_notified_at=r[12])


def timeline_of(*, child: object, assessments: Sequence[object],
                events: Iterable[m.JusticeEvent],
                episodes: Iterable[m.DetentionEpisode]) -> Timeline:
    return Timeline(
        events=tuple(event_of(e) for e in events),
        episodes=tuple(episode_of(e) for e in episodes),
        age=age_record_of(child, assessments),
    )
