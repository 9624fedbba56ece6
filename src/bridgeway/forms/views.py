"""Web pages of the forms app: fill a form on a case, view and edit a record, review
failed ODK submissions, upload a form. Thin adapters over services and selectors.

The form page works without JavaScript: relevance is applied by the server on every
POST ("Update" button, "Add row", "Remove row"). With JavaScript, htmx posts the form to
the ``refresh`` endpoint on every change and swaps in the re-rendered body (a named
template partial), so dependent questions appear and disappear as the user answers.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from bridgeway.access import policy
from bridgeway.access.policy import Perm
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.core.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.forms import rendering, selectors, services
from bridgeway.forms.engine import evaluate_record
from bridgeway.forms.models import FormVersion, Purpose, RawStatus
from bridgeway.forms.schema import METADATA_KINDS, CompiledForm, compile_schema
from bridgeway.forms.submission_xml import SubmissionXMLError, parse_submission, submission_values
from bridgeway.forms.xlsform import FormRejected
from bridgeway.web.views.base import domain_errors, is_htmx_partial

_INSTANCE_ID = re.compile(r"uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FILL_TEMPLATE = "forms/fill.html"


def _wanted_language(request: HttpRequest) -> str:
    return (request.GET.get("lang") or request.POST.get("_lang")
            or getattr(request.user, "language", "") or request.LANGUAGE_CODE or "")


def _instance_id(raw: str | None) -> str:
    raw = (raw or "").strip().lower()
    return raw if _INSTANCE_ID.fullmatch(raw) else f"uuid:{uuid.uuid4()}"


def _web_metadata(form: CompiledForm, values: dict[str, Any], request: HttpRequest) -> None:
    """Metadata questions (start, end, today, username, deviceid) filled by the server."""
    now = timezone.localtime()
    started = request.POST.get("_started", "") or now.isoformat(timespec="seconds")
    filled = {"start": started[:40], "end": now.isoformat(timespec="seconds"),
              "today": now.date().isoformat(), "username": request.user.username,
              "deviceid": "web"}
    for name, info in form.info.items():
        if info.scope == "" and info.kind in METADATA_KINDS:
            values[name] = filled[info.kind]


def _render_form(request: HttpRequest, *, form: CompiledForm, values: dict[str, Any],
                 errors: dict[str, list[str]] | None, context: dict[str, Any],
                 status: int = 200) -> HttpResponse:
    """Render the fill page (or only its body for htmx). ``errors=None`` shows what the
    engine finds without the required checks (type and constraint errors of answers)."""
    result = evaluate_record(form, values, today=timezone.localdate(),
                             language=_wanted_language(request), require=False)
    view = rendering.form_view(form, result, errors=result.errors if errors is None else errors)
    context = {**context, "view": view, "started": request.POST.get("_started")
               or timezone.localtime().isoformat(timespec="seconds"),
               "instance_id": _instance_id(request.POST.get("_instance_id")),
               "lang": view.lang_code}
    template = FILL_TEMPLATE + "#form_body" if is_htmx_partial(request) else FILL_TEMPLATE
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _row_action(form: CompiledForm, values: dict[str, Any], post: Any) -> bool:
    """Apply "add row" / "remove row"; True when the POST was one of them."""
    if post.get("_add_row"):
        rendering.add_row(form, values, post["_add_row"])
        return True
    if post.get("_remove_row"):
        rendering.remove_row(values, post["_remove_row"])
        return True
    return False


def _is_update_only(post: Any) -> bool:
    return bool(post.get("_refresh") or post.get("_add_row") or post.get("_remove_row"))


# --------------------------------------------------------------------------
# Case forms


@login_required
@require_http_methods(["GET"])
@domain_errors
def case_forms(request: HttpRequest, case_id: int) -> HttpResponse:
    case = policy.case_for(request.user, pk=case_id, perm=Perm.VIEW)
    records = selectors.form_records_for_case(actor=request.user, case_id=case_id)
    may_edit = policy.can(request.user, Perm.EDIT, case)
    return render(request, "forms/case_forms.html", {
        "case": case, "records": records, "may_edit": may_edit,
        "available": selectors.forms_available(actor=request.user) if may_edit else []})


def _version_for_new(form_id: str, version_id: Any) -> FormVersion:
    qs = FormVersion.objects.select_related("form").filter(form__form_id=form_id,
                                                           form__active=True)
    if str(version_id or "").isdecimal():
        found = qs.filter(pk=int(version_id)).first()
    else:
        found = qs.order_by("-uploaded_at", "-id").first()
    if found is None:
        raise NotFound()
    return found


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def record_new(request: HttpRequest, case_id: int, form_id: str) -> HttpResponse:
    case = policy.case_for(request.user, pk=case_id, perm=Perm.EDIT)
    version = _version_for_new(form_id, request.POST.get("_version"))
    form = compile_schema(version.schema)
    context = {"case": case, "version": version, "mode": "new",
               "action_url": reverse("forms:record_new", args=[case.pk, form_id]),
               "refresh_url": reverse("forms:refresh", args=[case.pk, version.pk])}
    if request.method == "GET":
        audit_record(actor=request.user, action=Action.VIEW, object_type="case",
                     object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                     detail={"form": form_id, "page": "new_record"})
        values = rendering.defaults_for_new(form)
        values["case_number"] = case.case_number
        return _render_form(request, form=form, values=values, errors={}, context=context)
    post = request.POST
    values = rendering.values_from_post(form, post, drop_empty_rows=not _is_update_only(post))
    values["case_number"] = case.case_number
    if _row_action(form, values, post) or post.get("_refresh"):
        return _render_form(request, form=form, values=values, errors=None, context=context)
    _web_metadata(form, values, request)
    try:
        record = services.form_record_submit(
            actor=request.user, case_id=case.pk, form_version_id=version.pk, values=values,
            instance_id=_instance_id(post.get("_instance_id")), draft=bool(post.get("_draft")),
            language=_wanted_language(request))
    except ValidationFailed as exc:
        return _render_form(request, form=form, values=values, errors=exc.errors,
                            context=context, status=400)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("forms:case_forms", case.pk)
    messages.success(request, _("Saved as a draft.") if record.status == "draft"
                     else _("The form was submitted."))
    return redirect("forms:record_detail", record.pk)


@login_required
@require_POST
@domain_errors
def refresh(request: HttpRequest, case_id: int, version_id: int) -> HttpResponse:
    """htmx: the re-rendered form body for the current answers (nothing is saved)."""
    case = policy.case_for(request.user, pk=case_id, perm=Perm.EDIT)
    version = FormVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise NotFound()
    form = compile_schema(version.schema)
    values = rendering.values_from_post(form, request.POST)
    values["case_number"] = case.case_number
    _row_action(form, values, request.POST)
    return _render_form(request, form=form, values=values, errors=None, context={
        "case": case, "version": version,
        "refresh_url": reverse("forms:refresh", args=[case.pk, version.pk])})


# --------------------------------------------------------------------------
# Records


@login_required
@require_http_methods(["GET"])
@domain_errors
def record_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    record = selectors.form_record_get(actor=request.user, record_id=record_id)
    form = compile_schema(record.form_version.schema)
    result = evaluate_record(form, record.data, today=timezone.localdate(),
                             language=_wanted_language(request), require=False)
    categories = frozenset(str(c) for c in policy.categories_for(request.user, record.case))
    view = rendering.form_view(form, result, errors={}, categories=categories)
    return render(request, "forms/record_detail.html", {
        "record": record, "case": record.case, "view": view,
        "may_edit": policy.can(request.user, Perm.EDIT, record.case)
        and record.status != "approved"})


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def record_edit(request: HttpRequest, record_id: int) -> HttpResponse:
    record = selectors.form_record_get(actor=request.user, record_id=record_id,
                                       audit=request.method == "GET")
    case = policy.case_for(request.user, pk=record.case_id, perm=Perm.EDIT)
    form = compile_schema(record.form_version.schema)
    context = {"case": case, "version": record.form_version, "record": record, "mode": "edit",
               "action_url": reverse("forms:record_edit", args=[record.pk]),
               "refresh_url": reverse("forms:refresh", args=[case.pk, record.form_version_id]),
               "expected_version": record.version}
    if request.method == "GET":
        return _render_form(request, form=form, values=dict(record.data), errors={},
                            context=context)
    post = request.POST
    values = rendering.values_from_post(form, post, drop_empty_rows=not _is_update_only(post))
    values["case_number"] = case.case_number
    context["expected_version"] = post.get("expected_version", record.version)
    if _row_action(form, values, post) or post.get("_refresh"):
        return _render_form(request, form=form, values=values, errors=None, context=context)
    for name, info in form.info.items():  # metadata keeps what was first recorded
        if info.scope == "" and info.kind in METADATA_KINDS:
            values[name] = record.data.get(name, "")
    expected = str(post.get("expected_version", ""))
    try:
        record = services.form_record_update(
            actor=request.user, record_id=record.pk,
            expected_version=int(expected) if expected.isdecimal() else -1, values=values,
            draft=bool(post.get("_draft")), language=_wanted_language(request))
    except ValidationFailed as exc:
        return _render_form(request, form=form, values=values, errors=exc.errors,
                            context=context, status=400)
    except Conflict as exc:
        context["conflict"] = exc.message
        return _render_form(request, form=form, values=values, errors={}, context=context,
                            status=409)
    except NotAllowed:
        raise
    except DomainError as exc:
        context["problem"] = exc.message
        return _render_form(request, form=form, values=values, errors={}, context=context,
                            status=400)
    messages.success(request, _("The record was saved."))
    return redirect("forms:record_detail", record.pk)


# --------------------------------------------------------------------------
# Failed ODK submissions


@login_required
@require_http_methods(["GET"])
def failed_list(request: HttpRequest) -> HttpResponse:
    if not selectors.may_review_submissions(request.user):
        raise PermissionDenied(_("Only supervisors review failed submissions."))
    return render(request, "forms/failed_list.html",
                  {"raws": selectors.failed_submissions(actor=request.user)})


def _raw_form(raw: Any) -> tuple[FormVersion | None, dict[str, Any] | None]:
    try:
        header = parse_submission(bytes(raw.xml))
    except SubmissionXMLError:
        return None, None
    version = FormVersion.objects.filter(form__form_id=header.form_id,
                                         version=header.version).first()
    if version is None:
        return None, None
    if raw.fixed_values is not None:
        return version, dict(raw.fixed_values)
    return version, submission_values(version.schema, header.root)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def raw_detail(request: HttpRequest, raw_id: int) -> HttpResponse:
    raw = selectors.raw_submission_get(actor=request.user, raw_id=raw_id,
                                       audit=request.method == "GET")
    version, values = _raw_form(raw)
    errors: dict[str, list[str]] = dict(raw.errors or {})
    status = 200
    if request.method == "POST" and raw.status in (RawStatus.FAILED, RawStatus.RECEIVED):
        fixed = None
        if version is not None and request.POST.get("_fix"):
            form = compile_schema(version.schema)
            fixed = rendering.values_from_post(form, request.POST, drop_empty_rows=True)
            for name, info in form.info.items():
                if info.scope == "" and info.kind in METADATA_KINDS and values:
                    fixed[name] = values.get(name, "")
        outcome = services.raw_submission_reprocess(actor=request.user, raw_id=raw.pk,
                                                    values=fixed)
        if outcome.result in ("created", "updated", "duplicate") and outcome.record:
            messages.success(request, _("The submission was processed."))
            return redirect("forms:record_detail", outcome.record.pk)
        raw.refresh_from_db()
        values = fixed if fixed is not None else values
        errors, status = outcome.errors, 400
    view = None
    if version is not None and values is not None:
        form = compile_schema(version.schema)
        result = evaluate_record(form, values, today=timezone.localdate(),
                                 language=_wanted_language(request), require=False)
        view = rendering.form_view(form, result, errors=errors)
    return render(request, "forms/raw_detail.html", {
        "raw": raw, "version": version, "view": view, "errors": errors,
        "xml_text": bytes(raw.xml).decode("utf-8", errors="replace"),
        "fixable": raw.status in (RawStatus.FAILED, RawStatus.RECEIVED)}, status=status)


# --------------------------------------------------------------------------
# Upload (administrators)


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    if not policy.may_configure(request.user):
        raise PermissionDenied(_("Only administrators upload forms."))
    context: dict[str, Any] = {"purposes": Purpose.choices, "problems": [], "result": None,
                               "purpose": request.POST.get("purpose", "")}
    status = 200
    if request.method == "POST":
        upload_file = request.FILES.get("file")
        try:
            if upload_file is None:
                raise ValidationFailed.single("file", _("Choose an .xlsx file."))
            context["result"] = services.form_version_upload(
                actor=request.user, file_bytes=upload_file.read(),
                purpose=request.POST.get("purpose", ""))
        except FormRejected as exc:
            context["problems"], status = [str(p) for p in exc.problems], 400
        except ValidationFailed as exc:
            context["problems"] = [m for ms in exc.errors.values() for m in ms]
            status = 400
        except DomainError as exc:
            context["problems"], status = [exc.message], 400
    context["definitions"] = selectors.forms_available_for_admin(actor=request.user)
    return render(request, "forms/upload.html", context, status=status)
