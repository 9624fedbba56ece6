"""Template helpers for the web interface: ages, scripts, countries, timeline wording."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from bridgeway.access import policy
from bridgeway.cases.events import shown_comment
from bridgeway.cases.models import ClosureReason, Status
from bridgeway.registry import age, names

register = template.Library()

RISK_SHORT = {"high": "High", "medium": "Medium", "low": "Low", "none": "None"}


@register.filter
def age_years(youngest_birth_date: date | None) -> int | str:
    """Age for all purposes today (from the latest plausible date of birth)."""
    years = age.age_on(youngest_birth_date, timezone.localdate())
    return "—" if years is None else years


@register.filter
def script_name(code: str) -> str:
    return names.script_label(code) if code else ""


@register.filter
def country_name(code: str) -> str:
    return str(countries.name(code)) or code if code else ""


@register.filter
def country_names(codes: list[str] | None) -> str:
    return ", ".join(country_name(c) for c in codes or []) or "—"


@register.filter
def risk_short(value: str) -> str:
    return _(RISK_SHORT.get(value, value))


@register.filter
def status_label(value: str) -> str:
    return str(dict(Status.choices).get(value, value))


EVENT_TEXT = {
    "opened": "Case opened",
    "updated": "Case details edited",
    "child_updated": "Child's identity edited",
    "assigned": "Assigned",
    "note_added": "Note added",
    "status": "Step changed",
    "closure_requested": "Closure requested",
    "closure_approved": "Closure approved: case closed",
    "closure_returned": "Closure request returned",
    "reopened": "Case reopened",
}


@register.filter
def event_text(event: Any) -> str:
    """One line of the timeline, from the event's kind and parameters."""
    text = _(EVENT_TEXT.get(event.kind, event.kind.replace("_", " ").capitalize()))
    p = event.params or {}
    if event.kind == "status":
        text += f": {status_label(p.get('from', ''))} → {status_label(p.get('to', ''))}"
    elif event.kind == "assigned" and p.get("to"):
        text += f" to {p['to']}"
    elif event.kind == "closure_requested" and p.get("reason"):
        text += f": {dict(ClosureReason.choices).get(p['reason'], p['reason'])}"
    elif event.kind == "updated" and p.get("fields"):
        text += f" ({', '.join(p['fields'])})"
    # Why it was reopened / returned: decrypted from the event's own comment column.
    comment = shown_comment(event)
    if comment:
        text += f": {comment}"
    return text


@register.filter
def is_past(moment: Any) -> bool:
    return bool(moment and moment < timezone.now())


@register.filter
def get(mapping: Any, key: str) -> Any:
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.simple_tag
def nav_for(user: Any) -> dict[str, bool]:
    """Which main-menu entries the user has (the access policy decides)."""
    return {
        "cases": policy.case_filter(user) is not None,
        "register": policy.may_register(user),
        "audit": policy.may_read_audit(user),
        "admin": bool(getattr(user, "is_staff", False)) and policy.may_configure(user),
    }
