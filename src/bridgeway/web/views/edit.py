"""Editing a child's identity and the case details, with optimistic concurrency.

The form carries the versions it was loaded at and a snapshot of the values it started
from (``loaded``). Only the halves the user changed are saved (``cases.services.case_edit``,
both or neither). If somebody saved in between, the service raises ``Conflict`` and the
user gets the conflict screen: their input and the current saved values side by side, and
the form again — merged onto the newer version, their own changes kept — to re-apply. A
save is never silently written over a newer one.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bridgeway.access import policy
from bridgeway.access.policy import Perm
from bridgeway.cases import selectors
from bridgeway.cases.services import case_edit as case_edit_service
from bridgeway.core.errors import Conflict, ValidationFailed
from bridgeway.web import fields
from bridgeway.web.views.base import domain_errors, int_or_none


def _stored(detail: selectors.CaseDetail) -> dict[str, str]:
    return fields.child_values(detail.child) | fields.case_values(detail.case)


def _loaded(raw: str) -> dict[str, str] | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return {str(k): str(v) for k, v in data.items()}


def _page(request: HttpRequest, detail: selectors.CaseDetail, values: dict[str, str],
          errors: dict[str, list[str]], *, child_version: int, case_version: int,
          loaded: dict[str, str], status: int = 200, **extra: Any) -> HttpResponse:
    context = {
        "detail": detail, "case": detail.case, "child": detail.child,
        "existing_ages": list(detail.child.age_assessments.all()),
        "sections": fields.child_sections(values, errors, editing=True),
        "case_main": fields.case_section(("risk_level", *fields.ASSOCIATION_KEYS), values,
                                         errors, title=_("Case"), key="case"),
        "victim": fields.case_section(fields.VICTIM_KEYS, values, errors,
                                      title=_("Victim status"), key="victim"),
        "offence": fields.case_section(("alleged_offence",), values, errors,
                                       title=_("Alleged offence"), key="offence"),
        "errors": errors, "error_items": fields.error_items(errors),
        "countries": fields.country_choices(),
        "child_version": child_version, "case_version": case_version,
        "loaded": json.dumps(loaded, ensure_ascii=False, separators=(",", ":")),
        **extra,
    }
    return render(request, "web/case_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    policy.case_for(user, pk=pk, perm=Perm.EDIT)  # 404 if unseen, 403 if seen but not editable
    if request.method == "GET":
        detail = selectors.case_detail(actor=user, case_id=pk)
        stored = _stored(detail)
        return _page(request, detail, stored, {}, child_version=detail.child.version,
                     case_version=detail.case.version, loaded=stored)

    posted = fields.flat_values(request.POST)
    posted.pop("loaded", None)
    loaded = _loaded(request.POST.get("loaded", ""))
    child_version = int_or_none(request.POST.get("child_version"))
    case_version = int_or_none(request.POST.get("case_version"))
    current = selectors.case_detail(actor=user, case_id=pk, audit=False)
    stored = _stored(current)
    if child_version is None or case_version is None:
        return _page(request, current, posted,
                     {"__all__": [_("The form is incomplete: reload the page.")]},
                     child_version=current.child.version, case_version=current.case.version,
                     loaded=stored, status=400)
    # What the user changed is measured against what their form started from.
    baseline = loaded if loaded is not None else stored
    child, index_map = fields.child_payload(posted)
    child_changed = fields.identity_changed(posted, baseline)
    case_changes = fields.case_changes(posted, baseline)
    try:
        case_edit_service(actor=user, case_id=pk, child_version=child_version,
                          case_version=case_version, child=child if child_changed else None,
                          case=case_changes or None)
    except ValidationFailed as exc:
        detail = selectors.case_detail(actor=user, case_id=pk)
        return _page(request, detail, posted, fields.form_errors(exc.errors, index_map),
                     child_version=child_version, case_version=case_version,
                     loaded=loaded if loaded is not None else stored, status=400)
    except Conflict:
        fresh = selectors.case_detail(actor=user, case_id=pk, audit=False)  # audited: conflict
        saved = _stored(fresh)
        merged, differences = fields.merge(posted, loaded, saved)
        return _page(request, fresh, merged, {}, child_version=fresh.child.version,
                     case_version=fresh.case.version, loaded=saved, status=409,
                     conflict=True, differences=differences,
                     last_change=fresh.events[0] if fresh.events else None)
    if child_changed or case_changes:
        messages.success(request, _("Changes saved."))
    else:
        messages.info(request, _("Nothing was changed."))
    return redirect("web:case_detail", pk=pk)
