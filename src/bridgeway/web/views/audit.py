"""The auditor's view of the audit log, with the break-glass uses still to review and the
latest integrity checks of the hash chain."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from bridgeway.access import policy
from bridgeway.audit.models import Action
from bridgeway.audit.selectors import AuditFilters, audit_log, integrity_checks
from bridgeway.core.errors import ValidationFailed
from bridgeway.referrals.selectors import break_glass_uses
from bridgeway.web.views.base import domain_errors


@login_required
@require_GET
@domain_errors
def audit_log_view(request: HttpRequest) -> HttpResponse:
    if not policy.may_read_audit(request.user):
        raise PermissionDenied(_("Only auditors read the audit log."))
    context: dict[str, Any] = {"params": request.GET, "actions": Action.choices,
                               "errors": {}, "page": None}
    status = 200
    try:
        filters = AuditFilters.from_params(request.GET)
        context["page"] = page = audit_log(actor=request.user, filters=filters)
    except ValidationFailed as exc:
        context["errors"], status = exc.errors, 400
    else:
        if page.next_before:
            params = request.GET.copy()
            params["before"] = str(page.next_before)
            context["next_url"] = "?" + params.urlencode()
    # The page's own AUDIT_VIEW entry (written by ``audit_log``) covers these two reads.
    context["to_review"] = list(break_glass_uses(actor=request.user, unreviewed_only=True,
                                                 audit=False)[:20])
    context["checks"] = integrity_checks(actor=request.user)
    context["now"] = timezone.now()
    context["may_review"] = True
    return render(request, "web/audit_log.html", context, status=status)
