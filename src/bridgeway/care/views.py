"""Care pages, mounted at ``/care/``: the case's care overview (assessments by purpose,
plan goals and actions, services, reviews, approvals) and the decision page of a plan,
best-interests determination or closure. Thin adapters over ``care.selectors`` and
``care.services``; forms are filled and shown by the forms pages (``/forms/…``).

Every POST either redirects back (POST/redirect/GET) or shows the page again with the
message by the form that failed and what the user typed, status 400 (409 on a conflict).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bridgeway.access.policy import Perm
from bridgeway.care import selectors, services
from bridgeway.care.models import ActionStatus, GoalDomain, GoalStatus, ServiceType
from bridgeway.core.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.forms.models import Purpose
from bridgeway.web.views.base import domain_errors, int_or_none

SERVICE_FIELDS = ("service_type", "description", "provider_agency", "provider_name",
                  "start_date", "end_date", "outcome", "action")
REVIEW_FIELDS = ("reviewed_on", "summary", "child_views", "child_views_weight",
                 "plan_change_needed", "next_review_on")
FIELD_LABELS = {
    "service_type": gettext_lazy("Service"), "description": gettext_lazy("Description"),
    "provider_agency": gettext_lazy("Provider agency"),
    "provider_name": gettext_lazy("Provider name"), "start_date": gettext_lazy("Start date"),
    "end_date": gettext_lazy("End date"), "outcome": gettext_lazy("Outcome"),
    "action": gettext_lazy("Plan action"), "reviewed_on": gettext_lazy("Date of the review"),
    "summary": gettext_lazy("Progress and decisions"),
    "child_views": gettext_lazy("What the child said"),
    "child_views_weight": gettext_lazy("How the child's views were taken into account"),
    "plan_change_needed": gettext_lazy("The plan needs to change"),
    "next_review_on": gettext_lazy("Next review"), "status": gettext_lazy("Status"),
    "comment": gettext_lazy("Comment"), "decision": gettext_lazy("Decision"),
}


def _overview(request: HttpRequest, case_id: int, *, form: str = "",
              errors: dict[str, list[str]] | None = None,
              values: dict[str, str] | None = None, status: int = 200) -> HttpResponse:
    data = selectors.care_overview(actor=request.user, case_id=case_id)
    can = {str(p) for p in data.perms}
    return render(request, "care/overview.html", {
        "o": data, "case": data.case, "can": can, "today": timezone.localdate(),
        "may_edit": Perm.EDIT in data.perms,
        "may_approve": Perm.APPROVE_CLOSURE in data.perms,
        "plan_purpose": Purpose.REINTEGRATION_PLAN,
        "psychosocial_purpose": Purpose.PSYCHOSOCIAL_ASSESSMENT,
        "goal_statuses": GoalStatus.choices, "action_statuses": ActionStatus.choices,
        "service_types": ServiceType.choices,
        "domain_labels": dict(GoalDomain.choices), "goal_labels": dict(GoalStatus.choices),
        "action_labels": dict(ActionStatus.choices), "field_labels": FIELD_LABELS,
        "form": form, "form_errors": errors or {}, "form_values": values or {},
    }, status=status)


def _post_values(request: HttpRequest, names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in names}


def _act(request: HttpRequest, case_id: int, form: str, action: Callable[[], Any],
         done: str, values: dict[str, str] | None = None) -> HttpResponse:
    try:
        action()
    except (NotFound, NotAllowed):
        raise
    except ValidationFailed as exc:
        errors, status = exc.errors, 400
    except Conflict as exc:
        errors, status = {"__all__": [exc.message]}, 409
    except DomainError as exc:
        errors, status = {"__all__": [exc.message]}, 400
    else:
        messages.success(request, done)
        return redirect("care:overview", case_id=case_id)
    return _overview(request, case_id, form=form, errors=errors, values=values, status=status)


@login_required
@require_GET
@domain_errors
def overview(request: HttpRequest, case_id: int) -> HttpResponse:
    return _overview(request, case_id)


@login_required
@require_POST
@domain_errors
def service_add(request: HttpRequest, case_id: int) -> HttpResponse:
    values = _post_values(request, SERVICE_FIELDS)
    return _act(request, case_id, "service", lambda: services.service_record(
        actor=request.user, case_id=case_id, data=values), _("Service recorded."), values)


@login_required
@require_POST
@domain_errors
def review_add(request: HttpRequest, case_id: int) -> HttpResponse:
    values = _post_values(request, REVIEW_FIELDS)
    data = {**values, "plan_change_needed": values["plan_change_needed"] or "false"}
    return _act(request, case_id, "review", lambda: services.plan_review_record(
        actor=request.user, case_id=case_id, data=data), _("Plan review recorded."), values)


@login_required
@require_POST
@domain_errors
def action_status(request: HttpRequest, case_id: int, action_id: int) -> HttpResponse:
    return _act(request, case_id, f"action-{action_id}", lambda: services.plan_action_set_status(
        actor=request.user, action_id=action_id, status=request.POST.get("status", ""),
        case_id=case_id), _("Action status changed."))


@login_required
@require_POST
@domain_errors
def goal_status(request: HttpRequest, case_id: int, goal_id: int) -> HttpResponse:
    return _act(request, case_id, f"goal-{goal_id}", lambda: services.plan_goal_set_status(
        actor=request.user, goal_id=goal_id, status=request.POST.get("status", ""),
        case_id=case_id), _("Goal status changed."))


@login_required
@require_POST
@domain_errors
def approval_request(request: HttpRequest, case_id: int, record_id: int) -> HttpResponse:
    def send() -> Any:
        return services.approval_request(actor=request.user, record_id=record_id,
                                         note=request.POST.get("note", ""), case_id=case_id)

    return _act(request, case_id, f"send-{record_id}", send,
                _("Sent to a supervisor for approval."))


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def decision(request: HttpRequest, record_id: int) -> HttpResponse:
    """The record's child's views and approval history; approve or return it."""
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        choice = request.POST.get("decision", "")
        try:
            if choice not in ("approve", "return"):
                raise ValidationFailed.single("decision", _("Approve or return the record."))
            approval = services.approval_decide(
                actor=request.user, record_id=record_id, approve=choice == "approve",
                comment=request.POST.get("comment", ""),
                expected_version=int_or_none(request.POST.get("version")))
        except (NotFound, NotAllowed):
            raise
        except ValidationFailed as exc:
            errors, status = exc.errors, 400
        except Conflict as exc:
            errors, status = {"__all__": [exc.message + " " + _(
                "The page now shows the current record: check it and decide again.")]}, 409
        except DomainError as exc:
            errors, status = {"__all__": [exc.message]}, 400
        else:
            messages.success(request, _("Approved.") if choice == "approve"
                             else _("Returned for changes."))
            return redirect("care:overview", case_id=approval.case_id)
    view = selectors.record_decision(actor=request.user, record_id=record_id)
    return render(request, "care/decision.html", {
        "d": view, "record": view.record, "case": view.record.case,
        "purpose_label": dict(Purpose.choices).get(view.purpose, view.purpose),
        "errors": errors, "comment": request.POST.get("comment", "")}, status=status)
