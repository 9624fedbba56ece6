"""Justice pages: the justice record of a case, the forms that write it, the "children
deprived of liberty" list and the jurisdiction rules. Thin: each view calls one selector
or service and renders; refusals come back with the messages by their fields and the
input kept.

Times on forms are the local wall-clock time of the facility (or of the zone chosen on
the event form); the view turns them into aware datetimes (``inputs.local_to_aware``)
before the service sees them, and pages show stored UTC times on the same clocks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bridgeway.access.policy import Category
from bridgeway.accounts.models import JUSTICE_SECTORS, Agency
from bridgeway.core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.justice import access, selectors, services
from bridgeway.justice import models as m
from bridgeway.justice.adapters import FIGURES, RuleBook
from bridgeway.justice.inputs import is_zone, local_parts, local_to_aware
from bridgeway.justice.rules import DEFAULTS

View = Callable[..., HttpResponse]


def domain_errors(view: View) -> View:
    """NotFound -> 404, NotAllowed -> 403, wherever in the view they are raised."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404("Not found.") from exc
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc

    return wrapper


# ---------------------------------------------------------------- form fields

TRISTATE: list[tuple[str, Any]] = [("", gettext_lazy("Not recorded")), ("yes", gettext_lazy("Yes")),
            ("no", gettext_lazy("No"))]


@dataclass
class Field:
    name: str
    label: str
    kind: str = "text"  # text | textarea | select | datetime | date | number
    choices: list[tuple[str, Any]] = field(default_factory=list)  # labels may be lazy
    help: str = ""
    value: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"f-{self.name}"


def _fields(spec: Iterable[Field], values: Mapping[str, Any],
            errors: Mapping[str, list[str]]) -> list[Field]:
    out = []
    for f in spec:
        f.value = "" if values.get(f.name) is None else str(values.get(f.name))
        f.errors = [msg for key, msgs in errors.items()
                    if key.split("[")[0] == f.name for msg in msgs]
        out.append(f)
    return out


def _general_errors(spec: Iterable[Field], errors: Mapping[str, list[str]]) -> list[str]:
    names = {f.name for f in spec}
    return [msg for key, msgs in errors.items() if key.split("[")[0] not in names
            for msg in msgs]


def _posted(request: HttpRequest) -> dict[str, str]:
    return {k: str(v) for k, v in request.POST.dict().items() if k != "csrfmiddlewaretoken"}


def _to_aware(values: dict[str, Any], names: Iterable[str], zone: str,
              errors: dict[str, list[str]]) -> dict[str, Any]:
    """Form values with the local times in ``names`` converted for the services."""
    out = dict(values)
    for name in names:
        try:
            out[name] = local_to_aware(values.get(name, ""), zone, field=name) or None
        except ValidationFailed as exc:
            for key, msgs in exc.errors.items():
                errors.setdefault(key, []).extend(msgs)
    return out


def _render_form(request: HttpRequest, *, title: str, intro: str, spec: list[Field],
                 values: Mapping[str, Any], errors: Mapping[str, list[str]],
                 back: str, extra: dict[str, Any] | None = None, status: int = 200
                 ) -> HttpResponse:
    context = {"title": title, "intro": intro, "fields": _fields(spec, values, errors),
               "general_errors": _general_errors(spec, errors), "has_errors": bool(errors),
               "back": back, **(extra or {})}
    return render(request, "justice/form.html", context, status=status)


def _attempt(action: Callable[[], Any]) -> tuple[Any, dict[str, list[str]]]:
    try:
        return action(), {}
    except (NotFound, NotAllowed):
        raise
    except ValidationFailed as exc:
        return None, exc.errors
    except DomainError as exc:
        return None, {"__all__": [exc.message]}


# ----------------------------------------------------------------- the record


def _sealed_page(request: HttpRequest, pk: int, *, errors: list[str], reason: str = "",
                 status: int) -> HttpResponse:
    from bridgeway.cases.models import Case
    from bridgeway.justice.retention import min_reason_length

    case = Case.objects.only("pk", "case_number").get(pk=pk)
    return render(request, "justice/sealed.html", {
        "case": case, "errors": errors, "reason": reason,
        "min_length": min_reason_length()}, status=status)


@login_required
@require_GET
@domain_errors
def timeline(request: HttpRequest, pk: int) -> HttpResponse:
    from bridgeway.justice.retention import SealedRecord

    try:
        record = selectors.justice_record(actor=request.user, case_id=pk)
    except SealedRecord:
        # Only the named roles get here (others meet "not found"): ask for a reason.
        return _sealed_page(request, pk, errors=[], status=403)
    return _timeline_page(request, record)


@login_required
@require_POST
@domain_errors
def timeline_sealed(request: HttpRequest, pk: int) -> HttpResponse:
    """A sealed justice record opened with a stated reason (audited with it). POST, so
    the reason stays out of URLs and access logs."""
    from bridgeway.justice.retention import SealedRecord

    reason = request.POST.get("reason", "")
    try:
        record = selectors.justice_record(actor=request.user, case_id=pk,
                                          sealed_reason=reason)
    except SealedRecord as exc:
        return _sealed_page(request, pk, errors=[exc.message], reason=reason, status=400)
    except ValidationFailed as exc:
        return _sealed_page(request, pk, errors=[msg for msgs in exc.errors.values()
                                                 for msg in msgs],
                            reason=reason, status=400)
    return _timeline_page(request, record)


def _timeline_page(request: HttpRequest, record: Any) -> HttpResponse:
    from bridgeway.justice.retention import min_reason_length

    agencies: list[Agency] = []
    if record.may_link:
        involved = {i.agency_id for i in record.involvements}
        agencies = [a for a in Agency.objects.filter(
            sector__in=JUSTICE_SECTORS, active=True,
            country=record.case.owning_agency.country).order_by("name")
            if a.pk not in involved]
    return render(request, "justice/timeline.html", {
        "record": record, "case": record.case, "child": record.case.child,
        # The case page shows more than identity and justice: link it only for those
        # who may see it (a police officer would meet a 404 there).
        "sees_case_page": Category.CASE_MANAGEMENT in record.categories,
        "link_agencies": agencies, "figures": _figure_rows(record.rules_now),
        "min_length": min_reason_length()})


def _figure_rows(rules: Any) -> list[tuple[Any, Any]]:
    return [(FIGURE_LABELS[name], getattr(rules, name)) for name in FIGURES] + [
        (str(_("Diversion measures")), ", ".join(sorted(rules.diversion_types)) or "—")]


FIGURE_LABELS = {
    "macr_years": gettext_lazy("Minimum age of criminal responsibility (years)"),
    "max_hours_to_appearance": gettext_lazy("Maximum hours before a competent authority"),
    "pretrial_review_days": gettext_lazy("Pretrial detention review interval (days)"),
    "days_to_charge": gettext_lazy("Days to formal charge"),
    "max_pretrial_days": gettext_lazy("Maximum pretrial detention (days)"),
    "sealing_years": gettext_lazy("Records sealed after (years)"),
    "expungement_years": gettext_lazy("Records expunged after (years)"),
    "age_of_majority": gettext_lazy("Age of majority"),
    "parent_notification_hours": gettext_lazy("Parents notified within (hours)"),
    "legal_counsel_access_hours": gettext_lazy("Access to legal assistance within (hours)"),
    "continuity_gap_hours": gettext_lazy("Gap still counted as one detention (hours)"),
}


# --------------------------------------------------------------------- events


def _event_spec(case: Any) -> list[Field]:
    rules = RuleBook.load().for_case(case).history
    diversion = sorted({t for s in rules.sets for t in s.diversion_types})
    return [
        Field("kind", _("Event"), "select", [("", "—")] + [(k, str(v)) for k, v in
                                                           m.EVENT_KIND_CHOICES]),
        Field("at", _("Date and time"), "datetime",
              help=_("On the clock of the time zone below.")),
        Field("time_zone", _("Time zone"), help=_("A name such as Asia/Jakarta.")),
        Field("authority", _("Authority")),
        Field("place", _("Place")),
        Field("legal_basis", _("Legal basis")),
        Field("legal_representation_present", _("Legal or other assistance present"),
              "select", TRISTATE),
        Field("parent_notified_at", _("Parent or guardian notified at"), "datetime"),
        Field("interpreter", _("Interpreter"), "select",
              [(k, str(v)) for k, v in m.Interpreter.choices]),
        Field("alleged_offence", _("Alleged offence"),
              help=_("Recorded beside the child's victim status, never instead of it.")),
        Field("alleged_offence_on", _("Date of the alleged offence"), "date"),
        Field("diversion_type", _("Diversion measure"), "select",
              [("", "—")] + [(t, t.replace("_", " ").capitalize()) for t in diversion]),
        Field("reviews_detention", _("Reviewed the lawfulness of detention"), "select",
              [("", _("As the event implies")), *TRISTATE[1:]],
              help=_("A first appearance or pretrial order does; a hearing only if so.")),
        Field("treats_as_criminally_responsible", _("Treats the child as criminally "
                                                    "responsible"), "select",
              [("", _("As the event implies")), *TRISTATE[1:]]),
        Field("sentence_custodial", _("Custodial sentence"), "select", TRISTATE),
        Field("notes", _("Notes"), "textarea"),
    ]


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def event_new(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for_recording(actor=request.user, case_id=pk)
    back = reverse("justice:timeline", args=[case.pk])
    spec = _event_spec(case)
    title = _("Record a justice event")
    intro = _("Case %(number)s. Times are entered on the clock of the place where the "
              "event happened.") % {"number": case.case_number}
    if request.method == "GET":
        return _render_form(request, title=title, intro=intro, spec=spec,
                            values={"time_zone": services.default_zone(case),
                                    "interpreter": m.Interpreter.UNKNOWN},
                            errors={}, back=back)
    values = _posted(request)
    zone = values.get("time_zone") or services.default_zone(case)
    errors: dict[str, list[str]] = {}
    data = _to_aware(values, ("at", "parent_notified_at"), zone if is_zone(zone) else "UTC",
                     errors)
    if not errors:
        _saved, errors = _attempt(lambda: services.justice_event_record(
            actor=request.user, case_id=case.pk, data=data))
        if not errors:
            messages.success(request, _("Justice event recorded."))
            return redirect("justice:timeline", pk=case.pk)
    return _render_form(request, title=title, intro=intro, spec=spec, values=values,
                        errors=errors, back=back, status=400)


# ------------------------------------------------------------------- episodes


def _facilities(case: Any) -> list[m.Facility]:
    return list(m.Facility.objects.filter(active=True).order_by(
        "country", "name"))


def _facility_choices(facilities: list[m.Facility]) -> list[tuple[str, str]]:
    return [("", "—")] + [(str(f.pk), f"{f.name} ({f.country}, {f.time_zone})")
                          for f in facilities]


SEPARATION = [(k, str(v)) for k, v in m.Separation.choices]


def _episode_spec(facilities: list[m.Facility]) -> list[Field]:
    return [
        Field("kind", _("Kind of deprivation of liberty"), "select",
              [("", "—")] + [(k, str(v)) for k, v in m.EPISODE_KIND_CHOICES]),
        Field("facility", _("Facility"), "select", _facility_choices(facilities),
              help=_("Times below are on this facility's clock.")),
        Field("commitment_order_ref", _("Commitment order reference"),
              help=_("Required for every kind, police custody included: the custody "
                     "order or record the child is held under (Havana Rule 20).")),
        Field("reason", _("Reason"), "textarea"),
        Field("authority", _("Authority that ordered it")),
        Field("admitted_at", _("Admitted at"), "datetime"),
        Field("separated_from_adults", _("Separated from adults"), "select", SEPARATION),
        Field("not_separated_reason", _("If not separated: why it is in the child's best "
                                        "interests"), "textarea"),
        Field("family_contact", _("Family contact"), "textarea"),
        Field("family_notified_at", _("Family informed at"), "datetime"),
        Field("legal_counsel_access_at", _("Access to legal assistance at"), "datetime"),
        Field("health_problems", _("Known health problems"), "textarea",
              help=_("Shown only to staff whose access covers health information.")),
        Field("last_resort_justification", _("Why deprivation of liberty is the last "
                                             "resort"), "textarea"),
        Field("alternatives_considered", _("Alternatives considered (one per line)"),
              "textarea"),
    ]


def _zone_of_facility(raw: str, facilities: list[m.Facility]) -> str:
    found = next((f for f in facilities if str(f.pk) == str(raw)), None)
    return found.time_zone if found else "UTC"


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def episode_open(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_for_recording(actor=request.user, case_id=pk)
    back = reverse("justice:timeline", args=[case.pk])
    facilities = _facilities(case)
    spec = _episode_spec(facilities)
    title = _("Record a deprivation of liberty")
    intro = _("Detention register entry (Havana Rules 20-22) for case %(number)s.") % {
        "number": case.case_number}
    if request.method == "GET":
        return _render_form(request, title=title, intro=intro, spec=spec,
                            values={"separated_from_adults": m.Separation.UNKNOWN},
                            errors={}, back=back)
    values = _posted(request)
    errors: dict[str, list[str]] = {}
    data = _to_aware(values, ("admitted_at", "family_notified_at", "legal_counsel_access_at"),
                     _zone_of_facility(values.get("facility", ""), facilities), errors)
    if not errors:
        _saved, errors = _attempt(lambda: services.detention_open(
            actor=request.user, case_id=case.pk, data=data))
        if not errors:
            messages.success(request, _("Deprivation of liberty recorded."))
            return redirect("justice:timeline", pk=case.pk)
    return _render_form(request, title=title, intro=intro, spec=spec, values=values,
                        errors=errors, back=back, status=400)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def episode_release(request: HttpRequest, pk: int) -> HttpResponse:
    episode, case = selectors.episode_for_form(actor=request.user, episode_id=pk)
    zone = episode.facility.time_zone
    back = reverse("justice:timeline", args=[case.pk])
    spec = [Field("released_at", _("Released at"), "datetime",
                  help=_("On the clock of %(zone)s.") % {"zone": zone}),
            Field("note", _("Note"), "textarea")]
    title = _("Release from %(facility)s") % {"facility": episode.facility.name}
    intro = _("Admitted %(when)s.") % {"when": local_parts(episode.admitted_at, zone)["label"]}
    if request.method == "GET":
        return _render_form(request, title=title, intro=intro, spec=spec, values={},
                            errors={}, back=back)
    values = _posted(request)
    errors: dict[str, list[str]] = {}
    data = _to_aware(values, ("released_at",), zone, errors)
    if not errors:
        _saved, errors = _attempt(lambda: services.detention_release(
            actor=request.user, episode_id=episode.pk, released_at=data.get("released_at"),
            note=values.get("note", "")))
        if not errors:
            messages.success(request, _("Release recorded."))
            return redirect("justice:timeline", pk=case.pk)
    return _render_form(request, title=title, intro=intro, spec=spec, values=values,
                        errors=errors, back=back, status=400)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def episode_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    episode, case = selectors.episode_for_form(actor=request.user, episode_id=pk)
    zone = episode.facility.time_zone
    back = reverse("justice:timeline", args=[case.pk])
    facilities = [f for f in _facilities(case) if f.pk != episode.facility_id]
    spec = [Field("at", _("Transferred at"), "datetime",
                  help=_("On the clock of %(zone)s (the facility the child leaves).")
                  % {"zone": zone})]
    spec += [f for f in _episode_spec(facilities) if f.name not in ("admitted_at",)]
    title = _("Transfer from %(facility)s") % {"facility": episode.facility.name}
    intro = _("The current episode closes and a new one opens at the same instant. Other "
              "times are on the destination's clock.")
    if request.method == "GET":
        initial = {name: getattr(episode, name) for name in services.CARRIED_OVER}
        initial["alternatives_considered"] = "\n".join(episode.alternatives_considered or [])
        initial["separated_from_adults"] = m.Separation.UNKNOWN
        return _render_form(request, title=title, intro=intro, spec=spec, values=initial,
                            errors={}, back=back)
    values = _posted(request)
    errors: dict[str, list[str]] = {}
    data = _to_aware(values, ("at",), zone, errors)
    data = _to_aware(data, ("family_notified_at", "legal_counsel_access_at"),
                     _zone_of_facility(values.get("facility", ""), facilities), errors)
    if not errors:
        _saved, errors = _attempt(lambda: services.detention_transfer(
            actor=request.user, episode_id=episode.pk, data=data))
        if not errors:
            messages.success(request, _("Transfer recorded."))
            return redirect("justice:timeline", pk=case.pk)
    return _render_form(request, title=title, intro=intro, spec=spec, values=values,
                        errors=errors, back=back, status=400)


@login_required
@require_POST
@domain_errors
def involvement_add(request: HttpRequest, pk: int) -> HttpResponse:
    _result, errors = _attempt(lambda: services.justice_involvement_add(
        actor=request.user, case_id=pk, agency_id=request.POST.get("agency", ""),
        reason=request.POST.get("reason", "")))
    if errors:
        for msgs in errors.values():
            for msg in msgs:
                messages.error(request, msg)
    else:
        messages.success(request, _("Agency linked: its staff now see this justice record."))
    return redirect("justice:timeline", pk=pk)


# -------------------------------------------------------- deprived of liberty


@login_required
@require_GET
def deprived(request: HttpRequest) -> HttpResponse:
    rows = selectors.deprived_of_liberty(actor=request.user)
    return render(request, "justice/deprived.html", {"rows": rows})


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    return render(request, "justice/notifications.html",
                  {"items": selectors.notifications_for(actor=request.user)})


# ---------------------------------------------------------------------- rules


def _rules_admin(request: HttpRequest) -> None:
    if not access.may_edit_rules(request.user):
        raise PermissionDenied(_("Only system administrators manage jurisdiction rules."))


@login_required
@require_GET
def rules_list(request: HttpRequest) -> HttpResponse:
    _rules_admin(request)
    return render(request, "justice/rules_list.html", {
        "jurisdictions": selectors.jurisdictions_overview(),
        "defaults": _figure_rows(DEFAULTS), "figures": FIGURES,
        "catalogue": selectors.rule_catalogue()})


def _rules_spec() -> list[Field]:
    spec = [Field("country", _("Country (ISO code)")),
            Field("region", _("Region (optional)")),
            Field("valid_from", _("In force from"), "date",
                  help=_("From 00:00 UTC that day. Deadlines that started earlier keep the "
                         "figures in force when they started."))]
    spec += [Field(name, str(FIGURE_LABELS[name]), "number") for name in FIGURES]
    spec += [Field("diversion_types", _("Diversion measures (one per line)"), "textarea"),
             Field("reason", _("Reason for the change (law, decree, correction)"),
                   "textarea")]
    return spec


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def rules_new(request: HttpRequest) -> HttpResponse:
    _rules_admin(request)
    spec = _rules_spec()
    title = _("New version of a jurisdiction's rules")
    intro = _("Rule sets are never edited: a new version is recorded and the old one is "
              "kept. Open cases of the jurisdiction are evaluated again.")
    back = reverse("justice:rules")
    if request.method == "GET":
        country = (request.GET.get("country") or "").upper()
        region = request.GET.get("region") or ""
        current = RuleBook.load().for_jurisdiction(country, region).history.sets[-1] \
            if country else DEFAULTS
        initial: dict[str, Any] = {name: getattr(current, name) for name in FIGURES}
        initial.update(country=country, region=region,
                       diversion_types="\n".join(sorted(current.diversion_types)))
        return _render_form(request, title=title, intro=intro, spec=spec, values=initial,
                            errors={}, back=back)
    values = _posted(request)
    params = {name: values.get(name, "") for name in FIGURES}
    params["diversion_types"] = values.get("diversion_types", "")
    _row, errors = _attempt(lambda: services.jurisdiction_rules_change(
        actor=request.user, country=values.get("country", ""),
        region=values.get("region", ""), valid_from=values.get("valid_from", ""),
        params=params, reason=values.get("reason", "")))
    if not errors:
        messages.success(request, _("New rule version recorded."))
        return redirect("justice:rules")
    return _render_form(request, title=title, intro=intro, spec=spec, values=values,
                        errors=errors, back=back, status=400)
