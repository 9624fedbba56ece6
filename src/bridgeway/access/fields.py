"""Which data category each field of child data belongs to — the one map.

The access policy answers *which categories* of a case a user may see
(``policy.categories_for``); this module answers *which fields* each category covers, for
the child's registry record and the case. Every output that shows registry or case fields
— the API's serializers (``api.outputs``), the shared record a receiving agency reads
(``referrals.selectors.shared_case_record``) and the data-subject export
(``referrals.subject_requests``) — asks here, so a field moved from one category to
another moves everywhere at once.

Form answers carry their category in the form itself (the XLSForm ``bw:category``
column); care rows (plan, services, reviews) are case management. Fields not listed
(ids, the case number, versions, the owning agency) only say that the record exists,
which a user who may open the case already knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bridgeway.access.policy import Category

C = Category

CASE_FIELDS: dict[str, Category] = {
    **{name: C.CASE_MANAGEMENT for name in (
        "status", "risk_level", "opened_at", "first_assessment_due",
        "first_assessment_done_at", "assigned_to", "closure_reason", "closure_note",
        "closure_requested_at", "closed_at")},
    **{name: C.ASSOCIATION_HISTORY for name in (
        "group_type", "association_mode", "association_from", "association_to",
        "association_place", "association_country")},
    **{name: C.JUSTICE for name in (
        "alleged_offence", "victim_status", "victim_recognized_on", "victim_recognized_by")},
}
"""Fields of ``cases.Case``.

Victim status is in the justice category, with the alleged offence: wherever an alleged
offence is shown, the child's recognition as a victim is shown beside it (an alleged
offence never erases victim status), whatever channel — the case page, the API, the
justice record, the shared record, the data-subject export. Kept out of association
history so that justice users, who never see that category, still see it; kept out of
identity because "recognized as a victim" of these groups tells of the association, which
a clinic or a school has no need to know."""

CHILD_FIELDS: dict[str, Category] = {
    **{name: C.IDENTITY for name in (
        "display_name", "sex", "date_of_birth", "date_of_birth_estimated",
        "youngest_birth_date", "age", "turned_18_on", "nationalities", "country_of_birth",
        "place_of_birth", "born_abroad", "languages", "birth_registration", "names",
        "aliases", "age_assessments", "identifiers")},
    "family": C.FAMILY,
}
"""Fields of ``registry.Child`` (``names``, ``aliases``, ``age_assessments``,
``identifiers`` and ``family`` are its related rows; ``age`` and ``turned_18_on`` are
derived from the age evidence)."""

FAMILY_MEMBER_FIELDS: dict[str, Category] = {
    "relationship": C.FAMILY, "name": C.FAMILY, "is_caregiver": C.FAMILY,
    "is_legal_guardian": C.FAMILY, "notes": C.FAMILY,
    "phone": C.CONTACT_LOCATION, "address": C.CONTACT_LOCATION,
}
"""Fields of one ``registry.FamilyMember``: who the person is belongs to the family;
where to reach them to contact and location."""

CASE_PARTS: dict[str, Category] = {
    "notes": C.CASE_MANAGEMENT, "tasks": C.CASE_MANAGEMENT, "events": C.CASE_MANAGEMENT,
}
"""The case's related rows shown with it (notes, open tasks, the timeline)."""


def fields_of(mapping: Mapping[str, Category], category: Category) -> tuple[str, ...]:
    """The fields of ``mapping`` in ``category``, in the map's order."""
    return tuple(name for name, cat in mapping.items() if cat == category)


def visible_fields(mapping: Mapping[str, Category],
                   categories: Iterable[Category]) -> frozenset[str]:
    """The fields of ``mapping`` whose category is among ``categories`` (what a page may
    show)."""
    granted = frozenset(categories)
    return frozenset(name for name, cat in mapping.items() if cat in granted)


def hidden_fields(mapping: Mapping[str, Category],
                  categories: Iterable[Category]) -> frozenset[str]:
    """The fields of ``mapping`` whose category is not among ``categories``."""
    granted = frozenset(categories)
    return frozenset(name for name, cat in mapping.items() if cat not in granted)


def blank_outside(data: dict[str, Any], mapping: Mapping[str, Category],
                  categories: Iterable[Category]) -> dict[str, Any]:
    """``data`` with every field of a category not granted set to ``None`` (absent fields
    stay absent). Returns ``data`` itself, changed in place."""
    for name in hidden_fields(mapping, categories):
        if name in data:
            data[name] = None
    return data


def pick(obj: Any, mapping: Mapping[str, Category], category: Category) -> dict[str, Any]:
    """The attributes of ``obj`` that ``mapping`` puts in ``category`` (plain attributes
    only; related rows and derived values are the caller's)."""
    return {name: getattr(obj, name) for name in fields_of(mapping, category)
            if hasattr(obj, name)}
