"""Sharing pages, mounted at ``/sharing/``: a case's consents, referrals and transfers;
incoming and outgoing referrals; the referral page with its answers; transfers awaiting a
decision; emergency (break-glass) access and its review; the user's notifications; the
shared record a receiving agency reads; and the data-subject requests (export of the
child's record, correction requests).

Thin adapters over ``referrals.selectors``, ``referrals.services`` and
``referrals.subject_requests``. Every POST either redirects (POST/redirect/GET) or shows
the same page again with each message next to its field and everything typed kept
(status 400; 409 on a conflict). ``NotFound`` is a 404 — a record the user may not see is
indistinguishable from one that does not exist — and ``NotAllowed`` a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bridgeway.access import policy, sectors
from bridgeway.access.policy import Category, Perm
from bridgeway.accounts.models import Agency
from bridgeway.cases.selectors import agency_caseworkers
from bridgeway.core.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.referrals import grants, selectors, services, subject_requests
from bridgeway.referrals.models import (
    ConsentGiver,
    ConsentPurpose,
    CorrectionRequester,
    ReferralStatus,
)
from bridgeway.referrals.services._common import break_glass_hours, min_reason_length
from bridgeway.registry import age
from bridgeway.web.views.base import domain_errors, safe_next

Errors = dict[str, list[str]]

CATEGORY_CHOICES = [(str(c), label) for c, label in (
    (Category.IDENTITY, gettext_lazy("Identity")),
    (Category.CONTACT_LOCATION, gettext_lazy("Contact and location")),
    (Category.FAMILY, gettext_lazy("Family")),
    (Category.HEALTH, gettext_lazy("Health")),
    (Category.PSYCHOSOCIAL, gettext_lazy("Psychosocial")),
    (Category.EDUCATION, gettext_lazy("Education")),
    (Category.JUSTICE, gettext_lazy("Justice")),
    (Category.ASSOCIATION_HISTORY, gettext_lazy("Association history")),
    (Category.PROTECTION_CONCERNS, gettext_lazy("Protection concerns")),
    (Category.CASE_MANAGEMENT, gettext_lazy("Case management")),
)]
FIELD_LABELS: dict[str, Any] = {
    "kind": gettext_lazy("For"), "given_by": gettext_lazy("Who consents"),
    "family_member_id": gettext_lazy("Legal guardian"),
    "child_assent": gettext_lazy("The child assents"),
    "child_views": gettext_lazy("The child's views"),
    "caregiver_involvement": gettext_lazy("How the caregiver was involved"),
    "override_reason": gettext_lazy("Best-interests reason"),
    "categories": gettext_lazy("Data shared"), "purpose": gettext_lazy("Purpose"),
    "receiving_agency_id": gettext_lazy("Receiving agency"),
    "receiving_service": gettext_lazy("Or a service outside Bridgeway"),
    "service_name": gettext_lazy("Or a service outside Bridgeway"),
    "consented_on": gettext_lazy("Consent given on"),
    "valid_until": gettext_lazy("Valid until"), "consent_id": gettext_lazy("Consent"),
    "plan_action_id": gettext_lazy("Plan action"),
    "respond_by": gettext_lazy("Answer needed by"),
    "access_until": gettext_lazy("Access until"), "reason": gettext_lazy("Reason"),
    "withdrawn_on": gettext_lazy("Withdrawn on"), "note": gettext_lazy("Note"),
    "to_agency_id": gettext_lazy("To agency"),
    "retain_access": gettext_lazy("Keep read access"),
    "retained_categories": gettext_lazy("Data kept"),
    "retained_until": gettext_lazy("Kept until"), "assign_to": gettext_lazy("Assign to"),
    "user_id": gettext_lazy("Assign to"), "service_type": gettext_lazy("Service"),
    "delivered_on": gettext_lazy("Delivered on"), "outcome": gettext_lazy("Outcome"),
    "case_number": gettext_lazy("Case number"),
    "requested_by": gettext_lazy("Who asks"), "category": gettext_lazy("Part of the record"),
    "item": gettext_lazy("What is concerned"),
    "statement": gettext_lazy("What they say is wrong"),
    "requested_change": gettext_lazy("What they ask for instead"),
    "received_on": gettext_lazy("Request received on"),
    "decision": gettext_lazy("Decision"),
}
CONSENT_FIELDS = ("kind", "given_by", "family_member_id", "child_assent", "child_views",
                  "caregiver_involvement", "override_reason", "purpose",
                  "receiving_agency_id", "receiving_service", "consented_on", "valid_until")
REFERRAL_FIELDS = ("consent_id", "purpose", "receiving_agency_id", "service_name",
                   "plan_action_id", "respond_by", "access_until")
TRANSFER_FIELDS = ("consent_id", "to_agency_id", "reason", "retain_access",
                   "retained_until")
CORRECTION_FIELDS = ("requested_by", "family_member_id", "category", "item", "statement",
                     "requested_change", "received_on")


# --- helpers -----------------------------------------------------------------------------

def _values(request: HttpRequest, names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in names}


def _attempt(action: Callable[[], Any]) -> tuple[Errors, int] | None:
    """Run one operation; None on success, else the messages and the HTTP status."""
    try:
        action()
    except (NotFound, NotAllowed):
        raise
    except ValidationFailed as exc:
        return exc.errors, 400
    except Conflict as exc:
        return {"__all__": [exc.message]}, 409
    except DomainError as exc:
        return {"__all__": [exc.message]}, 400
    return None


def _other_agencies(exclude_id: int) -> list[Agency]:
    return list(Agency.objects.filter(active=True).exclude(pk=exclude_id).order_by("name"))


def _page(request: HttpRequest, template: str, context: dict[str, Any],
          status: int = 200) -> HttpResponse:
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.setdefault("field_labels", FIELD_LABELS)
    context.setdefault("category_choices", CATEGORY_CHOICES)
    return render(request, template, context, status=status)


def _agency_user_or_404(user: Any) -> None:
    if not grants._agency_user(user):
        raise NotFound()


# --- a case's sharing -------------------------------------------------------------------------

@login_required
@require_GET
@domain_errors
def case_sharing(request: HttpRequest, case_id: int) -> HttpResponse:
    data = selectors.case_sharing(actor=request.user, case_id=case_id)
    return _sharing_page(request, data)


def _sharing_page(request: HttpRequest, data: selectors.CaseSharing, *, form: str = "",
                  errors: Errors | None = None, values: dict[str, str] | None = None,
                  status: int = 200) -> HttpResponse:
    return _page(request, "referrals/case_sharing.html", {
        "s": data, "case": data.case, "today": timezone.localdate(), "form": form,
        "errors": errors or {}, "values": values or {},
        "sees_family": Category.FAMILY in policy.categories_for(request.user, data.case),
    }, status)


def _consent_context(request: HttpRequest, case: Any) -> dict[str, Any]:
    sees = policy.categories_for(request.user, case)
    family = list(case.child.family.all()) if Category.FAMILY in sees else []
    return {
        "case": case, "family": family,
        "child_age": age.age_on(case.child.youngest_birth_date, timezone.localdate()),
        "consent_age": services.CONSENT_AGE, "givers": ConsentGiver.choices,
        "kinds": ConsentPurpose.choices, "agencies": _other_agencies(case.owning_agency_id),
        "min_reason": min_reason_length(),
        "assent_choices": [("true", _("Yes")), ("false", _("No"))],
        "override_hint": _("A supervisor's best-interests decision only; at least %(n)d "
                           "characters.") % {"n": min_reason_length()},
    }


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def consent_new(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _owned_case(request, case_id)
    context = _consent_context(request, case)
    if request.method == "GET":
        context["values"] = {"kind": request.GET.get("kind", ConsentPurpose.REFERRAL)}
        return _page(request, "referrals/consent_form.html", context)
    values = _values(request, CONSENT_FIELDS)
    chosen = request.POST.getlist("categories")
    data = services.ConsentInput(**{**values, "categories": chosen})
    try:
        failed = _attempt(lambda: services.consent_record(actor=request.user,
                                                          case_id=case.pk, data=data))
    except NotAllowed as exc:  # a caseworker chose the supervisor's best-interests decision
        failed = ({"given_by": [exc.message]}, 403)
    if failed is None:
        messages.success(request, _("Consent recorded."))
        return redirect("sharing:case", case_id=case.pk)
    context.update(errors=failed[0], values=values, chosen=chosen)
    return _page(request, "referrals/consent_form.html", context, failed[1])


def _owned_case(request: HttpRequest, case_id: int) -> Any:
    """The case for the owning agency's caseworker or supervisor who may edit it; 404 for
    anyone who cannot see it, 403 for those who see it without editing it."""
    user: Any = request.user
    case = policy.case_for(user, pk=case_id)
    if case.owning_agency_id != user.agency_id or not policy.can(user, Perm.EDIT, case):
        raise NotAllowed(_("Only the owning agency's caseworker or supervisor may do this."))
    return case


def _withdrawable_consent(user: Any, consent_id: int) -> Any:
    """The consent, for the users who may record its withdrawal (the owning agency, and a
    receiving user whose access rests on it); 404 for anyone else."""
    from bridgeway.referrals.models import Consent

    consent = Consent.objects.select_related("case", "receiving_agency").filter(
        pk=consent_id).first()
    if consent is None or not policy.can(user, Perm.VIEW, consent.case):
        raise NotFound()
    if consent.case.owning_agency_id != user.agency_id and not grants.referrals_granting(
            user).filter(consent_id=consent.pk).exists():
        raise NotFound()
    return consent


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def consent_withdraw(request: HttpRequest, consent_id: int) -> HttpResponse:
    user: Any = request.user
    consent = _withdrawable_consent(user, consent_id)
    owner = consent.case.owning_agency_id == user.agency_id
    values = _values(request, ("reason", "withdrawn_on"))
    errors: Errors = {}
    status = 200
    if request.method == "POST":
        failed = _attempt(lambda: services.consent_withdraw(
            actor=request.user, consent_id=consent.pk, reason=values["reason"],
            withdrawn_on=values["withdrawn_on"]))
        if failed is None:
            messages.success(request, _("Consent withdrawn: the sharing that rested on it "
                                        "has ended."))
            if owner:
                return redirect("sharing:case", case_id=consent.case_id)
            return redirect("sharing:incoming")
        errors, status = failed
    return _page(request, "referrals/consent_withdraw.html", {
        "consent": consent, "owner": owner, "errors": errors, "values": values}, status)


@login_required
@require_POST
@domain_errors
def consent_review(request: HttpRequest, consent_id: int) -> HttpResponse:
    from bridgeway.referrals.models import Consent

    case_id = Consent.objects.filter(pk=consent_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound()
    values = _values(request, ("note",))
    failed = _attempt(lambda: services.consent_review_withdrawal(
        actor=request.user, consent_id=consent_id, note=values["note"]))
    if failed is None:
        messages.success(request, _("Review of the withdrawal recorded."))
        return redirect("sharing:case", case_id=case_id)
    data = selectors.case_sharing(actor=request.user, case_id=case_id)
    return _sharing_page(request, data, form=f"review-{consent_id}", errors=failed[0],
                         values=values, status=failed[1])


# --- referrals ---------------------------------------------------------------------------------

def _plan_actions(user: Any, case: Any) -> list[tuple[str, str]]:
    if Category.CASE_MANAGEMENT not in policy.categories_for(user, case):
        return []
    from bridgeway.care.selectors import current_goals

    return [(str(a.lineage_id), f"{g.position}.{a.position} {a.text}"[:120])
            for g in current_goals(case.pk) for a in g.actions.all()]


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def referral_new(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _owned_case(request, case_id)
    consents = list(selectors.consents_usable(actor=request.user, case_id=case.pk))
    context: dict[str, Any] = {"case": case, "consents": consents,
                               "agencies": _other_agencies(case.owning_agency_id),
                               "plan_actions": _plan_actions(request.user, case)}
    if request.method == "GET":
        values = {"consent_id": request.GET.get("consent", ""),
                  "plan_action_id": request.GET.get("action", "")}
        chosen: list[str] = []
        picked = next((c for c in consents if str(c.pk) == values["consent_id"]), None)
        if picked is not None:
            values.update(receiving_agency_id=str(picked.receiving_agency_id or ""),
                          service_name=picked.receiving_service, purpose=picked.purpose)
            chosen = list(picked.categories)
        context.update(values=values, chosen=chosen)
        return _page(request, "referrals/referral_form.html", context)
    values = _values(request, REFERRAL_FIELDS)
    chosen = request.POST.getlist("categories")
    data = services.ReferralInput(**{**values, "categories": chosen})
    made: list[Any] = []
    failed = _attempt(lambda: made.append(services.referral_create(
        actor=request.user, case_id=case.pk, data=data)))
    if failed is None:
        messages.success(request, _("Referral sent."))
        return redirect("sharing:referral", referral_id=made[0].pk)
    context.update(errors=failed[0], values=values, chosen=chosen)
    return _page(request, "referrals/referral_form.html", context, failed[1])


@login_required
@require_GET
def referrals_incoming(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    rows = selectors.referrals_incoming(actor=request.user, status=status or None)
    return _page(request, "referrals/referral_list.html", {
        "rows": rows, "incoming": True, "status": status,
        "statuses": ReferralStatus.choices,
        "agency_user": grants._agency_user(request.user)})


@login_required
@require_GET
def referrals_outgoing(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status and status not in ReferralStatus.values:
        status = ""
    rows = selectors.referrals_outgoing(actor=request.user, status=status or None)
    return _page(request, "referrals/referral_list.html", {
        "rows": rows, "incoming": False, "status": status,
        "statuses": ReferralStatus.choices,
        "agency_user": grants._agency_user(request.user)})


def _referral_page(request: HttpRequest, referral_id: int, *, form: str = "",
                   errors: Errors | None = None, values: dict[str, str] | None = None,
                   status: int = 200) -> HttpResponse:
    from bridgeway.referrals.models import Referral

    detail = selectors.referral_detail(actor=request.user, referral_id=referral_id)
    supervisor = getattr(request.user, "role", "") == "supervisor"
    assignable = (list(agency_caseworkers(actor=request.user))
                  if detail.may_assign or (detail.may_accept and supervisor) else [])
    row = Referral.objects.filter(pk=referral_id).values("case_id", "consent_id").get()
    return _page(request, "referrals/referral_detail.html", {
        "d": detail, "r": detail.referral, "assignable": assignable,
        "assignable_choices": [(str(u.pk), str(u)) for u in assignable],
        # Links only for those who may follow them: the case, when visible; the
        # consent's withdrawal, for a receiver whose access rests on it.
        "case_id": row["case_id"] if detail.referral.case_number else None,
        "consent_id": row["consent_id"] if detail.may_report_service else None,
        "form": form,
        "errors": errors or {}, "values": values or {}, "today": timezone.localdate(),
    }, status)


@login_required
@require_GET
@domain_errors
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    return _referral_page(request, referral_id)


REFERRAL_ACTIONS: dict[str, tuple[tuple[str, ...], Any]] = {
    "accept": (("assign_to",), gettext_lazy("Referral accepted.")),
    "decline": (("reason",), gettext_lazy("Referral declined.")),
    "assign": (("user_id",), gettext_lazy("Referral assigned.")),
    "report": (("service_type", "delivered_on", "outcome"),
               gettext_lazy("Service reported.")),
    "close": (("note",), gettext_lazy("Referral closed.")),
    "withdraw": (("reason",), gettext_lazy("Referral withdrawn: access has ended.")),
}


def _referral_call(user: Any, referral_id: int, action: str, v: dict[str, str]) -> Any:
    if action == "accept":
        return services.referral_accept(actor=user, referral_id=referral_id,
                                        assign_to_id=v["assign_to"])
    if action == "decline":
        return services.referral_decline(actor=user, referral_id=referral_id,
                                         reason=v["reason"])
    if action == "assign":
        return services.referral_assign(actor=user, referral_id=referral_id,
                                        user_id=v["user_id"])
    if action == "report":
        return services.referral_report_service(
            actor=user, referral_id=referral_id, service_type=v["service_type"],
            delivered_on=v["delivered_on"], outcome=v["outcome"])
    if action == "close":
        return services.referral_close(actor=user, referral_id=referral_id, note=v["note"])
    return services.referral_withdraw(actor=user, referral_id=referral_id,
                                      reason=v["reason"])


@login_required
@require_POST
@domain_errors
def referral_act(request: HttpRequest, referral_id: int, action: str) -> HttpResponse:
    if action not in REFERRAL_ACTIONS:
        raise NotFound()
    names, done = REFERRAL_ACTIONS[action]
    values = _values(request, names)
    failed = _attempt(lambda: _referral_call(request.user, referral_id, action, values))
    if failed is None:
        messages.success(request, str(done))
        try:
            selectors.referral_detail(actor=request.user, referral_id=referral_id)
        except NotFound:  # e.g. declined: the receiving caseworker no longer sees it
            return redirect("sharing:incoming")
        return redirect("sharing:referral", referral_id=referral_id)
    return _referral_page(request, referral_id, form=action, errors=failed[0],
                          values=values, status=failed[1])


@login_required
@require_GET
@domain_errors
def shared_record(request: HttpRequest, case_id: int) -> HttpResponse:
    record = selectors.shared_case_record(actor=request.user, case_id=case_id)
    labels = dict(CATEGORY_CHOICES)
    sections = [(label, cat, record.sections[Category(cat)])
                for cat, label in CATEGORY_CHOICES if Category(cat) in record.sections]
    return _page(request, "referrals/shared_record.html", {
        "record": record, "sections": sections,
        "categories": [labels.get(str(c), str(c)) for c in sorted(record.categories)]})


# --- transfers ----------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def transfer_new(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _owned_case(request, case_id)
    if getattr(request.user, "role", "") != "supervisor":
        raise NotAllowed(_("Only a supervisor of the owning agency proposes a transfer."))
    consents = list(selectors.consents_usable(actor=request.user, case_id=case.pk,
                                              kind=ConsentPurpose.TRANSFER))
    context: dict[str, Any] = {"case": case, "consents": consents,
                               "agencies": _other_agencies(case.owning_agency_id)}
    if request.method == "GET":
        context["values"] = {"consent_id": request.GET.get("consent", "")}
        return _page(request, "referrals/transfer_form.html", context)
    values = _values(request, TRANSFER_FIELDS)
    kept = request.POST.getlist("retained_categories")
    data = services.TransferInput(**{**values, "retain_access": values["retain_access"] or
                                     "false", "retained_categories": kept})
    failed = _attempt(lambda: services.transfer_propose(actor=request.user, case_id=case.pk,
                                                        data=data))
    if failed is None:
        messages.success(request, _("Transfer proposed: the receiving agency's supervisor "
                                    "decides."))
        return redirect("sharing:case", case_id=case.pk)
    context.update(errors=failed[0], values=values, chosen=kept)
    return _page(request, "referrals/transfer_form.html", context, failed[1])


def _transfers_page(request: HttpRequest, *, form: str = "", errors: Errors | None = None,
                    values: dict[str, str] | None = None, status: int = 200) -> HttpResponse:
    rows = selectors.transfers_incoming(actor=request.user)
    assignable = list(agency_caseworkers(actor=request.user)) if rows else []
    return _page(request, "referrals/transfers_incoming.html", {
        "rows": rows, "assignable_choices": [(str(u.pk), str(u)) for u in assignable],
        "form": form, "errors": errors or {}, "values": values or {},
        "is_supervisor": grants._agency_user(request.user)
        and getattr(request.user, "role", "") == "supervisor"}, status)


@login_required
@require_GET
def transfers_incoming(request: HttpRequest) -> HttpResponse:
    return _transfers_page(request)


@login_required
@require_POST
@domain_errors
def transfer_act(request: HttpRequest, transfer_id: int, action: str) -> HttpResponse:
    values = _values(request, ("assign_to", "reason"))
    user = request.user
    calls: dict[str, Callable[[], Any]] = {
        "accept": lambda: services.transfer_accept(actor=user, transfer_id=transfer_id,
                                                   assign_to_id=values["assign_to"]),
        "decline": lambda: services.transfer_decline(actor=user, transfer_id=transfer_id,
                                                     reason=values["reason"]),
        "cancel": lambda: services.transfer_cancel(actor=user, transfer_id=transfer_id,
                                                   reason=values["reason"]),
    }
    if action not in calls:
        raise NotFound()
    done: list[Any] = []
    failed = _attempt(lambda: done.append(calls[action]()))
    if failed is None:
        transfer = done[0]
        if action == "accept":
            messages.success(request, _("Transfer accepted: the case is now your agency's."))
            return redirect("web:case_detail", pk=transfer.case_id)
        if action == "cancel":
            messages.success(request, _("Transfer cancelled."))
            return redirect("sharing:case", case_id=transfer.case_id)
        messages.success(request, _("Transfer declined."))
        return redirect("sharing:transfers_incoming")
    if action == "cancel":
        from bridgeway.referrals.models import Transfer

        case_id = Transfer.objects.filter(pk=transfer_id).values_list("case_id",
                                                                      flat=True).first()
        if case_id is None:
            raise NotFound()
        data = selectors.case_sharing(actor=user, case_id=case_id)
        return _sharing_page(request, data, form=f"cancel-{transfer_id}", errors=failed[0],
                             values=values, status=failed[1])
    return _transfers_page(request, form=f"{action}-{transfer_id}", errors=failed[0],
                           values=values, status=failed[1])


# --- break-glass ----------------------------------------------------------------------------------

def _break_glass_page(request: HttpRequest, *, errors: Errors | None = None,
                      values: dict[str, str] | None = None, status: int = 200
                      ) -> HttpResponse:
    now = timezone.now()
    uses = list(selectors.break_glass_mine(actor=request.user)[:50])
    hours = break_glass_hours()
    return _page(request, "referrals/break_glass.html", {
        "uses": uses, "now": now, "hours": int(hours) if hours == int(hours) else hours,
        "reason_hint": _("Why this is an emergency, at least %(n)d characters.")
        % {"n": min_reason_length()}, "errors": errors or {}, "values": values or {},
        "categories": sorted(sectors.standing_for(request.user)),
        "active_ids": {u.pk for u in uses if u.is_active(now)}}, status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def break_glass(request: HttpRequest) -> HttpResponse:
    if not grants.may_break_glass(request.user):
        raise PermissionDenied(_("Your role does not allow emergency (break-glass) access."))
    if request.method == "GET":
        return _break_glass_page(request)
    values = _values(request, ("case_number", "reason"))
    opened: list[Any] = []
    try:
        failed = _attempt(lambda: opened.append(services.break_glass_open(
            actor=request.user, reason=values["reason"], case_number=values["case_number"])))
    except NotFound:
        failed = ({"case_number": [_("No case with this number.")]}, 400)
    if failed is None:
        use = opened[0]
        until = timezone.localtime(use.expires_at)
        messages.warning(request, _("Emergency access until %(until)s. Everything you open "
                                    "is recorded; the case's supervisors and the auditors "
                                    "have been told.") % {"until": f"{until:%Y-%m-%d %H:%M}"})
        return redirect("web:case_detail", pk=use.case_id)
    return _break_glass_page(request, errors=failed[0], values=values, status=failed[1])


@login_required
@require_POST
@domain_errors
def break_glass_end(request: HttpRequest, use_id: int) -> HttpResponse:
    failed = _attempt(lambda: services.break_glass_end(actor=request.user,
                                                       break_glass_id=use_id))
    if failed is None:
        messages.success(request, _("Emergency access ended."))
        return redirect("sharing:break_glass")
    return _break_glass_page(request, errors=failed[0], status=failed[1])


def _review_page(request: HttpRequest, *, form: str = "", errors: Errors | None = None,
                 values: dict[str, str] | None = None, status: int = 200) -> HttpResponse:
    unreviewed = request.GET.get("unreviewed") == "1"
    active = request.GET.get("active") == "1"
    uses = list(selectors.break_glass_uses(actor=request.user, unreviewed_only=unreviewed,
                                           active_only=active)[:200])
    return _page(request, "referrals/break_glass_review.html", {
        "uses": uses, "now": timezone.now(), "unreviewed": unreviewed, "active": active,
        "may_review": policy.may_read_audit(request.user), "form": form,
        "errors": errors or {}, "values": values or {}}, status)


@login_required
@require_GET
@domain_errors
def break_glass_review_list(request: HttpRequest) -> HttpResponse:
    return _review_page(request)


@login_required
@require_POST
@domain_errors
def break_glass_review(request: HttpRequest, use_id: int) -> HttpResponse:
    values = _values(request, ("note",))
    failed = _attempt(lambda: services.break_glass_review(
        actor=request.user, break_glass_id=use_id, note=values["note"]))
    if failed is None:
        messages.success(request, _("Review recorded."))
        return redirect(safe_next(request, reverse("sharing:break_glass_review")))
    return _review_page(request, form=f"review-{use_id}", errors=failed[0], values=values,
                        status=failed[1])


# --- notifications ------------------------------------------------------------------------------

LINKS: dict[str, str] = {"referral": "sharing:referral"}


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.notifications_for(actor=request.user)[:200])
    for note in rows:
        note.link = _notification_link(request.user, note)  # type: ignore[attr-defined]
    return _page(request, "referrals/notifications.html", {"rows": rows})


def _notification_link(user: Any, note: Any) -> str:
    """Where a notification points to; the page itself decides access again."""
    if note.object_type == "referral" and note.object_id.isdecimal():
        return reverse("sharing:referral", kwargs={"referral_id": int(note.object_id)})
    if note.object_type == "transfer" and getattr(user, "role", "") == "supervisor":
        return reverse("sharing:transfers_incoming")
    if note.object_type == "breakglass":
        return reverse("sharing:break_glass_review")
    if note.kind == "audit_chain_broken":
        return reverse("web:audit_log")
    return ""


@login_required
@require_POST
@domain_errors
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    services.notification_mark_read(actor=request.user, notification_id=notification_id)
    return redirect("sharing:notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(actor=request.user)
    messages.success(request, _("All notifications marked as read."))
    return redirect("sharing:notifications")


# --- data-subject requests ----------------------------------------------------------------------

@login_required
@require_GET
@domain_errors
def subject_export(request: HttpRequest, case_id: int) -> HttpResponse:
    export = subject_requests.subject_export(actor=request.user, case_id=case_id, fmt="html")
    return _page(request, "referrals/subject_export.html", {"x": export, "case_id": case_id})


@login_required
@require_GET
@domain_errors
def subject_export_json(request: HttpRequest, case_id: int) -> HttpResponse:
    export = subject_requests.subject_export(actor=request.user, case_id=case_id, fmt="json")
    response = JsonResponse(export.as_json(), json_dumps_params={"ensure_ascii": False,
                                                                 "indent": 1})
    response["Content-Disposition"] = (f'attachment; filename="record-{export.child_public_id}'
                                       '.json"')
    response["Cache-Control"] = "no-store"
    return response


def _corrections_page(request: HttpRequest, case_id: int, *, form: str = "",
                      errors: Errors | None = None, values: dict[str, str] | None = None,
                      status: int = 200) -> HttpResponse:
    rows = subject_requests.corrections_for_case(actor=request.user, case_id=case_id)
    case = policy.case_for(request.user, pk=case_id)
    sees = {str(c) for c in policy.categories_for(request.user, case)}
    return _page(request, "referrals/corrections.html", {
        "case": case, "rows": rows, "requesters": CorrectionRequester.choices,
        "family": list(case.child.family.all()) if "family" in sees else [],
        "categories_held": [(v, label) for v, label in CATEGORY_CHOICES if v in sees],
        "form": form, "errors": errors or {}, "values": values or {}}, status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def corrections(request: HttpRequest, case_id: int) -> HttpResponse:
    if request.method == "GET":
        return _corrections_page(request, case_id)
    values = _values(request, CORRECTION_FIELDS)
    failed = _attempt(lambda: subject_requests.correction_request_record(
        actor=request.user, case_id=case_id,
        data=subject_requests.CorrectionInput(**values)))
    if failed is None:
        messages.success(request, _("Correction request recorded."))
        return redirect("sharing:corrections", case_id=case_id)
    return _corrections_page(request, case_id, form="new", errors=failed[0], values=values,
                             status=failed[1])


@login_required
@require_POST
@domain_errors
def correction_decide(request: HttpRequest, correction_id: int) -> HttpResponse:
    from bridgeway.referrals.models import CorrectionRequest

    case_id = (CorrectionRequest.objects.filter(pk=correction_id)
               .values_list("case_id", flat=True).first())
    if case_id is None:
        raise NotFound()
    values = _values(request, ("decision", "reason"))
    accept = {"accept": True, "reject": False}.get(values["decision"])
    failed = _attempt(lambda: subject_requests.correction_request_decide(
        actor=request.user, correction_id=correction_id, accept=accept,
        reason=values["reason"]))
    if failed is None:
        if accept:
            messages.success(request, _("Correction accepted: now make the change with Edit "
                                        "on the case, so it has its own history."))
            return redirect("web:case_edit", pk=case_id)
        messages.success(request, _("Correction rejected; the reason is kept with the "
                                    "request."))
        return redirect("sharing:corrections", case_id=case_id)
    return _corrections_page(request, case_id, form=f"decide-{correction_id}",
                             errors=failed[0], values=values, status=failed[1])

