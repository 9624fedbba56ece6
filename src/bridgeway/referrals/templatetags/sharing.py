"""Template helpers of the sharing pages: the menu entries, the "Sharing" card on the case
page, and the state of one form field (its value as typed and its messages)."""

from __future__ import annotations

from typing import Any

from django import template

from bridgeway.access import policy
from bridgeway.referrals import grants, selectors
from bridgeway.referrals.models import ConsentPurpose

register = template.Library()


@register.simple_tag
def sharing_nav(user: Any) -> dict[str, Any]:
    """Which sharing entries the main menu shows the user, and their unread
    notifications (one count query)."""
    agency_user = grants._agency_user(user)
    return {
        "referrals": agency_user,
        "transfers": agency_user and getattr(user, "role", "") == "supervisor",
        "break_glass": grants.may_break_glass(user),
        "review": policy.may_read_audit(user) or (agency_user and user.role == "supervisor"),
        "unread": selectors.notifications_for(actor=user, unread_only=True).count()
        if getattr(user, "pk", None) else 0,
    }


@register.simple_tag
def sharing_card(user: Any, case: Any) -> selectors.CaseSharing:
    """The case's sharing for the card on the case page (the page's own view is already
    audited, so this read is not audited again)."""
    return selectors.case_sharing(actor=user, case_id=case.pk, audit=False)


@register.simple_tag
def may_refer(user: Any, case: Any) -> bool:
    """Whether the page offers ``user`` a way to refer this child (the plan's "Refer"
    links): ``services.may_refer``, asked once per page."""
    from bridgeway.referrals.services import may_refer as allowed

    return allowed(user, case)


@register.filter
def transfer_consents(consents: list[Any]) -> list[Any]:
    return [c for c in consents if c.kind == ConsentPurpose.TRANSFER]


@register.simple_tag(takes_context=True)
def fstate(context: Any, name: str, which: str = "") -> dict[str, Any]:
    """One field of a form on the page: ``id``, ``value`` as typed, ``errors`` and the
    ``label``. On pages with several forms, ``which`` names the form; only the one that
    was sent (``form`` in the context) gets its values and messages back."""
    mine = not which or context.get("form", "") == which
    values = context.get("values") or {}
    errors = context.get("errors") or {}
    labels = context.get("field_labels") or {}
    return {
        "id": f"{which or 'f'}-{name}",
        "value": str(values.get(name, "") or "") if mine else "",
        "errors": list(errors.get(name, [])) if mine else [],
        "label": labels.get(name, name),
    }


@register.simple_tag(takes_context=True)
def ferrors(context: Any, which: str = "") -> list[tuple[str, str]]:
    """Every message of the form ``which`` (or of the page's only form), with the label
    of its field, for the summary at the top of the form."""
    if which and context.get("form", "") != which:
        return []
    labels = context.get("field_labels") or {}
    out = []
    for name, msgs in (context.get("errors") or {}).items():
        label = "" if name == "__all__" else str(labels.get(name, name))
        out += [(label, str(m)) for m in msgs]
    return out


@register.filter
def formkey(prefix: str, pk: Any) -> str:
    """The name of one of several forms of a kind on a page: ``"review"|formkey:12``."""
    return f"{prefix}-{pk}"


def _plain(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(_plain(v) for v in value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())[:16].replace("T", " ")
    return str(value)


@register.filter
def lines(section: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """A shared-record section as (field label, lines to show): lists of rows (names,
    family members …) one line per row."""
    out = []
    for key, value in section.items():
        label = key.replace("_", " ").capitalize()
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out.append((label, [_plain(v) for v in value]))
        else:
            out.append((label, [_plain(value)]))
    return out
