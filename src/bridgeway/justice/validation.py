"""Validation of justice input: each function reads a loosely typed mapping (JSON body or
form post), collects every problem by field, and returns clean values for the model.

Only checks that need no database live here; overlap with other episodes and the
facility lookup are in ``services`` (they need the child's other records).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields as dc_fields
from datetime import UTC, date, datetime
from typing import Any

from django_countries import countries

from bridgeway.core.coerce import Errors, add, to_choice, to_date, to_int
from bridgeway.core.errors import ValidationFailed
from bridgeway.core.text import clean_text
from bridgeway.justice import models as m
from bridgeway.justice.adapters import FIGURES
from bridgeway.justice.inputs import to_aware, to_text_list, to_tristate, to_zone
from bridgeway.justice.rules import EpisodeKind, EventKind, RuleSet, RuleSetError

DIVERSION_KINDS = frozenset({EventKind.DIVERSION_OFFERED, EventKind.DIVERSION_ACCEPTED,
                             EventKind.DIVERSION_COMPLETED})
COUNTRY_CODES = frozenset(code for code, _ in countries)

EVENT_FIELDS = ("kind", "at", "time_zone", "authority", "place", "legal_basis",
                "legal_representation_present", "parent_notified_at", "interpreter",
                "alleged_offence", "alleged_offence_on", "diversion_type",
                "reviews_detention", "treats_as_criminally_responsible",
                "sentence_custodial", "notes")

EPISODE_FIELDS = ("kind", "facility", "commitment_order_ref", "reason", "authority",
                  "admitted_at", "released_at", "release_note", "separated_from_adults",
                  "not_separated_reason", "family_contact", "family_notified_at",
                  "health_problems", "legal_counsel_access_at", "last_resort_justification",
                  "alternatives_considered")


def _mapping(data: Any, errors: Errors) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    add(errors, "__all__", "Expected an object.")
    return {}


def _text(data: Mapping[str, Any], name: str, errors: Errors, *, max_length: int,
          required: bool = False) -> str:
    return clean_text(data.get(name), field=name, max_length=max_length, required=required,
                      errors=errors)


# ------------------------------------------------------------------- events


def validate_event(data: Any, *, now: datetime, default_zone: str,
                   diversion_types_at: Callable[[datetime], frozenset[str]]) -> dict[str, Any]:
    """Clean values of a ``JusticeEvent``. ``diversion_types_at(at)`` gives the diversion
    types that exist in the case's jurisdiction at that moment."""
    errors: Errors = {}
    d = _mapping(data, errors)
    kind = to_choice(d.get("kind"), EventKind, field="kind", errors=errors)
    at = to_aware(d.get("at"), field="at", errors=errors, now=now, required=True)
    values: dict[str, Any] = {
        "kind": kind, "at": at,
        "time_zone": to_zone(d.get("time_zone"), field="time_zone", errors=errors,
                             default=default_zone),
        "authority": _text(d, "authority", errors, max_length=200),
        "place": _text(d, "place", errors, max_length=200),
        "legal_basis": _text(d, "legal_basis", errors, max_length=500),
        "legal_representation_present": to_tristate(
            d.get("legal_representation_present"), field="legal_representation_present",
            errors=errors),
        "parent_notified_at": to_aware(d.get("parent_notified_at"),
                                       field="parent_notified_at", errors=errors, now=now),
        "interpreter": to_choice(d.get("interpreter"), m.Interpreter, field="interpreter",
                                 errors=errors, default=m.Interpreter.UNKNOWN),
        "alleged_offence": _text(d, "alleged_offence", errors, max_length=500),
        "alleged_offence_on": to_date(d.get("alleged_offence_on"), field="alleged_offence_on",
                                      errors=errors),
        "diversion_type": _text(d, "diversion_type", errors, max_length=60),
        "reviews_detention": to_tristate(d.get("reviews_detention"), field="reviews_detention",
                                         errors=errors),
        "treats_as_criminally_responsible": to_tristate(
            d.get("treats_as_criminally_responsible"),
            field="treats_as_criminally_responsible", errors=errors),
        "sentence_custodial": to_tristate(d.get("sentence_custodial"),
                                          field="sentence_custodial", errors=errors),
        "notes": _text(d, "notes", errors, max_length=4000),
    }
    pn = values["parent_notified_at"]
    if at is not None and pn is not None and pn < at:
        add(errors, "parent_notified_at", "Cannot be before the event itself.")
    offence_on = values["alleged_offence_on"]
    if at is not None and offence_on is not None and offence_on > at.date():
        add(errors, "alleged_offence_on", "The alleged offence cannot be after the event.")
    if kind in DIVERSION_KINDS:
        diversion = values["diversion_type"]
        if not diversion:
            add(errors, "diversion_type", "Say which diversion measure.")
        elif at is not None and diversion not in (allowed := diversion_types_at(at)):
            add(errors, "diversion_type",
                f"Not a diversion type of this jurisdiction (one of: "
                f"{', '.join(sorted(allowed)) or 'none defined'}).")
    elif kind and values["diversion_type"]:
        add(errors, "diversion_type", "Only diversion events have a diversion type.")
    if kind and kind != EventKind.SENTENCE and values["sentence_custodial"] is not None:
        add(errors, "sentence_custodial", "Only a sentence is custodial or not.")
    if errors:
        raise ValidationFailed(errors)
    return values


def event_as_input(event: m.JusticeEvent) -> dict[str, Any]:
    """A stored event as the input mapping ``validate_event`` reads (for corrections)."""
    return {name: getattr(event, name) for name in EVENT_FIELDS}


# ----------------------------------------------------------------- episodes


def _separation(value: Any) -> Any:
    """JSON clients may send true / false / null for yes / no / not recorded."""
    if isinstance(value, bool):
        return m.Separation.YES if value else m.Separation.NO
    return value


def validate_episode(data: Any, *, now: datetime) -> dict[str, Any]:
    """Clean values of a ``DetentionEpisode``; ``facility`` stays an id (checked by the
    service). No commitment order reference: refused, whatever the kind of deprivation of
    liberty (Havana Rule 20; issue 4: "no episode without one"); for police custody it is
    the reference of the custody order or record under which the child is held."""
    errors: Errors = {}
    d = _mapping(data, errors)
    kind = to_choice(d.get("kind"), EpisodeKind, field="kind", errors=errors)
    facility = d.get("facility")
    facility = getattr(facility, "pk", facility)  # a Facility instance or its id
    facility_id = to_int(facility, field="facility", errors=errors, required=True,
                         minimum=1, maximum=2**62)
    values: dict[str, Any] = {
        "kind": kind,
        "facility": facility_id,
        "commitment_order_ref": _text(d, "commitment_order_ref", errors, max_length=120),
        "reason": _text(d, "reason", errors, max_length=4000),
        "authority": _text(d, "authority", errors, max_length=200),
        "admitted_at": to_aware(d.get("admitted_at"), field="admitted_at", errors=errors,
                                now=now, required=True),
        "released_at": to_aware(d.get("released_at"), field="released_at", errors=errors,
                                now=now),
        "release_note": _text(d, "release_note", errors, max_length=500),
        "separated_from_adults": to_choice(_separation(d.get("separated_from_adults")),
                                           m.Separation,
                                           field="separated_from_adults", errors=errors,
                                           default=m.Separation.UNKNOWN),
        "not_separated_reason": _text(d, "not_separated_reason", errors, max_length=2000),
        "family_contact": _text(d, "family_contact", errors, max_length=2000),
        "family_notified_at": to_aware(d.get("family_notified_at"),
                                       field="family_notified_at", errors=errors, now=now),
        "health_problems": _text(d, "health_problems", errors, max_length=4000),
        "legal_counsel_access_at": to_aware(d.get("legal_counsel_access_at"),
                                            field="legal_counsel_access_at", errors=errors,
                                            now=now),
        "last_resort_justification": _text(d, "last_resort_justification", errors,
                                           max_length=4000),
        "alternatives_considered": to_text_list(d.get("alternatives_considered"),
                                                field="alternatives_considered",
                                                errors=errors),
    }
    admitted, released = values["admitted_at"], values["released_at"]
    if admitted is not None and released is not None and released < admitted:
        add(errors, "released_at", "Release cannot be before admission.")
    if "commitment_order_ref" not in errors and not values["commitment_order_ref"]:
        add(errors, "commitment_order_ref",
            "No child is deprived of liberty without a valid commitment order: give its "
            "reference (for police custody, the custody order or record the child is "
            "held under).")
    if errors:
        raise ValidationFailed(errors)
    return values


def episode_as_input(episode: m.DetentionEpisode) -> dict[str, Any]:
    values = {name: getattr(episode, name) for name in EPISODE_FIELDS if name != "facility"}
    values["facility"] = episode.facility_id
    return values


# -------------------------------------------------------------------- rules

RULE_FIGURES = FIGURES
_RULESET_FIELD_NAMES = frozenset(f.name for f in dc_fields(RuleSet))


def _valid_from(value: Any, errors: Errors) -> datetime | None:
    if value in (None, ""):
        add(errors, "valid_from", "This field is required.")
        return None
    if isinstance(value, datetime):
        parsed: datetime | date = value
    elif isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            add(errors, "valid_from", "Not a valid date (YYYY-MM-DD) or date and time.")
            return None
    else:
        add(errors, "valid_from", "Not a valid date.")
        return None
    if not isinstance(parsed, datetime):
        # A law in force "from 1 July": from the start of that day, UTC.
        parsed = datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        add(errors, "valid_from", "Give the time zone (an offset such as +07:00 or Z).")
        return None
    if parsed.year < 1900:
        add(errors, "valid_from", "Cannot be before 1900.")
        return None
    return parsed.astimezone(UTC)


def validate_rules(*, country: Any, region: Any, valid_from: Any, params: Any, reason: Any
                   ) -> dict[str, Any]:
    """Clean values of a ``JurisdictionRuleSet``. Every figure is required and must be a
    positive whole number; the pure ``RuleSet.validate()`` has the last word (MACR above
    the age of majority …), its problems reported against the figure they name."""
    errors: Errors = {}
    code = country.strip().upper() if isinstance(country, str) else ""
    if code not in COUNTRY_CODES:
        add(errors, "country", "Unknown country code (ISO 3166-1 alpha-2, e.g. ID).")
    region_text = clean_text(region, field="region", max_length=40, errors=errors)
    start = _valid_from(valid_from, errors)
    p = _mapping(params, errors)
    figures: dict[str, Any] = {}
    for name in RULE_FIGURES:
        raw = p.get(name)
        if raw in (None, ""):
            add(errors, name, "This figure is required.")
            continue
        if isinstance(raw, bool):
            add(errors, name, "Must be a whole number.")
            continue
        try:
            number = int(raw) if not isinstance(raw, float) or raw.is_integer() else None
        except (TypeError, ValueError):
            number = None
        if number is None:
            add(errors, name, "Must be a whole number.")
        elif number <= 0:
            add(errors, name, f"Must be greater than zero (got {number}).")
        elif number > 100_000:
            add(errors, name, "Implausibly large.")
        else:
            figures[name] = number
    diversion = to_text_list(p.get("diversion_types"), field="diversion_types", errors=errors,
                             max_items=30, max_length=60)
    why = clean_text(reason, field="reason", required=True, max_length=2000, errors=errors)
    if not errors and start is not None:
        try:
            RuleSet(jurisdiction=f"{code}-{region_text}" if region_text else code,
                    valid_from=start, diversion_types=frozenset(diversion), **figures)
        except RuleSetError as exc:
            for problem in exc.problems:
                name = problem.split(" ", 1)[0]
                add(errors, name if name in _RULESET_FIELD_NAMES else "__all__", problem)
    if errors:
        raise ValidationFailed(errors)
    return {"country": code, "region": region_text, "valid_from": start,
            "diversion_types": sorted(diversion), "reason": why, **figures}
