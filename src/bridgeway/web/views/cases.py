"""The case list (search and filters, htmx live search), the case view and its actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bridgeway.access import fields as access_fields
from bridgeway.access import policy
from bridgeway.cases import selectors, services
from bridgeway.cases.models import WORK_STEPS, ClosureReason, Risk, Status
from bridgeway.core.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.registry.models import Sex
from bridgeway.web.views.base import domain_errors, int_or_none, is_htmx_partial


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if policy.case_filter(user) is None:
        # Analysts, auditors and administrators see no individual records: no list, and
        # no count of what they cannot see.
        return render(request, "web/no_case_list.html", {
            "may_read_audit": policy.may_read_audit(user),
            "may_configure": policy.may_configure(user)})
    context: dict[str, Any] = {
        "params": request.GET, "statuses": Status.choices, "risks": Risk.choices,
        "sexes": [c for c in Sex.choices if c[0] != Sex.UNKNOWN],
        "max_age": selectors.MAX_FILTER_AGE,
        "caseworkers": selectors.agency_caseworkers(actor=user),  # lazy: full page only
        "may_register": policy.may_register(user), "errors": {}, "page": None,
    }
    status = 200
    try:
        filters = selectors.CaseFilters.from_params(request.GET)
        page = selectors.case_list(actor=user, filters=filters)
    except ValidationFailed as exc:
        context["errors"], status = exc.errors, 400
    else:
        context["page"] = page
        if page.next_cursor:
            params = request.GET.copy()
            params["cursor"] = page.next_cursor
            context["next_url"] = "?" + params.urlencode()
    template = "web/case_list.html"
    if is_htmx_partial(request):
        template += "#results"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def detail_context(request: HttpRequest, detail: selectors.CaseDetail, *,
                   form: str = "", errors: dict[str, list[str]] | None = None,
                   values: dict[str, str] | None = None) -> dict[str, Any]:
    can = {p.value for p in detail.perms}
    case = detail.case
    return {
        "detail": detail, "case": case, "child": detail.child, "can": can,
        "sees": {c.value for c in detail.categories}, "now": timezone.now(),
        "shows": access_fields.visible_fields(access_fields.CASE_FIELDS, detail.categories),
        "work_steps": [(s.value, s.label) for s in WORK_STEPS],
        "closure_reasons": ClosureReason.choices,
        "caseworkers": list(selectors.agency_caseworkers(actor=request.user))
        if "assign" in can else [],
        "is_closed": case.status == Status.CLOSED,
        "closure_pending": case.status == Status.CLOSURE_REQUESTED,
        "form": form, "form_errors": errors or {}, "form_values": values or {},
    }


@login_required
@require_GET
@domain_errors
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    detail = selectors.case_detail(actor=request.user, case_id=pk)
    return render(request, "web/case_detail.html", detail_context(request, detail))


def _act(request: HttpRequest, pk: int, form: str, action: Callable[[], Any],
         done: str) -> HttpResponse:
    """Run one case operation; on success back to the case (POST/redirect/GET), on a
    refusal the case page again with the message by the form and the input kept."""
    values = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    try:
        action()
    except (NotFound, NotAllowed):
        raise
    except ValidationFailed as exc:
        errors, status = exc.errors, 400
    except Conflict as exc:
        errors, status = {"__all__": [exc.message + " " + _(
            "The page now shows the current state: check it and try again.")]}, 409
    except DomainError as exc:
        errors, status = {"__all__": [exc.message]}, 400
    else:
        messages.success(request, done)
        return redirect("web:case_detail", pk=pk)
    detail = selectors.case_detail(actor=request.user, case_id=pk)
    return render(request, "web/case_detail.html",
                  detail_context(request, detail, form=form, errors=errors, values=values),
                  status=status)


def _version(request: HttpRequest) -> int:
    version = int_or_none(request.POST.get("version"))
    if version is None:
        raise ValidationFailed.single("__all__", _("The form is incomplete: reload the page."))
    return version


@login_required
@require_POST
@domain_errors
def case_note(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "note", lambda: services.case_add_note(
        actor=request.user, case_id=pk, body=request.POST.get("body", "")), _("Note added."))


@login_required
@require_POST
@domain_errors
def case_status(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "status", lambda: services.case_set_status(
        actor=request.user, case_id=pk, expected_version=_version(request),
        status=request.POST.get("status", "")), _("Case step changed."))


@login_required
@require_POST
@domain_errors
def case_closure_request(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "closure_request", lambda: services.case_request_closure(
        actor=request.user, case_id=pk, reason=request.POST.get("reason", ""),
        note=request.POST.get("note", "")), _("Closure requested: a supervisor decides."))


@login_required
@require_POST
@domain_errors
def case_closure_decide(request: HttpRequest, pk: int) -> HttpResponse:
    decision = request.POST.get("decision", "")

    def decide() -> Any:
        if decision not in ("approve", "return"):
            raise ValidationFailed.single("decision", _("Approve or return the request."))
        return services.case_decide_closure(actor=request.user, case_id=pk,
                                            approve=decision == "approve",
                                            comment=request.POST.get("comment", ""))

    done = _("Case closed.") if decision == "approve" else _("Closure request returned.")
    return _act(request, pk, "closure_decide", decide, done)


@login_required
@require_POST
@domain_errors
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "reopen", lambda: services.case_reopen(
        actor=request.user, case_id=pk, reason=request.POST.get("reason", ""),
        status=request.POST.get("status") or Status.FOLLOW_UP), _("Case reopened."))


@login_required
@require_POST
@domain_errors
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    def assign() -> Any:
        user_id = int_or_none(request.POST.get("user_id"))
        if user_id is None:
            raise ValidationFailed.single("user_id", _("Choose a caseworker."))
        return services.case_assign(actor=request.user, case_id=pk, user_id=user_id)

    return _act(request, pk, "assign", assign, _("Case assigned."))
