"""Data-subject requests (issue 5, item 7): the export of everything held on one child, in
a readable form, and requests to correct the record, with their history.

Both go *through the caseworker*: the child (or their guardian) asks, the caseworker or
supervisor of the owning agency — whoever may edit the case (``Perm.EDIT``) — produces the
export or records the request. The export is the actor's own view of the child, so it is
filtered by the same access policy as every page: per case, only the data categories
``policy.categories_for`` grants (form answers by their ``bw:category``, registry and case
fields by ``access.fields``); cases of the child the actor cannot see are not in it. It is
audited as ``Action.EXPORT`` with what it covered, never with what it contained.

A correction request records what the child or guardian says is wrong and the change they
ask for. The caseworker accepts or rejects it (a rejection says why); an accepted
correction is applied through the normal edit of the record — with its own version check,
event and audit entry — and the request stays as the history, which the export lists.

Services and selectors of this one feature are kept in one module (the brief's layout);
they follow the house rules: keyword-only, validate then write in one transaction, the
case event and audit entry in that transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models as djm
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language

from bridgeway.access import fields, policy
from bridgeway.access.policy import Category, Perm
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.cases.events import case_event
from bridgeway.cases.models import Case
from bridgeway.core.coerce import Errors, add, to_choice, to_date, to_int
from bridgeway.core.errors import DomainError, NotFound, ValidationFailed
from bridgeway.core.text import clean_text
from bridgeway.referrals.models import (
    Consent,
    CorrectionRequest,
    CorrectionRequester,
    CorrectionStatus,
    Referral,
    Transfer,
)
from bridgeway.referrals.services.consent import is_guardian
from bridgeway.registry import age
from bridgeway.registry.models import Child, FamilyMember

CATEGORY_LABELS: dict[str, str] = {
    Category.IDENTITY: "Identity", Category.CONTACT_LOCATION: "Contact and location",
    Category.FAMILY: "Family", Category.HEALTH: "Health",
    Category.PSYCHOSOCIAL: "Psychosocial", Category.EDUCATION: "Education",
    Category.JUSTICE: "Justice", Category.ASSOCIATION_HISTORY: "Association history",
    Category.PROTECTION_CONCERNS: "Protection concerns",
    Category.CASE_MANAGEMENT: "Case management",
}


# --- correction requests ---------------------------------------------------------------------

@dataclass(frozen=True)
class CorrectionInput:
    """Raw input from a form or the API (see ``correction_request_record``)."""

    requested_by: Any
    category: Any
    item: Any
    statement: Any
    requested_change: Any
    family_member_id: Any = None
    received_on: Any = None


def _editable_case(actor: Any, case_id: Any, *, for_update: bool = False) -> Case:
    if not isinstance(case_id, int) or isinstance(case_id, bool):
        raise NotFound()
    return policy.case_for(actor, pk=case_id, perm=Perm.EDIT, for_update=for_update)


def correction_request_record(*, actor: Any, case_id: int,
                              data: CorrectionInput) -> CorrectionRequest:
    """Record a request from the child or their legal guardian to correct the record.
    ``category`` is the data category of what is said to be wrong (one the actor may see
    on the case); a guardian must be a family member recorded as the child's legal
    guardian, as for consent."""
    errors: Errors = {}
    who = to_choice(data.requested_by, CorrectionRequester, field="requested_by",
                    errors=errors)
    category = to_choice(data.category, Category, field="category", errors=errors)
    item = clean_text(data.item, field="item", required=True, max_length=200, errors=errors)
    statement = clean_text(data.statement, field="statement", required=True,
                           max_length=5000, errors=errors)
    change = clean_text(data.requested_change, field="requested_change", required=True,
                        max_length=5000, errors=errors)
    received = (to_date(data.received_on, field="received_on", errors=errors)
                if data.received_on not in (None, "") else timezone.localdate())
    member_id = to_int(data.family_member_id, field="family_member_id", errors=errors,
                       minimum=1, maximum=2**62)
    with transaction.atomic():
        case = _editable_case(actor, case_id, for_update=True)
        if category and Category(category) not in policy.categories_for(actor, case):
            add(errors, "category", "You do not hold this category of the record.")
        member = None
        if who == CorrectionRequester.REPRESENTATIVE:
            if member_id is None and "family_member_id" not in errors:
                add(errors, "family_member_id", "Choose the legal guardian who asks.")
            elif member_id is not None:
                member = FamilyMember.objects.filter(pk=member_id,
                                                     child_id=case.child_id).first()
                if member is None:
                    add(errors, "family_member_id",
                        "Not a family member recorded for this child.")
                elif not is_guardian(member):
                    add(errors, "family_member_id",
                        "This person is not recorded as the child's legal guardian.")
        if errors:
            raise ValidationFailed(errors)
        assert received is not None
        request = CorrectionRequest.objects.create(
            child_id=case.child_id, case=case, requested_by=who, family_member=member,
            representative_name=member.name if member else "",
            representative_relationship=member.relationship if member else "",
            category=category, item=item, statement=statement, requested_change=change,
            received_on=received, recorded_by=actor, recorded_at=timezone.now())
        case_event(case=case, actor=actor, kind="correction_requested",
                   params={"correction": request.pk, "category": category})
        audit_record(actor=actor, action=Action.CREATE, object_type="correction_request",
                     object_id=request.pk, child_id=case.child_id, case_id=case.pk,
                     detail={"category": category, "requested_by": who})
        return request


def correction_request_decide(*, actor: Any, correction_id: Any, accept: Any,
                              reason: Any = "") -> CorrectionRequest:
    """Accept or reject an open request. A rejection must say why (the child is told);
    an accepted correction is then applied through the normal edit of the record."""
    errors: Errors = {}
    if not isinstance(accept, bool):
        add(errors, "decision", "Accept or reject the request.")
    text = clean_text(reason, field="reason", required=accept is False, max_length=5000,
                      errors=errors)
    if isinstance(correction_id, bool) or not isinstance(correction_id, int | str):
        raise NotFound()
    try:
        pk = int(correction_id)
    except ValueError as exc:
        raise NotFound() from exc
    with transaction.atomic():
        case_id = (CorrectionRequest.objects.filter(pk=pk)
                   .values_list("case_id", flat=True).first())
        if case_id is None:
            raise NotFound()
        case = _editable_case(actor, case_id, for_update=True)
        request = CorrectionRequest.objects.select_for_update().get(pk=pk)
        if request.category not in {str(c) for c in policy.categories_for(actor, case)}:
            raise NotFound()
        if request.status != CorrectionStatus.OPEN:
            done = str(request.get_status_display()).lower()
            raise DomainError(f"This request was already {done}.")
        if errors:
            raise ValidationFailed(errors)
        request.status = CorrectionStatus.ACCEPTED if accept else CorrectionStatus.REJECTED
        request.decided_by, request.decided_at = actor, timezone.now()
        request.decision_reason = text
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        case_event(case=case, actor=actor, kind=f"correction_{request.status}",
                   params={"correction": request.pk})
        audit_record(actor=actor, action=Action.UPDATE, object_type="correction_request",
                     object_id=request.pk, child_id=case.child_id, case_id=case.pk,
                     detail={"to": request.status})
        return request


def corrections_for_case(*, actor: Any, case_id: int) -> list[CorrectionRequest]:
    """The child's correction requests (from any of the child's cases) in the categories
    the actor holds on this case, newest first; for users who may edit the case."""
    case = _editable_case(actor, case_id)
    categories = [str(c) for c in policy.categories_for(actor, case)]
    return list(CorrectionRequest.objects.filter(child_id=case.child_id,
                                                 category__in=categories)
                .select_related("recorded_by", "decided_by", "case"))


def guardians_of(*, actor: Any, case_id: int) -> list[FamilyMember]:
    """The child's family members recorded as legal guardians (who may consent or ask for
    a correction for the child), for users who may edit the case and see the family."""
    case = _editable_case(actor, case_id)
    if Category.FAMILY not in policy.categories_for(actor, case):
        return []
    return [m for m in FamilyMember.objects.filter(child_id=case.child_id).order_by("pk")
            if is_guardian(m)]


# --- the export ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    key: str
    label: str
    value: Any  # JSON-ready
    display: str  # for people


@dataclass(frozen=True)
class Item:
    """One record in a section (a name, a family member, a note, a filled form …)."""

    title: str
    fields: list[Field]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    category: str  # the data category, "" for the record's history (sharing, corrections)
    items: list[Item]


@dataclass(frozen=True)
class CaseExport:
    case_number: str
    agency: str
    categories: tuple[str, ...]
    sections: list[Section]


@dataclass(frozen=True)
class SubjectExport:
    generated_at: datetime
    generated_by: str
    agency: str
    child_public_id: str
    categories: tuple[str, ...]
    child_sections: list[Section]
    cases: list[CaseExport]
    corrections: Section
    record_counts: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The export as JSON-ready data (keys are field names, not labels)."""
        def section(s: Section) -> dict[str, Any]:
            return {"key": s.key, "title": s.title, "category": s.category,
                    "items": [{"title": i.title, "fields": {f.key: f.value for f in i.fields}}
                              for i in s.items]}

        return {
            "generated_at": self.generated_at.isoformat(), "generated_by": self.generated_by,
            "agency": self.agency, "child": self.child_public_id,
            "categories": list(self.categories),
            "sections": [section(s) for s in self.child_sections],
            "cases": [{"case_number": c.case_number, "agency": c.agency,
                       "categories": list(c.categories),
                       "sections": [section(s) for s in c.sections]} for c in self.cases],
            "corrections": section(self.corrections),
        }


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, djm.Model):
        return str(value)
    return value


def _show(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_show(v) for v in value) or "—"
    return str(value)


def _f(key: str, label: str, value: Any, display: str | None = None) -> Field:
    return Field(key, label, _json(value), display if display is not None else _show(value))


def _model_fields(obj: djm.Model, names: Iterable[str]) -> list[Field]:
    """Fields of a model instance, labelled with their verbose names, choices shown by
    their labels."""
    out = []
    for name in names:
        model_field = obj._meta.get_field(name)
        value = getattr(obj, name)
        label = str(getattr(model_field, "verbose_name", name)).capitalize()
        choices = dict(getattr(model_field, "choices", None) or [])
        display = str(choices.get(value, value)) if choices and value else None
        if isinstance(value, djm.Model):
            value = str(value)
        out.append(_f(name, label, value, display))
    return out


def _child_sections(child: Child, categories: frozenset[Category]) -> list[Section]:
    sections: list[Section] = []
    if Category.IDENTITY in categories:
        today = timezone.localdate()
        scalars = [n for n in fields.fields_of(fields.CHILD_FIELDS, Category.IDENTITY)
                   if n in {"display_name", "sex", "date_of_birth", "date_of_birth_estimated",
                            "nationalities", "country_of_birth", "place_of_birth",
                            "born_abroad", "languages", "birth_registration"}]
        facts = _model_fields(child, scalars)
        facts.append(_f("age", "Age for all purposes (lowest plausible age)",
                        age.age_on(child.youngest_birth_date, today)))
        sections.append(Section("identity", "Identity", Category.IDENTITY,
                                [Item("The child", facts)]))
        names = [Item(n.get_kind_display(), _model_fields(n, ("kind", "value", "script",
                                                                 "latin")))
                 for n in child.names.all()]
        names += [Item(a.get_alias_type_display(),
                       _model_fields(a, ("alias_type", "value", "script", "latin")))
                  for a in child.aliases.all()]
        sections.append(Section("names", "Names and aliases", Category.IDENTITY, names))
        sections.append(Section("identifiers", "Identity documents", Category.IDENTITY, [
            Item(i.get_id_type_display(), _model_fields(i, ("id_type", "value", "issuer")))
            for i in child.identifiers.all()]))
        sections.append(Section("age_evidence", "Age evidence", Category.IDENTITY, [
            Item(f"{a.get_method_display()} ({a.assessed_on.isoformat()})", _model_fields(a, (
                "method", "claimed_age_years", "claimed_date_of_birth", "documents_seen",
                "assessed_min_years", "assessed_max_years", "assessor", "assessed_on",
                "pending", "notes")))
            for a in child.age_assessments.all()]))
    if Category.FAMILY in categories:
        visible = [n for n, cat in fields.FAMILY_MEMBER_FIELDS.items() if cat in categories]
        sections.append(Section("family", "Family and caregivers", Category.FAMILY, [
            Item(f"{m.get_relationship_display()}", _model_fields(m, visible))
            for m in child.family.all()]))
    return sections


def _label(labels: Mapping[str, str] | None, fallback: str) -> str:
    """A form label in the current language when the form has it, else its default."""
    if not labels:
        return fallback
    code = (get_language() or "en").split("-")[0]
    for key, text in labels.items():
        if key.endswith(f"({code})"):
            return text
    return labels.get("default") or next(iter(labels.values()), fallback)


def _answers(nodes: list[dict[str, Any]], data: Mapping[str, Any],
             prefix: str = "") -> list[Field]:
    """The visible answers of a record, labelled as in the form; repeats row by row."""
    out: list[Field] = []
    for node in nodes:
        name, kind = node["name"], node["kind"]
        label = prefix + _label(node.get("label"), name)
        if kind == "group":
            out += _answers(node.get("children", []), data, prefix)
        elif kind == "repeat":
            for i, row in enumerate(data.get(name) or [], start=1):
                out += _answers(node.get("children", []), row, f"{label} {i} · ")
        elif name in data and kind not in ("note", "calculate"):
            value = data[name]
            display = None
            choices = {c["name"]: _label(c.get("label"), c["name"])
                       for c in node.get("choices") or []}
            if choices and isinstance(value, str) and value:
                display = ", ".join(choices.get(v, v) for v in value.split())
            out.append(_f(name, label, value, display))
    return out


def _case_sections(actor: Any, case: Case, categories: frozenset[Category]) -> list[Section]:
    from bridgeway.care.models import PlanReview, ServiceDelivered
    from bridgeway.care.selectors import current_goals
    from bridgeway.forms.models import FormRecord
    from bridgeway.forms.selectors import form_record_visible_data

    sections: list[Section] = []
    managing = Category.CASE_MANAGEMENT in categories
    for category in (Category.CASE_MANAGEMENT, Category.ASSOCIATION_HISTORY,
                     Category.JUSTICE):
        if category in categories:
            names = fields.fields_of(fields.CASE_FIELDS, category)
            sections.append(Section(f"case_{category}", CATEGORY_LABELS[category], category,
                                    [Item(case.case_number, _model_fields(case, names))]))
    if managing:
        sections.append(Section("notes", "Case notes", Category.CASE_MANAGEMENT, [
            Item(f"{timezone.localtime(n.created_at):%Y-%m-%d %H:%M} · {n.author}",
                 [_f("body", "Note", n.body)])
            for n in case.notes.select_related("author").order_by("created_at", "id")]))
    records = []
    for record in (FormRecord.objects.filter(case=case)
                   .select_related("form_version__form", "submitted_by")
                   .defer("form_version__xlsx", "form_version__xform")
                   .order_by("created_at", "id")):
        record.case = case
        visible = form_record_visible_data(actor=actor, record=record)
        answers = _answers(record.form_version.schema["fields"], visible)
        title = (f"{record.form_version.title} · "
                 f"{timezone.localtime(record.created_at):%Y-%m-%d} · "
                 f"{record.get_status_display()}")
        records.append(Item(title, answers))
    sections.append(Section("forms", "Assessments, plans and other forms", "", records))
    if managing:
        goals = [Item(f"Goal {g.position}: {g.domain}",
                      [_f("text", "Goal", g.text), _f("status", "Status", g.status)]
                      + [_f(f"action_{a.position}", f"Action {a.position}",
                            f"{a.text} ({a.responsible_agency_text or '—'}, "
                            f"{_show(a.due_date)}, {a.status})")
                         for a in g.actions.all()])
                 for g in current_goals(case.pk)]
        sections.append(Section("plan", "Reintegration plan", Category.CASE_MANAGEMENT,
                                goals))
        sections.append(Section("services", "Services delivered", Category.CASE_MANAGEMENT, [
            Item(f"{s.get_service_type_display()} from {s.start_date.isoformat()}",
                 _model_fields(s, ("service_type", "description", "provider_name",
                                   "start_date", "end_date", "outcome")))
            for s in ServiceDelivered.objects.filter(case=case).order_by("start_date", "id")]))
        sections.append(Section("reviews", "Plan reviews", Category.CASE_MANAGEMENT, [
            Item(f"Review of {r.reviewed_on.isoformat()}",
                 _model_fields(r, ("reviewed_on", "summary", "child_views",
                                   "child_views_weight", "plan_change_needed",
                                   "next_review_on")))
            for r in PlanReview.objects.filter(case=case).order_by("reviewed_on", "id")]))
        sections += _sharing_sections(case)
    return sections


def _sharing_sections(case: Case) -> list[Section]:
    consents = [Item(f"Consent #{c.pk} ({c.get_kind_display()})", _model_fields(c, (
        "given_by", "representative_name", "child_assent", "child_views",
        "caregiver_involvement", "override_reason", "categories", "purpose",
        "receiving_agency", "receiving_service", "consented_on", "valid_until",
        "withdrawn_on", "withdrawn_reason")))
        for c in Consent.objects.filter(case=case).select_related("receiving_agency")
        .order_by("recorded_at", "id")]
    referrals = []
    for r in (Referral.objects.filter(case=case).select_related("receiving_agency")
              .prefetch_related("service_reports").order_by("created_at", "id")):
        facts = _model_fields(r, ("service_name", "categories", "purpose", "status",
                                  "created_at", "access_until", "decline_reason",
                                  "end_note"))
        facts.insert(0, _f("receiver", "Referred to", r.receiver_label))
        facts += [_f(f"service_{s.pk}", f"Service reported ({s.delivered_on.isoformat()})",
                     f"{s.service_type}: {s.outcome}") for s in r.service_reports.all()]
        referrals.append(Item(f"Referral #{r.pk}", facts))
    transfers = [Item(f"Transfer #{t.pk}", [
        _f("from", "From", t.from_agency.name), _f("to", "To", t.to_agency.name),
        *_model_fields(t, ("reason", "status", "proposed_at", "decided_at",
                           "decision_note"))])
        for t in Transfer.objects.filter(case=case).select_related("from_agency",
                                                                   "to_agency")
        .order_by("proposed_at", "id")]
    return [Section("consents", "Consents to share", Category.CASE_MANAGEMENT, consents),
            Section("referrals", "Referrals", Category.CASE_MANAGEMENT, referrals),
            Section("transfers", "Transfers", Category.CASE_MANAGEMENT, transfers)]


def _corrections(child_id: int, categories: frozenset[Category]) -> Section:
    rows = (CorrectionRequest.objects.filter(child_id=child_id,
                                             category__in=[str(c) for c in categories])
            .order_by("recorded_at", "id"))
    return Section("corrections", "Correction requests and their history", "", [
        Item(f"Request #{c.pk} of {c.received_on.isoformat()} · {c.get_status_display()}",
             [_f("category", "Part of the record", CATEGORY_LABELS.get(c.category,
                                                                        c.category)),
              *_model_fields(c, ("requested_by", "representative_name", "item", "statement",
                                 "requested_change", "status", "decided_at",
                                 "decision_reason"))])
        for c in rows])


def subject_export(*, actor: Any, case_id: int, fmt: str = "html") -> SubjectExport:
    """Everything the actor may see about the child of this case, for the child or their
    guardian. Requires ``Perm.EDIT`` on the case (the owning agency's caseworker or
    supervisor); the child's other cases the actor may see are included, each filtered by
    its own categories. Audited as one EXPORT entry."""
    case = _editable_case(actor, case_id)
    categories = policy.categories_for(actor, case)
    child = (Child.objects.filter(pk=case.child_id)
             .prefetch_related("names", "aliases", "identifiers", "family",
                               "age_assessments").get())
    cases = list(policy.cases_visible_to(actor).filter(child_id=child.pk)
                 .select_related("owning_agency", "assigned_to").order_by("opened_at", "id"))
    case_exports = []
    union = set(categories)
    for other in cases:
        cats = categories if other.pk == case.pk else policy.categories_for(actor, other)
        union |= cats
        case_exports.append(CaseExport(other.case_number, other.owning_agency.name,
                                       tuple(sorted(cats)), _case_sections(actor, other, cats)))
    export = SubjectExport(
        generated_at=timezone.now(), generated_by=str(actor), agency=actor.agency.name,
        child_public_id=str(child.public_id), categories=tuple(sorted(categories)),
        child_sections=_child_sections(child, categories), cases=case_exports,
        corrections=_corrections(child.pk, frozenset(union)))
    audit_record(actor=actor, action=Action.EXPORT, object_type="child",
                 object_id=child.public_id, child_id=child.pk, case_id=case.pk,
                 detail={"purpose": "data_subject_request", "format": fmt,
                         "case_ids": [c.pk for c in cases],
                         "categories": sorted(str(c) for c in categories)})
    return export

