"""Failed ODK submissions: listed for the right supervisors, fixed and re-processed,
never deleted."""

from __future__ import annotations

from typing import Any

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.core.errors import DomainError, NotFound
from bridgeway.forms.models import FormRecord, ImmutableError, RawStatus, RawSubmission
from bridgeway.forms.selectors import failed_submissions
from bridgeway.forms.services import form_version_upload, raw_submission_reprocess
from tests.forms.conftest import good_values
from tests.forms.odk_support import visit_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(device: Any, submission: Any) -> RawSubmission:
    """A submission from the caseworker that fails validation (age out of range)."""
    xml, _ = submission(age="30")
    assert device("caseworker").submit(xml).status_code == 400
    return RawSubmission.objects.get()


def test_failed_submission_is_listed_for_the_case_agency_supervisor(failed: Any,
                                                                    people: Any) -> None:
    assert failed_submissions(actor=people.supervisor) == [failed]
    assert failed_submissions(actor=people.outsider_supervisor) == []
    assert failed_submissions(actor=people.caseworker) == []
    assert AuditEntry.objects.filter(actor=people.supervisor, action="list",
                                     object_type="raw_submission").exists()


def test_unknown_case_goes_to_the_submitters_supervisor(device: Any, submission: Any,
                                                        people: Any) -> None:
    xml, _ = submission()
    assert device("outsider").submit(xml).status_code == 403
    raw = RawSubmission.objects.get()
    assert raw.case is None
    assert failed_submissions(actor=people.outsider_supervisor) == [raw]
    assert failed_submissions(actor=people.supervisor) == []


def test_failed_list_page(client: Any, failed: Any, people: Any) -> None:
    client.force_login(people.supervisor)
    response = client.get("/forms/submissions/failed/")
    assert response.status_code == 200
    assert f"/forms/submissions/{failed.pk}/".encode() in response.content
    assert b"Age must be 0 to 17." in response.content
    client.force_login(people.caseworker)
    assert client.get("/forms/submissions/failed/").status_code == 403
    client.force_login(people.outsider_supervisor)
    assert client.get(f"/forms/submissions/{failed.pk}/").status_code == 404


def test_fix_and_reprocess_through_the_page(client: Any, failed: Any, people: Any,
                                            case: Any) -> None:
    client.force_login(people.supervisor)
    page = client.get(f"/forms/submissions/{failed.pk}/")
    assert page.status_code == 200
    assert b'name="age" value="30"' in page.content
    values = good_values(case.case_number)
    post: dict[str, Any] = {k: v for k, v in values.items()
                            if k not in ("goal", "needs", "needs_count", "start")}
    post.update({"_fix": "1", "age": "13", "needs": ["food", "health"], "_rows:goal": "2"})
    for index, goal in enumerate(values["goal"], start=1):
        for key, value in goal.items():
            post[f"goal[{index}].{key}"] = value
    response = client.post(f"/forms/submissions/{failed.pk}/", post)
    assert response.status_code == 302, response.content
    record = FormRecord.objects.get()
    assert response["Location"] == f"/forms/records/{record.pk}/"
    assert record.data["age"] == "13" and record.submitted_by == people.caseworker
    assert record.data["start"] == values["start"]  # metadata kept from the device
    failed.refresh_from_db()
    assert (failed.status, failed.record, failed.fixed_by) == (RawStatus.PROCESSED, record,
                                                              people.supervisor)
    assert b"<age>30</age>" in bytes(failed.xml)  # the XML as received never changes
    assert AuditEntry.objects.filter(actor=people.supervisor, object_type="raw_submission",
                                     action="update").exists()


def test_a_correction_that_still_fails_is_kept(failed: Any, people: Any, case: Any) -> None:
    values = good_values(case.case_number)
    values["age"] = "40"
    outcome = raw_submission_reprocess(actor=people.supervisor, raw_id=failed.pk,
                                       values=values)
    assert (outcome.result, outcome.errors) == ("failed", {"age": ["Age must be 0 to 17."]})
    failed.refresh_from_db()
    assert failed.status == RawStatus.FAILED and failed.fixed_values["age"] == "40"
    assert FormRecord.objects.count() == 0


def test_reprocess_after_the_missing_form_version_is_uploaded(device: Any, submission: Any,
                                                              people: Any) -> None:
    xml, _ = submission()
    xml = xml.replace(b'version="1"', b'version="2"', 1)
    assert device("caseworker").submit(xml).status_code == 400
    raw = RawSubmission.objects.get()
    assert raw.error_kind == "unknown_form"
    form_version_upload(actor=people.sysadmin, file_bytes=visit_xlsx("2"), purpose="follow_up")
    outcome = raw_submission_reprocess(actor=people.supervisor, raw_id=raw.pk)
    assert outcome.result == "created"
    assert outcome.record.form_version.version == "2"


def test_only_reviewers_reprocess_and_only_once(failed: Any, people: Any, case: Any) -> None:
    with pytest.raises(NotFound):
        raw_submission_reprocess(actor=people.outsider_supervisor, raw_id=failed.pk)
    with pytest.raises(NotFound):
        raw_submission_reprocess(actor=people.caseworker, raw_id=failed.pk)
    outcome = raw_submission_reprocess(actor=people.supervisor, raw_id=failed.pk,
                                       values=good_values(case.case_number))
    assert outcome.result == "created"
    with pytest.raises(DomainError, match="already processed"):
        raw_submission_reprocess(actor=people.supervisor, raw_id=failed.pk)


def test_raw_submissions_are_never_deleted(failed: Any) -> None:
    with pytest.raises(ImmutableError):
        failed.delete()
    assert RawSubmission.objects.count() == 1
