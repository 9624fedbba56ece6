"""Template helpers for the justice pages."""

from __future__ import annotations

from typing import Any

from django import template

from bridgeway.justice import access, selectors
from bridgeway.justice import models as m

register = template.Library()

EVENT_LABELS = dict(m.EVENT_KIND_CHOICES)
EPISODE_LABELS = dict(m.EPISODE_KIND_CHOICES)


@register.filter
def may_edit_rules(user: Any) -> bool:
    return access.may_edit_rules(user)


@register.filter
def tristate(value: bool | None) -> str:
    return {True: "yes", False: "no"}.get(value, "not recorded")  # type: ignore[arg-type]


@register.filter
def event_kind(value: str) -> str:
    return str(EVENT_LABELS.get(value, value))


@register.filter
def episode_kind(value: str) -> str:
    return str(EPISODE_LABELS.get(value, value))


@register.simple_tag
def justice_card(user: Any, case: Any) -> selectors.JusticeSummary | None:
    """The safeguards card of the case page (``selectors.justice_summary``): None when the
    user may not see the case's justice record or there is none to show."""
    return selectors.justice_summary(actor=user, case=case)
