"""Form writes: uploading form versions, submitting and editing records, and receiving and
processing ODK submissions.

Each public function is one business operation: access check, validation, write, case
event and audit entry in one transaction. ODK submissions are the exception on purpose:
the raw submission is committed in its own transaction *before* it is processed, so a
submission that cannot be processed is still kept (never lost) for a supervisor to fix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from bridgeway.access import policy
from bridgeway.access.policy import Perm
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.cases.events import case_event
from bridgeway.cases.models import Case
from bridgeway.core.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.forms.engine import evaluate_record
from bridgeway.forms.models import (
    Attachment,
    Channel,
    FormDefinition,
    FormRecord,
    FormVersion,
    Purpose,
    RawStatus,
    RawSubmission,
    RecordStatus,
)
from bridgeway.forms.submission_xml import SubmissionXMLError, parse_submission, submission_values
from bridgeway.forms.xlsform import CASE_NUMBER_FIELD, ConvertedForm, convert_xlsform

# --------------------------------------------------------------------------
# Form versions


@dataclass
class UploadResult:
    version: FormVersion
    created: bool
    warnings: list[str] = field(default_factory=list)


def _store_version(*, actor: Any, data: bytes, converted: ConvertedForm, purpose: str
                   ) -> UploadResult:
    sha = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        definition = FormDefinition.objects.select_for_update().filter(
            form_id=converted.form_id).first()
        if definition is not None:
            if definition.purpose != purpose:
                raise ValidationFailed.single(
                    "purpose", f"Form '{definition.form_id}' is registered for "
                    f"'{definition.purpose}', not '{purpose}'.")
            existing = definition.versions.filter(version=converted.version).first()
            if existing is not None:
                # A workbook saved again (new timestamps inside the .xlsx, same form) is the
                # same version: compare what the form *is*, not the file's bytes.
                if existing.sha256 == sha or (existing.xform == converted.xform
                                              and existing.schema == converted.schema):
                    return UploadResult(existing, False, list(existing.warnings))
                raise ValidationFailed.single(
                    "file", f"Version '{converted.version}' of form '{converted.form_id}' "
                    "already exists with different content. Give the new workbook a higher "
                    "'version' in its settings sheet; stored versions never change.")
            if definition.title != converted.title:
                definition.title = converted.title
                definition.save(update_fields=["title"])
        else:
            try:
                with transaction.atomic():
                    definition = FormDefinition.objects.create(
                        form_id=converted.form_id, purpose=purpose, title=converted.title)
            except IntegrityError as exc:
                raise DomainError("Another upload of this form is in progress; "
                                  "try again.") from exc
        try:
            with transaction.atomic():
                version = FormVersion.objects.create(
                    form=definition, version=converted.version, title=converted.title,
                    xlsx=bytes(data), sha256=sha, xform=converted.xform,
                    xform_md5=hashlib.md5(converted.xform.encode(), usedforsecurity=False
                                          ).hexdigest(),
                    schema=converted.schema, warnings=converted.warnings,
                    uploaded_by=actor if getattr(actor, "pk", None) else None,
                    uploaded_at=timezone.now())
        except IntegrityError as exc:
            raise DomainError("Another upload of this version is in progress; "
                              "try again.") from exc
        audit_record(actor=actor, action=Action.CREATE, object_type="form_version",
                     object_id=f"{converted.form_id}:{converted.version}",
                     detail={"purpose": purpose, "sha256": sha,
                             "warnings": len(converted.warnings)})
        return UploadResult(version, True, list(converted.warnings))


def form_version_upload(*, actor: Any, file_bytes: bytes, purpose: str) -> UploadResult:
    """Check, convert and store an XLSForm workbook as a new immutable form version.

    Raises ``FormRejected`` (a ``ValidationFailed``) naming the row and construct of every
    problem; nothing is stored then. Uploading the same workbook again changes nothing."""
    if not policy.may_configure(actor):
        raise NotAllowed("Only administrators upload forms.")
    if purpose not in Purpose.values:
        raise ValidationFailed.single("purpose", f"Unknown purpose {purpose!r}.")
    converted = convert_xlsform(file_bytes)
    return _store_version(actor=actor, data=file_bytes, converted=converted, purpose=purpose)


# Built-in purposes that are named differently in the shipped registry.
BUILTIN_PURPOSE_ALIASES = {"follow_up_visit": Purpose.FOLLOW_UP, "case_closure": Purpose.CLOSURE}


def builtin_purpose(value: str) -> str:
    if value in Purpose.values:
        return value
    return str(BUILTIN_PURPOSE_ALIASES.get(value, Purpose.OTHER))


def forms_load_builtin() -> list[UploadResult]:
    """Load every workbook shipped in ``forms/builtin`` (idempotent: a workbook with the
    same checksum adds nothing). Runs as the system, from a management command."""
    from bridgeway.forms.builtin import BUILTIN_FORMS

    results = []
    for form in BUILTIN_FORMS:
        data = form.path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        existing = FormVersion.objects.filter(form__form_id=form.form_id, sha256=sha).first()
        if existing is not None:
            results.append(UploadResult(existing, False, list(existing.warnings)))
            continue
        converted = convert_xlsform(data)
        results.append(_store_version(actor=None, data=data, converted=converted,
                                      purpose=builtin_purpose(str(form.purpose))))
    return results


# --------------------------------------------------------------------------
# Records


def _language(actor: Any, language: str | None) -> str | None:
    return language or getattr(actor, "language", "") or translation.get_language()


def _check_case_number(values: dict[str, Any], case: Case) -> dict[str, list[str]]:
    given = values.get(CASE_NUMBER_FIELD)
    if given not in (None, "") and str(given).strip() != case.case_number:
        return {CASE_NUMBER_FIELD: [f"This record belongs to case {case.case_number}, "
                                    f"not {given}."]}
    values[CASE_NUMBER_FIELD] = case.case_number
    return {}


def _evaluate(version: FormVersion, values: Any, *, case: Case, language: str | None,
              draft: bool, today: dt.date | None) -> dict[str, Any]:
    if not isinstance(values, Mapping):
        raise ValidationFailed.single("__all__", "Expected an object of answers.")
    values = dict(values)
    errors = _check_case_number(values, case)
    result = evaluate_record(version.schema, values, today=today or timezone.localdate(),
                             language=language, require=not draft)
    for path, messages in result.errors.items():
        errors.setdefault(path, []).extend(messages)
    if errors:
        raise ValidationFailed(errors)
    return result.values


def _record_audit(actor: Any, record: FormRecord, action: Action, **detail: Any) -> None:
    version = record.form_version
    audit_record(actor=actor, action=action, object_type="form_record", object_id=record.pk,
                 child_id=record.case.child_id, case_id=record.case_id,
                 detail={"form_id": version.form.form_id, "version": version.version,
                         "status": record.status, **detail})


def form_record_submit(*, actor: Any, case_id: int, form_version_id: int, values: Any,
                       channel: str = Channel.WEB, instance_id: str | None = None,
                       draft: bool = False, language: str | None = None,
                       today: dt.date | None = None) -> FormRecord:
    """Validate a filled form and store it on a case, or raise ValidationFailed with every
    field error (nothing stored). ``instance_id`` makes a submission idempotent: the same
    id from the same user on the same case returns the stored record."""
    if channel not in Channel.values:
        raise ValidationFailed.single("channel", f"Unknown channel {channel!r}.")
    with transaction.atomic():
        case = policy.case_for(actor, pk=case_id, perm=Perm.EDIT)
        version = FormVersion.objects.select_related("form").filter(pk=form_version_id).first()
        if version is None:
            raise NotFound()
        instance_id = instance_id or f"uuid:{uuid.uuid4()}"
        existing = FormRecord.objects.filter(instance_id=instance_id).first()
        if existing is not None:
            if existing.case_id == case.pk and existing.submitted_by_id == actor.pk:
                return existing
            raise Conflict("A record with this instance id already exists.",
                           current_version=existing.version)
        data = _evaluate(version, values, case=case, language=_language(actor, language),
                         draft=draft, today=today)
        now = timezone.now()
        record = FormRecord.objects.create(
            case=case, form_version=version, instance_id=instance_id, data=data,
            status=RecordStatus.DRAFT if draft else RecordStatus.SUBMITTED, channel=channel,
            submitted_by=actor, submitted_at=None if draft else now, created_at=now,
            updated_at=now, updated_by=actor)
        case_event(case=case, actor=actor, kind="form_draft_saved" if draft else
                   "form_submitted", params={"form_id": version.form.form_id,
                                             "version": version.version,
                                             "record_id": record.pk, "channel": channel})
        _record_audit(actor, record, Action.CREATE, channel=channel)
        return record


def form_record_update(*, actor: Any, record_id: int, expected_version: int, values: Any,
                       draft: bool = False, language: str | None = None,
                       today: dt.date | None = None) -> FormRecord:
    """Edit a record with the exact form version it was filled with. Somebody else's newer
    save changes nothing, is audited as a conflict (as a case edit is) and raises Conflict;
    approved records are not edited."""
    with transaction.atomic():
        record = (FormRecord.objects.select_for_update(of=("self",))
                  .select_related("form_version__form", "case").filter(pk=record_id).first())
        if record is None:
            raise NotFound()
        case = policy.case_for(actor, pk=record.case_id, perm=Perm.EDIT)
        if record.status == RecordStatus.APPROVED:
            raise NotAllowed("An approved record is not edited; a supervisor returns it "
                             "for changes first.")
        if record.version != expected_version:  # the entry commits with nothing else written; Conflict is raised after
            _record_audit(actor, record, Action.CONFLICT, expected=expected_version,
                          current=record.version)
        else:
            return _record_write(actor=actor, record=record, case=case, values=values,
                                 draft=draft, language=language, today=today)
    raise Conflict("This record was changed by someone else since you opened it.",
                   current_version=record.version)


def _record_write(*, actor: Any, record: FormRecord, case: Any, values: Any, draft: bool,
                  language: str | None, today: dt.date | None) -> FormRecord:
    """The edit itself, inside ``form_record_update``'s transaction with the row locked."""
    if draft and record.status != RecordStatus.DRAFT:
        raise DomainError("A submitted record cannot go back to draft.")
    data = _evaluate(record.form_version, values, case=case,
                     language=_language(actor, language), draft=draft, today=today)
    changed = sorted(k for k in set(data) | set(record.data)
                     if data.get(k) != record.data.get(k))
    now = timezone.now()
    was_draft = record.status == RecordStatus.DRAFT
    record.data = data
    record.version += 1
    record.updated_at, record.updated_by = now, actor
    if not draft:
        record.status = (RecordStatus.SUBMITTED
                         if record.status in (RecordStatus.DRAFT, RecordStatus.SUBMITTED)
                         else record.status)
        if was_draft:
            record.submitted_at = now
    record.save()
    case_event(case=case, actor=actor, kind="form_updated",
               params={"record_id": record.pk, "fields": changed,
                       "form_id": record.form_version.form.form_id})
    _record_audit(actor, record, Action.UPDATE, fields=changed)
    return record


# --------------------------------------------------------------------------
# ODK submissions


@dataclass
class IncomingFile:
    name: str
    content_type: str
    data: bytes


@dataclass
class SubmissionOutcome:
    """``result``: created | updated | duplicate | failed. ``error_kind`` for failures:
    forbidden_xml, malformed_xml, missing_instance_id, unknown_form, not_allowed,
    invalid, oversized, approved."""

    result: str
    raw: RawSubmission | None = None
    record: FormRecord | None = None
    error_kind: str = ""
    message: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)


class _Failed(Exception):
    def __init__(self, kind: str, message: str, errors: dict[str, list[str]] | None = None,
                 case: Case | None = None) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message
        self.errors = errors or {"__all__": [message]}
        self.case = case


def _existing_record(instance_id: str) -> FormRecord | None:
    """The record an instanceID belongs to, including ids it had before ODK edits."""
    found = FormRecord.objects.filter(instance_id=instance_id).first()
    if found is not None:
        return found
    raw = (RawSubmission.objects.filter(instance_id=instance_id, record__isnull=False)
           .select_related("record").first())
    return raw.record if raw is not None else None


def _store_attachments(raw: RawSubmission, files: Iterable[IncomingFile],
                       record: FormRecord | None = None) -> int:
    stored = set(raw.attachments.values_list("name", flat=True))
    added = 0
    for f in files:
        name = f.name.replace("/", "_").replace("\\", "_")[:255] or "attachment"
        if name in stored:
            continue
        attachment = Attachment(raw_submission=raw, record=record, name=name,
                                content_type=f.content_type[:100], size=len(f.data),
                                sha256=hashlib.sha256(f.data).hexdigest(),
                                received_at=timezone.now())
        attachment.file.save(name, ContentFile(f.data), save=False)
        attachment.save()
        stored.add(name)
        added += 1
    return added


def odk_submission_receive(*, actor: Any, xml: bytes, files: list[IncomingFile],
                           oversized: list[str] | None = None) -> SubmissionOutcome:
    """Keep what a device sent, then process it. Idempotent on the XForm instanceID."""
    xml = bytes(xml)
    sha = hashlib.sha256(xml).hexdigest()
    try:
        header = parse_submission(xml)
    except SubmissionXMLError as exc:
        raw = _raw_create(actor=actor, xml=xml, sha=sha, instance_id="", form_id="",
                          version="")
        return _raw_fail(raw, _Failed(exc.kind, exc.message))

    record = _existing_record(header.instance_id)
    if record is not None and not oversized:
        earlier = record.raw_submissions.order_by("-received_at").first()
        added = 0
        if earlier is not None and earlier.xml_sha256 == sha and files:
            # OpenRosa lets a client split a large submission over several POSTs.
            with transaction.atomic():
                added = _store_attachments(earlier, files, record)
        if added:
            return SubmissionOutcome("created", earlier, record,
                                     message=f"{added} more attachment(s) received.")
        return SubmissionOutcome("duplicate", earlier, record,
                                 message="This submission was already received.")

    retry = (RawSubmission.objects.filter(instance_id=header.instance_id, xml_sha256=sha,
                                          submitted_by=actor)
             .exclude(status__in=[RawStatus.PROCESSED, RawStatus.SUPERSEDED]).first())
    if retry is None:
        raw = _raw_create(actor=actor, xml=xml, sha=sha, instance_id=header.instance_id,
                          form_id=header.form_id, version=header.version)
    else:
        raw = retry
        RawSubmission.objects.filter(pk=raw.pk).update(attempts=raw.attempts + 1)
    if oversized:
        names = ", ".join(oversized)
        return _raw_fail(raw, _Failed("oversized", f"Attachment(s) too large: {names}. The "
                                      "form data was kept; the files were not."))
    if files:
        with transaction.atomic():
            _store_attachments(raw, files)
    return _raw_process(raw, actor=actor)


def _raw_create(*, actor: Any, xml: bytes, sha: str, instance_id: str, form_id: str,
                version: str) -> RawSubmission:
    with transaction.atomic():
        raw = RawSubmission.objects.create(
            instance_id=instance_id, form_id=form_id[:100], form_version_label=version[:100],
            xml=xml, xml_sha256=sha, received_at=timezone.now(), submitted_by=actor)
        audit_record(actor=actor, action=Action.CREATE, object_type="raw_submission",
                     object_id=raw.pk, detail={"instance_id": instance_id,
                                               "form_id": form_id, "version": version})
    return raw


def _raw_fail(raw: RawSubmission, failure: _Failed) -> SubmissionOutcome:
    with transaction.atomic():
        RawSubmission.objects.filter(pk=raw.pk).update(
            status=RawStatus.FAILED, error_kind=failure.kind, errors=failure.errors,
            case=failure.case if failure.case is not None else raw.case)
        raw.refresh_from_db()
    return SubmissionOutcome("failed", raw, None, failure.kind, failure.message,
                             failure.errors)


def _visible_case(user: Any, case_number: str) -> Case | None:
    try:
        return policy.case_for(user, case_number=case_number, perm=Perm.VIEW)
    except (NotFound, NotAllowed):
        return None


def _raw_process(raw: RawSubmission, *, actor: Any) -> SubmissionOutcome:
    """Turn a stored raw submission into a record, or mark it failed with its errors."""
    try:
        with transaction.atomic():
            outcome = _raw_process_atomic(raw, actor=actor)
    except _Failed as failure:
        return _raw_fail(raw, failure)
    except IntegrityError:
        # A concurrent POST of the same instance won the race.
        record = _existing_record(raw.instance_id)
        if record is None:
            raise
        RawSubmission.objects.filter(pk=raw.pk).update(status=RawStatus.SUPERSEDED)
        return SubmissionOutcome("duplicate", raw, record,
                                 message="This submission was already received.")
    return outcome


def _raw_process_atomic(raw: RawSubmission, *, actor: Any) -> SubmissionOutcome:
    raw = RawSubmission.objects.select_for_update().get(pk=raw.pk)
    if raw.status == RawStatus.PROCESSED:
        return SubmissionOutcome("duplicate", raw, raw.record,
                                 message="This submission was already processed.")
    try:
        header = parse_submission(bytes(raw.xml))
    except SubmissionXMLError as exc:
        raise _Failed(exc.kind, exc.message) from exc
    version = FormVersion.objects.select_related("form").filter(
        form__form_id=header.form_id, version=header.version).first()
    if version is None:
        known = FormDefinition.objects.filter(form_id=header.form_id).first()
        current = known.current_version() if known else None
        message = (f"Version '{header.version}' of form '{header.form_id}' is not on this "
                   f"server" + (f" (current version: '{current.version}')." if current
                                else "; the form is not known to this server."))
        raise _Failed("unknown_form", message)
    if raw.fixed_values is not None:
        values = dict(raw.fixed_values)
    else:
        values = submission_values(version.schema, header.root)
    case_number = str(values.get(CASE_NUMBER_FIELD) or "").strip()
    submitter = raw.submitted_by
    try:
        case = policy.case_for(actor, case_number=case_number, perm=Perm.EDIT)
    except (NotFound, NotAllowed) as exc:
        raise _Failed("not_allowed", f"No case '{case_number}' that you may write to.",
                      {CASE_NUMBER_FIELD: [f"No case '{case_number}' that you may write to."]},
                      case=_visible_case(actor, case_number) if case_number else None
                      ) from exc
    language = getattr(submitter, "language", "") or None
    result = evaluate_record(version.schema, values, today=timezone.localdate(raw.received_at),
                             language=language)
    if result.errors:
        raise _Failed("invalid", "The answers do not pass the form's checks.", result.errors,
                      case=case)
    now = timezone.now()
    outcome = "created"
    record = _existing_record(header.deprecated_id) if header.deprecated_id else None
    if record is not None:
        record = FormRecord.objects.select_for_update().get(pk=record.pk)
        if record.case_id != case.pk or record.form_version.form_id != version.form_id:
            raise _Failed("invalid", "The edited submission does not match the record it "
                          "replaces (case or form differ).", case=case)
        if record.status == RecordStatus.APPROVED:
            raise _Failed("approved", "The record this edit replaces is approved; ask a "
                          "supervisor to return it for changes.", case=case)
        record.previous_instance_ids = [*record.previous_instance_ids, record.instance_id]
        record.instance_id = header.instance_id
        record.form_version = version
        record.data = result.values
        record.version += 1
        record.updated_at, record.updated_by = now, actor
        record.save()
        outcome = "updated"
    else:
        record = FormRecord.objects.create(
            case=case, form_version=version, instance_id=header.instance_id,
            data=result.values, status=RecordStatus.SUBMITTED, channel=Channel.ODK,
            submitted_by=submitter, submitted_at=now, created_at=now, updated_at=now,
            updated_by=actor)
    raw.status, raw.record, raw.case = RawStatus.PROCESSED, record, case
    raw.processed_at, raw.error_kind, raw.errors = now, "", {}
    raw.save(update_fields=["status", "record", "case", "processed_at", "error_kind",
                            "errors"])
    raw.attachments.filter(record__isnull=True).update(record=record)
    (RawSubmission.objects.filter(instance_id=raw.instance_id, status=RawStatus.FAILED)
     .exclude(pk=raw.pk).update(status=RawStatus.SUPERSEDED))
    case_event(case=case, actor=actor, kind="form_submitted" if outcome == "created"
               else "form_updated", params={"form_id": version.form.form_id,
                                            "version": version.version,
                                            "record_id": record.pk, "channel": "odk"})
    _record_audit(actor, record, Action.CREATE if outcome == "created" else Action.UPDATE,
                  channel="odk", raw_submission=raw.pk)
    return SubmissionOutcome(outcome, raw, record, message="Submission received.")


def raw_submission_reprocess(*, actor: Any, raw_id: int,
                             values: Mapping[str, Any] | None = None) -> SubmissionOutcome:
    """A supervisor re-processes a failed submission, optionally with corrected answers.
    The corrections are kept (``fixed_values``) even when processing fails again; the
    XML as received is never changed."""
    from bridgeway.forms.selectors import raw_submission_get

    raw = raw_submission_get(actor=actor, raw_id=raw_id, audit=False)
    if raw.status in (RawStatus.PROCESSED, RawStatus.SUPERSEDED):
        raise DomainError("This submission was already processed.")
    if values is not None:
        if not isinstance(values, Mapping):
            raise ValidationFailed.single("__all__", "Expected an object of answers.")
        with transaction.atomic():
            RawSubmission.objects.filter(pk=raw.pk).update(fixed_values=dict(values),
                                                           fixed_by=actor)
            audit_record(actor=actor, action=Action.UPDATE, object_type="raw_submission",
                         object_id=raw.pk, case_id=raw.case_id,
                         detail={"fixed_fields": sorted(values)})
        raw.refresh_from_db()
    audit_record(actor=actor, action=Action.STATUS, object_type="raw_submission",
                 object_id=raw.pk, case_id=raw.case_id, detail={"reprocess": True})
    return _raw_process(raw, actor=actor)
