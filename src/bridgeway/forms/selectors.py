"""Form reads for pages, the API and ODK clients. Each applies the access policy and
audits what it returned."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from bridgeway.access import policy
from bridgeway.access.policy import Perm
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.core.errors import NotFound
from bridgeway.forms.models import FormDefinition, FormRecord, FormVersion, RawStatus, RawSubmission


def may_collect(user: Any) -> bool:
    """Who may download forms and submit them from a device or the web: the people who
    work on cases (caseworkers and supervisors)."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and policy.is_case_worker_role(user))


def forms_available(*, actor: Any) -> list[tuple[FormDefinition, FormVersion]]:
    """Active forms with their current (latest) version, for filling in."""
    if not may_collect(actor):
        return []
    found = []
    light = FormVersion.objects.defer("xlsx", "xform", "schema")
    for definition in FormDefinition.objects.filter(active=True).prefetch_related(
            Prefetch("versions", queryset=light)):
        versions = sorted(definition.versions.all(), key=lambda v: (v.uploaded_at, v.pk))
        if versions:
            found.append((definition, versions[-1]))
    return found


def forms_available_for_admin(*, actor: Any) -> list[FormDefinition]:
    """Every form with its versions, for administrators."""
    if not policy.may_configure(actor):
        return []
    return list(FormDefinition.objects.prefetch_related(
        Prefetch("versions", queryset=FormVersion.objects.defer("xlsx", "xform", "schema")
                 .select_related("uploaded_by").order_by("-uploaded_at", "-id"))))


def form_versions_for_devices(*, actor: Any, form_id: str | None = None,
                              all_versions: bool = False) -> list[FormVersion]:
    """What the OpenRosa form list offers a device user."""
    if not may_collect(actor):
        return []
    qs = (FormVersion.objects.filter(form__active=True).select_related("form")
          .defer("xlsx", "xform", "schema").order_by("form__form_id", "-uploaded_at", "-id"))
    if form_id:
        qs = qs.filter(form__form_id=form_id)
    versions = list(qs)
    if all_versions:
        return versions
    latest: dict[int, FormVersion] = {}
    for version in versions:
        latest.setdefault(version.form_id, version)
    return list(latest.values())


def form_version_for_device(*, actor: Any, form_id: str, version: str) -> FormVersion:
    if not may_collect(actor):
        raise NotFound()
    found = FormVersion.objects.select_related("form").filter(
        form__form_id=form_id, version=version).first()
    if found is None:
        raise NotFound()
    return found


def form_records_for_case(*, actor: Any, case_id: int) -> list[FormRecord]:
    """The filled forms on a case, newest first (form version and submitter joined)."""
    case = policy.case_for(actor, pk=case_id, perm=Perm.VIEW)
    records = list(FormRecord.objects.filter(case=case)
                   .select_related("form_version__form", "submitted_by")
                   .defer("form_version__xlsx", "form_version__xform")
                   .order_by("-created_at", "-id"))
    audit_record(actor=actor, action=Action.LIST, object_type="form_record",
                 child_id=case.child_id, case_id=case.pk,
                 detail={"record_ids": [r.pk for r in records]})
    return records


def form_record_get(*, actor: Any, record_id: int, audit: bool = True) -> FormRecord:
    """One record the actor may see, or NotFound (also when it exists but is hidden)."""
    record = (FormRecord.objects.select_related("form_version__form", "case", "submitted_by")
              .filter(pk=record_id).first())
    if record is None:
        raise NotFound()
    case = policy.case_for(actor, pk=record.case_id, perm=Perm.VIEW)
    record.case = case
    if audit:
        audit_record(actor=actor, action=Action.VIEW, object_type="form_record",
                     object_id=record.pk, child_id=case.child_id, case_id=case.pk)
    return record


def _filter_categories(nodes: list[dict[str, Any]], data: Any,
                       categories: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(data, dict):
        return out
    for node in nodes:
        name, kind = node["name"], node["kind"]
        if kind == "group":
            out.update(_filter_categories(node["children"], data, categories))
        elif kind == "repeat":
            if name in data:
                out[name] = [_filter_categories(node["children"], row, categories)
                             for row in data.get(name) or []]
        elif name in data:
            category = node.get("category") or ""
            if not category or category in categories:
                out[name] = data[name]
    return out


def form_record_visible_data(*, actor: Any, record: FormRecord) -> dict[str, Any]:
    """The record's answers in the data categories the actor may see on its case (need to
    know: referrals and consent scopes will grant fewer categories than the owning
    agency). Fields without a category are shown to anyone who may see the record."""
    categories = frozenset(str(c) for c in policy.categories_for(actor, record.case))
    return _filter_categories(record.form_version.schema["fields"], record.data, categories)


# --------------------------------------------------------------------------
# Raw submissions: reviewed by supervisors


def may_review_submissions(actor: Any) -> bool:
    """Supervisors review failed ODK submissions of their agency."""
    return bool(actor is not None and actor.is_authenticated and actor.is_active
                and getattr(actor, "role", "") == "supervisor" and actor.agency_id)


def raw_submissions_reviewable_by(actor: Any) -> QuerySet[RawSubmission]:
    """Raw submissions a supervisor reviews: those on cases the supervisor may see, and
    those whose case is unknown (or hidden from the submitter) sent by someone in the
    supervisor's agency."""
    if not may_review_submissions(actor):
        return RawSubmission.objects.none()
    return RawSubmission.objects.filter(
        Q(case__in=policy.cases_visible_to(actor).values("pk"))
        | Q(case__isnull=True, submitted_by__agency_id=actor.agency_id))


def failed_submissions(*, actor: Any, limit: int = 200) -> list[RawSubmission]:
    raws = list(raw_submissions_reviewable_by(actor)
                .filter(status__in=[RawStatus.FAILED, RawStatus.RECEIVED])
                .select_related("submitted_by", "case").defer("xml")
                .order_by("-received_at", "-id")[:limit])
    audit_record(actor=actor, action=Action.LIST, object_type="raw_submission",
                 detail={"raw_ids": [r.pk for r in raws]})
    return raws


def raw_submission_get(*, actor: Any, raw_id: int, audit: bool = True) -> RawSubmission:
    raw = (raw_submissions_reviewable_by(actor).select_related("submitted_by", "case", "record")
           .filter(pk=raw_id).first())
    if raw is None:
        raise NotFound()
    if audit:
        audit_record(actor=actor, action=Action.VIEW, object_type="raw_submission",
                     object_id=raw.pk, case_id=raw.case_id,
                     child_id=raw.case.child_id if raw.case else None)
    return raw
