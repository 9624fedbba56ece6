"""Registering a child: check for possible duplicates first, then register on confirmation.

The first post validates everything and shows the children (visible to the user) who could
be the same child; the page keeps every field as typed and offers to confirm. Only a post
with ``confirm=1`` whose content is the one that was checked registers (a changed form is
checked again), so nobody registers a duplicate without having seen the candidates.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bridgeway.access import policy
from bridgeway.cases import selectors
from bridgeway.cases.services import EDITABLE_FIELDS, validate_case_fields
from bridgeway.core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.registry.services import child_register
from bridgeway.registry.validation import validate_child
from bridgeway.web import fields
from bridgeway.web.views.base import domain_errors

DEFAULTS = {"sex": "unknown", "birth_registration": "unknown", "case.risk_level": "medium",
            "case.group_type": "unknown", "case.association_mode": "unknown",
            "case.victim_status": "pending"}


def _fingerprint(child: dict[str, Any], case: dict[str, Any]) -> str:
    blob = json.dumps([child, case], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def _case_keys(user: Any) -> tuple[str, ...]:
    return (*EDITABLE_FIELDS, "assigned_to") if user.role == "supervisor" else EDITABLE_FIELDS


def _page(request: HttpRequest, values: dict[str, str], errors: dict[str, list[str]],
          *, status: int = 200, **extra: Any) -> HttpResponse:
    user = request.user
    assign_choices = [("", _("Nobody yet"))] + [
        (str(u.pk), str(u)) for u in selectors.agency_caseworkers(actor=user)]
    case_main = fields.case_section(("risk_level", *fields.ASSOCIATION_KEYS), values, errors,
                                    title=_("Case"), key="case")
    if user.role == "supervisor":
        case_main.fields.insert(1, fields.bind(
            fields.Column("assigned_to", _("Caseworker"), "select", assign_choices),
            "case.assigned_to", values, errors))
    context = {
        "sections": fields.child_sections(values, errors),
        "case_main": case_main,
        "victim": fields.case_section(fields.VICTIM_KEYS, values, errors,
                                      title=_("Victim status"), key="victim"),
        "offence": fields.case_section(("alleged_offence",), values, errors,
                                       title=_("Alleged offence"), key="offence"),
        "errors": errors, "error_items": fields.error_items(errors),
        "countries": fields.country_choices(), **extra,
    }
    return render(request, "web/register.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def register(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not policy.may_register(user):
        raise PermissionDenied(_("Only caseworkers and supervisors of an agency register "
                                 "children."))
    if request.method == "GET":
        return _page(request, dict(DEFAULTS), {})
    values = fields.flat_values(request.POST)
    child, index_map = fields.child_payload(values)
    case = fields.case_payload(values, keys=_case_keys(user))
    errors: dict[str, list[str]] = {}
    validate_child(child, errors=errors)
    validate_case_fields(case, errors=errors, prefix="case.")
    if errors:
        return _page(request, values, fields.form_errors(errors, index_map), status=400)
    checked = _fingerprint(child, case)
    if request.POST.get("confirm") == "1" and request.POST.get("checked") == checked:
        try:
            opened = child_register(actor=user, child=child, case=case)
        except ValidationFailed as exc:
            return _page(request, values, fields.form_errors(exc.errors, index_map),
                         status=400)
        except (NotFound, NotAllowed):
            raise
        except DomainError as exc:
            return _page(request, values, {"__all__": [exc.message]}, status=400)
        messages.success(request, _("Registered. Case %(number)s is open.")
                         % {"number": opened.case_number})
        return redirect("web:case_detail", pk=opened.pk)
    duplicates = selectors.registration_duplicates(actor=user, child=child)
    return _page(request, values, {}, duplicates=duplicates, checked=checked,
                 duplicates_checked=True)
