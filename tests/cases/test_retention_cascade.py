"""The retention job on a case that holds real rows in every app: form records, ODK
submissions (a processed one with a photo, a failed one kept for review), care records,
plan goals and actions, services, a plan review, consents, referrals with a service
report, a declined transfer, a break-glass use, notifications and a correction request —
all written through the services, then the case closed past its retention date.

The dry run lists every kind of row beforehand and changes nothing; the real run removes
exactly what the dry run listed (nothing of the case is left in any app, the photo is
gone from storage), its audit entry gives kinds and counts, never content; a second run
changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from bridgeway.audit.models import AuditEntry
from bridgeway.care import models as care
from bridgeway.care.services import plan_review_record, service_record
from bridgeway.cases.models import Case, CaseEvent, CaseNote, Task
from bridgeway.forms.models import Attachment, FormRecord, RawSubmission
from bridgeway.justice import models as jm
from bridgeway.justice.retention import run_retention
from bridgeway.referrals import models as rm
from bridgeway.referrals import services as svc
from bridgeway.referrals import subject_requests as sr
from bridgeway.registry import models as reg
from tests.care.conftest import builtin, fill  # noqa: F401
from tests.cases.test_retention import AFTER, CLOSED, MARK, marked_payload
from tests.forms.odk_support import basic, collect_submission, visit_xlsx
from tests.raw_db import cells_holding

pytestmark = pytest.mark.django_db

REASON = f"{MARK} child brought to our emergency unit, allergies needed"
PHOTO = f"{MARK} photo bytes".encode()


def held(case_id: int, child_id: int) -> dict[str, int]:
    """How many rows each app holds about the case (and the child's identity)."""
    about_case: dict[str, Any] = {
        "case_notes": CaseNote.objects.filter(case_id=case_id),
        "case_timeline_entries": CaseEvent.objects.filter(case_id=case_id),
        "tasks": Task.objects.filter(case_id=case_id),
        "form_records": FormRecord.objects.filter(case_id=case_id),
        "raw_submissions": RawSubmission.objects.filter(
            Q(case_id=case_id) | Q(record__case_id=case_id)),
        "attachments": Attachment.objects.filter(
            Q(record__case_id=case_id) | Q(raw_submission__case_id=case_id)),
        "care_records": care.CareRecord.objects.filter(case_id=case_id),
        "approvals": care.Approval.objects.filter(case_id=case_id),
        "plan_goals": care.PlanGoal.objects.filter(case_id=case_id),
        "plan_actions": care.PlanAction.objects.filter(case_id=case_id),
        "services": care.ServiceDelivered.objects.filter(case_id=case_id),
        "plan_reviews": care.PlanReview.objects.filter(case_id=case_id),
        "consents": rm.Consent.objects.filter(case_id=case_id),
        "referrals": rm.Referral.objects.filter(case_id=case_id),
        "service_reports": rm.ServiceReport.objects.filter(referral__case_id=case_id),
        "transfers": rm.Transfer.objects.filter(case_id=case_id),
        "transfer_events": rm.TransferEvent.objects.filter(transfer__case_id=case_id),
        "break_glass": rm.BreakGlass.objects.filter(case_id=case_id),
        "notifications": rm.Notification.objects.filter(case_id=case_id),
        "correction_requests": rm.CorrectionRequest.objects.filter(case_id=case_id),
        "names": reg.ChildName.objects.filter(child_id=child_id),
        "family_members": reg.FamilyMember.objects.filter(child_id=child_id),
    }
    return {name: qs.count() for name, qs in about_case.items()}


def raw_marker_hits() -> list[str]:
    """Tables whose raw rows (as stored: ciphertext for encrypted columns) still contain
    the marker. The audit log is left out: it is never touched, and the entries written
    before the run may name what the users did (the run's own entries are checked
    separately)."""
    hits = cells_holding(MARK, skip=("audit_auditentry",), ignore_case=True)
    return list(dict.fromkeys(table for table, _column in hits))


def odk_submissions(people: Any, case: Case) -> None:
    """A processed ODK submission with a photo, and a failed one kept for review."""
    from bridgeway.accounts.services import api_token_issue
    from bridgeway.forms.services import form_version_upload

    version = form_version_upload(actor=people.sysadmin, file_bytes=visit_xlsx(),
                                  purpose="follow_up").version
    auth = basic("caseworker", api_token_issue(user=people.caseworker, name="phone")[1])
    values = {"case_number": case.case_number, "start": "2025-01-10T09:00:00.000+07:00",
              "visit_date": "2025-01-10", "age": "14", "in_school": "yes",
              "school_name": f"{MARK} school", "needs": "food", "needs_count": "1",
              "siblings": "3", "distance_km": "12.5",
              "goal": [{"goal_text": f"{MARK} goal", "due_date": "2025-03-01",
                        "goal_status": "open"}]}
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    for overrides, files in (({}, {"photo.jpg": PHOTO}), ({"age": "30"}, {})):
        xml, _ = collect_submission(version.xform, {**values, **overrides})
        data: dict[str, Any] = {"xml_submission_file": SimpleUploadedFile(
            "submission.xml", xml, "text/xml")}
        data.update({n: SimpleUploadedFile(n, c, "image/jpeg") for n, c in files.items()})
        response = client.post("/odk/submission", data, HTTP_AUTHORIZATION=auth,
                               HTTP_X_OPENROSA_VERSION="1.0")
        assert response.status_code in (201, 400), response.content
    failed = RawSubmission.objects.get(status="failed")
    assert failed.case_id == case.pk and failed.record_id is None


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    storages = dict(settings.STORAGES)
    storages["default"] = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                           "OPTIONS": {"location": str(tmp_path / "media")}}
    settings.STORAGES = storages
    return tmp_path / "media"


@pytest.fixture
def full_case(people: Any, register: Any, fill: Any, media: Any) -> Case:  # noqa: F811
    from bridgeway.accounts.models import Agency
    from bridgeway.care.services import approval_decide
    from bridgeway.cases.services import (
        case_add_note,
        case_decide_closure,
        case_request_closure,
    )
    from tests.care.conftest import psychosocial_values

    case = register(child=marked_payload("a"))
    case_add_note(actor=people.caseworker, case_id=case.pk, body=f"{MARK} note")
    # forms and care: assessments, an approved plan (goals, actions, approval), a service
    # delivered against a plan action, a plan review
    fill("bw_initial_assessment", case)
    fill("bw_psychosocial_assessment", case,
         values={**psychosocial_values(), "assessor_summary": f"{MARK} summary"})
    plan = fill("bw_reintegration_plan", case)
    approval_decide(actor=people.supervisor, record_id=plan.pk, approve=True)
    action = care.PlanAction.objects.filter(case_id=case.pk).first()
    today = timezone.localdate().isoformat()
    service_record(actor=people.caseworker, case_id=case.pk, data={
        "service_type": "education", "provider_name": "School", "start_date": today,
        "outcome": f"{MARK} outcome", "action": action.pk})
    plan_review_record(actor=people.caseworker, case_id=case.pk, data={
        "reviewed_on": today, "summary": f"{MARK} review", "child_views": "I like school.",
        "child_views_weight": "Kept the school goal.", "plan_change_needed": False})
    odk_submissions(people, case)
    # referrals: a consent and a referral to the clinic, accepted, a service reported
    until = (timezone.localdate() + timedelta(days=90)).isoformat()
    consent = svc.consent_record(actor=people.caseworker, case_id=case.pk,
                                 data=svc.ConsentInput(
                                     given_by="child", categories=["identity", "health"],
                                     purpose="health care", valid_until=until,
                                     receiving_agency_id=people.agency_health.pk,
                                     child_views=f"{MARK} views",
                                     caregiver_involvement="Mother present."))
    referral = svc.referral_create(actor=people.caseworker, case_id=case.pk,
                                   data=svc.ReferralInput(
                                       consent_id=consent.pk, categories=["identity", "health"],
                                       purpose=f"{MARK} purpose",
                                       receiving_agency_id=people.agency_health.pk))
    svc.referral_accept(actor=people.health_worker, referral_id=referral.pk)
    svc.referral_report_service(actor=people.health_worker, referral_id=referral.pk,
                                service_type="check-up", delivered_on=timezone.localdate(),
                                outcome=f"{MARK} report")
    # a transfer proposed under a transfer consent, declined by the other agency
    transfer_consent = svc.consent_record(
        actor=people.caseworker, case_id=case.pk, data=svc.ConsentInput(
            given_by="child", categories=None, purpose="family moves", valid_until=until,
            receiving_agency_id=people.agency_b.pk, kind="transfer",
            caregiver_involvement="Mother present."))
    transfer = svc.transfer_propose(actor=people.supervisor, case_id=case.pk,
                                    data=svc.TransferInput(consent_id=transfer_consent.pk,
                                                           to_agency_id=people.agency_b.pk,
                                                           reason=f"{MARK} move"))
    svc.transfer_decline(actor=people.outsider_supervisor, transfer_id=transfer.pk,
                         reason="No capacity in the north.")
    # emergency access by another agency's supervisor, ended
    use = svc.break_glass_open(actor=people.outsider_supervisor, case_id=case.pk,
                               reason=REASON)
    svc.break_glass_end(actor=people.outsider_supervisor, break_glass_id=use.pk)
    sr.correction_request_record(actor=people.caseworker, case_id=case.pk,
                                 data=sr.CorrectionInput(
                                     requested_by="child", category="family", item="Mother",
                                     statement=f"{MARK} statement",
                                     requested_change="Spelt otherwise."))
    # closed, and long enough ago
    case_request_closure(actor=people.caseworker, case_id=case.pk, reason="other",
                         note=f"{MARK} closure")
    case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=True)
    Case.objects.filter(pk=case.pk).update(closed_at=CLOSED)
    assert Agency.objects.filter(pk=people.agency_b.pk).exists()
    return Case.objects.get(pk=case.pk)


def stored_files(media: Any) -> list[str]:
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def test_the_case_holds_rows_of_every_kind(full_case):
    counts = held(full_case.pk, full_case.child_id)
    assert all(counts.values()), {k: v for k, v in counts.items() if not v}


@pytest.mark.parametrize("policy", ["anonymise", "delete"])
def test_dry_run_lists_every_row_and_changes_nothing(full_case, media, settings, policy):
    settings.BRIDGEWAY_CASE_RETENTION_POLICY = policy
    before = held(full_case.pk, full_case.child_id)
    files = stored_files(media)
    n_audit = AuditEntry.objects.count()
    result = run_retention(dry_run=True, now=AFTER)
    [planned] = result["planned"]
    assert (planned["case_number"], planned["action"]) == (full_case.case_number, policy)
    counts = planned["counts"]
    for table in ("bw_forms_formrecord", "bw_forms_rawsubmission", "bw_forms_attachment",
                  "care_carerecord", "care_approval", "care_plangoal", "care_planaction",
                  "care_servicedelivered", "care_planreview", "referrals_consent",
                  "referrals_referral", "referrals_servicereport", "referrals_transfer",
                  "referrals_transferevent", "referrals_breakglass",
                  "referrals_notification", "referrals_correctionrequest"):
        assert counts.get(table), table
    assert counts["bw_forms_rawsubmission"] == before["raw_submissions"] == 2
    assert counts["care_plangoal"] == before["plan_goals"]
    assert counts["care_planaction"] == before["plan_actions"]
    assert counts["referrals_notification"] == before["notifications"]
    assert counts["stored_files"] == 1 and counts["case_notes"] == 1
    # nothing changed: rows, files, audit log, markers
    assert held(full_case.pk, full_case.child_id) == before
    assert stored_files(media) == files and len(files) == 1
    assert AuditEntry.objects.count() == n_audit
    assert not jm.RetentionAction.objects.exists()
    assert Case.objects.get(pk=full_case.pk).closure_note == f"{MARK} closure"


@pytest.mark.parametrize("policy", ["anonymise", "delete"])
def test_run_removes_what_the_dry_run_listed_and_audits_counts_only(
        full_case, media, settings, policy, django_capture_on_commit_callbacks):
    settings.BRIDGEWAY_CASE_RETENTION_POLICY = policy
    planned = run_retention(dry_run=True, now=AFTER)["planned"][0]["counts"]
    seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    with django_capture_on_commit_callbacks(execute=True):
        result = run_retention(now=AFTER)
    assert result["counts"][policy] == 1

    left = held(full_case.pk, full_case.child_id)
    assert not any(left.values()), {k: v for k, v in left.items() if v}
    assert stored_files(media) == []
    assert raw_marker_hits() == []
    if policy == "anonymise":
        kept = Case.objects.get(pk=full_case.pk)
        assert kept.status == "closed" and kept.closure_note == ""
    else:
        assert not Case.objects.filter(pk=full_case.pk).exists()
        assert not reg.Child.objects.filter(pk=full_case.child_id).exists()

    entry = AuditEntry.objects.get(seq__gt=seq, object_type="case_retention")
    assert entry.detail["removed"] == planned
    action = jm.RetentionAction.objects.get(case_id=full_case.pk, action=policy)
    assert action.counts == planned
    for written in AuditEntry.objects.filter(seq__gt=seq):
        assert MARK not in f"{written.detail} {written.reason} {written.object_id}".lower()
    assert all(isinstance(v, int) for v in entry.detail["removed"].values())

    # A second run finds nothing to do and changes nothing.
    n_audit = AuditEntry.objects.filter(case_id=full_case.pk).count()
    snapshot = list(Case.objects.filter(pk=full_case.pk).values())
    again = run_retention(now=AFTER)
    assert again["counts"][policy] == 0 and again["counts"]["expunge"] == 0
    assert AuditEntry.objects.filter(case_id=full_case.pk).count() == n_audit
    assert list(Case.objects.filter(pk=full_case.pk).values()) == snapshot
    assert run_retention(dry_run=True, now=AFTER)["planned"] == []
    from bridgeway.audit.services import audit_verify

    assert audit_verify(record=False).ok


def test_two_due_cases_of_one_child_are_planned_as_the_run_does_them(people, register,
                                                                     settings):
    """The dry run counts the child as leaving with the last of its cases, as the run
    does (not with each, and not never)."""
    from tests.cases.test_retention import closed_marked_case

    settings.BRIDGEWAY_CASE_RETENTION_POLICY = "delete"
    first = closed_marked_case(people, register)
    from bridgeway.cases.services import CaseFields, case_decide_closure, case_open
    from bridgeway.cases.services import case_request_closure as request

    second = case_open(actor=people.outsider, child=first.child, fields=CaseFields(),
                       opened_at=CLOSED)
    request(actor=people.outsider, case_id=second.pk, reason="goals_met")
    case_decide_closure(actor=people.outsider_supervisor, case_id=second.pk, approve=True)
    Case.objects.filter(pk=second.pk).update(closed_at=CLOSED)
    planned = {p["case_id"]: p["counts"] for p in
               run_retention(dry_run=True, now=AFTER)["planned"]}
    assert "children" not in planned[first.pk] and planned[second.pk]["children"] == 1
    done = {a.case_id: a.counts for a in (run_retention(now=AFTER) and
                                          jm.RetentionAction.objects.all())}
    assert done == planned
    assert not reg.Child.objects.filter(pk=first.child_id).exists()


def test_closed_at_boundary_uses_the_policy_years(full_case, settings):
    settings.BRIDGEWAY_CASE_RETENTION_YEARS = 11
    assert run_retention(dry_run=True, now=AFTER)["planned"] == []
    later = datetime(2031, 3, 11, 9, 30, tzinfo=UTC)
    assert [p["action"] for p in run_retention(dry_run=True, now=later)["planned"]] == [
        "anonymise"]
