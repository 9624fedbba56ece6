"""OpenRosa Form List and Submission APIs as ODK Collect uses them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from bridgeway.audit.models import AuditEntry
from bridgeway.cases.models import CaseEvent
from bridgeway.forms.models import Attachment, FormRecord, RawStatus, RawSubmission
from bridgeway.forms.services import form_version_upload
from tests.forms.conftest import good_values
from tests.forms.odk_support import basic, collect_submission, visit_xlsx

pytestmark = pytest.mark.django_db

RESPONSE = "{http://openrosa.org/http/response}"
LIST = "{http://openrosa.org/xforms/xformsList}"


def message_of(response: Any) -> str:
    root = fromstring(response.content)
    assert root.tag == f"{RESPONSE}OpenRosaResponse"
    message = root.find(f"{RESPONSE}message")
    assert message is not None
    return message.text or ""


def assert_openrosa(response: Any, status: int) -> None:
    assert response.status_code == status, response.content
    assert response["X-OpenRosa-Version"] == "1.0"


def nothing_stored() -> None:
    assert RawSubmission.objects.count() == 0
    assert FormRecord.objects.count() == 0


# --------------------------------------------------------------------------
# Authentication


def test_no_credentials_get_401_with_a_challenge(client: Any, visit_form: Any) -> None:
    for response in (client.get("/odk/formList"), client.head("/odk/submission"),
                     client.post("/odk/submission")):
        assert_openrosa(response, 401)
        assert response["WWW-Authenticate"].startswith("Basic realm=")


def test_account_password_is_not_accepted(client: Any, people: Any, tokens: Any) -> None:
    response = client.get("/odk/formList",
                          HTTP_AUTHORIZATION=basic("caseworker", "pw-caseworker"))
    assert_openrosa(response, 401)


def test_token_of_another_user_is_not_accepted(client: Any, tokens: Any) -> None:
    response = client.get("/odk/formList",
                          HTTP_AUTHORIZATION=basic("supervisor", tokens["caseworker"]))
    assert_openrosa(response, 401)


def test_revoked_token_is_not_accepted(client: Any, people: Any, tokens: Any) -> None:
    from bridgeway.accounts.services import api_token_revoke

    for token in people.caseworker.api_tokens.all():
        api_token_revoke(user=people.caseworker, token_id=token.pk)
    response = client.get("/odk/formList",
                          HTTP_AUTHORIZATION=basic("caseworker", tokens["caseworker"]))
    assert_openrosa(response, 401)


def test_bearer_token_is_accepted(client: Any, tokens: Any, visit_form: Any) -> None:
    response = client.get("/odk/formList",
                          HTTP_AUTHORIZATION=f"Bearer {tokens['caseworker']}")
    assert_openrosa(response, 200)


def test_roles_that_do_not_collect_get_403(device: Any, visit_form: Any) -> None:
    for username in ("analyst", "sysadmin"):
        assert_openrosa(device(username).get("/odk/formList"), 403)


# --------------------------------------------------------------------------
# Form list, download, manifest


def test_form_list(device: Any, visit_form: Any, people: Any) -> None:
    newer = form_version_upload(actor=people.sysadmin, file_bytes=visit_xlsx("2"),
                                purpose="follow_up").version
    response = device("caseworker").get("/odk/formList")
    assert_openrosa(response, 200)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = fromstring(response.content)
    assert root.tag == f"{LIST}xforms"
    (xform,) = root.findall(f"{LIST}xform")
    text = {child.tag.removeprefix(LIST): child.text for child in xform}
    assert text["formID"] == "bw_test_visit"
    assert text["version"] == "2"
    assert text["hash"] == f"md5:{newer.xform_md5}"
    assert text["downloadUrl"] == "http://testserver/odk/forms/bw_test_visit/2/form.xml"
    assert text["manifestUrl"] == "http://testserver/odk/forms/bw_test_visit/2/manifest"
    all_versions = fromstring(device("caseworker").get(
        "/odk/formList", listAllVersions="true").content)
    assert len(all_versions.findall(f"{LIST}xform")) == 2
    assert fromstring(device("caseworker").get(
        "/odk/formList", formID="other").content).findall(f"{LIST}xform") == []


def test_form_download_matches_the_listed_hash(device: Any, visit_form: Any) -> None:
    import hashlib

    response = device("supervisor").get("/odk/forms/bw_test_visit/1/form.xml")
    assert_openrosa(response, 200)
    assert hashlib.md5(response.content).hexdigest() == visit_form.xform_md5  # noqa: S324
    assert b'<data id="bw_test_visit" version="1">' in response.content
    assert_openrosa(device("supervisor").get("/odk/forms/bw_test_visit/9/form.xml"), 404)


def test_manifest_is_an_empty_list(device: Any, visit_form: Any) -> None:
    response = device("caseworker").get("/odk/forms/bw_test_visit/1/manifest")
    assert_openrosa(response, 200)
    root = fromstring(response.content)
    assert root.tag == "{http://openrosa.org/xforms/xformsManifest}manifest"
    assert list(root) == []


def test_head_submission(device: Any) -> None:
    response = device("caseworker").head("/odk/submission")
    assert_openrosa(response, 204)
    assert int(response["X-OpenRosa-Accept-Content-Length"]) == 10 * 1024 * 1024


# --------------------------------------------------------------------------
# Submissions


def test_round_trip_xlsform_to_stored_record(device: Any, submission: Any, case: Any,
                                             people: Any) -> None:
    xml, instance_id = submission()
    assert b"<goal><goal_text>Back to school</goal_text>" in xml
    assert b"<family><siblings>3</siblings>" in xml
    assert f"<meta><instanceID>{instance_id}</instanceID></meta>".encode() in xml
    response = device("caseworker").submit(xml, {"photo.jpg": b"\xff\xd8jpeg"})
    assert_openrosa(response, 201)
    assert fromstring(response.content).find(f"{RESPONSE}message").get(
        "nature") == "submit_success"
    record = FormRecord.objects.get()
    assert (record.case, record.instance_id, record.channel, record.submitted_by) == (
        case, instance_id, "odk", people.caseworker)
    expected = good_values(case.case_number)
    assert record.data == {**expected, "school_name": "SD Negeri 3"}
    assert record.data["needs"] == "food health"
    assert record.data["goal"][1]["due_date"] == "2025-02-01"
    raw = RawSubmission.objects.get()
    assert (raw.status, raw.record, bytes(raw.xml)) == (RawStatus.PROCESSED, record, xml)
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.size, attachment.record) == ("photo.jpg", 6, record)
    assert attachment.file.read() == b"\xff\xd8jpeg"
    assert CaseEvent.objects.filter(case=case, kind="form_submitted").exists()
    audit = AuditEntry.objects.get(object_type="form_record", action="create")
    assert (audit.channel, audit.case_id) == ("odk", case.pk)


def test_duplicate_instance_id_is_accepted_once(device: Any, submission: Any) -> None:
    xml, _ = submission()
    assert_openrosa(device("caseworker").submit(xml), 201)
    again = device("caseworker").submit(xml)
    assert_openrosa(again, 202)
    assert "already received" in message_of(again)
    assert FormRecord.objects.count() == 1
    assert RawSubmission.objects.count() == 1


def test_split_submission_adds_attachments(device: Any, submission: Any) -> None:
    xml, _ = submission()
    assert_openrosa(device("caseworker").submit(xml, {"a.jpg": b"1"}), 201)
    assert_openrosa(device("caseworker").submit(xml, {"b.jpg": b"2"}), 201)
    assert sorted(Attachment.objects.values_list("name", flat=True)) == ["a.jpg", "b.jpg"]
    assert FormRecord.objects.count() == 1


def test_edited_resubmission_with_deprecated_id_updates(device: Any, submission: Any) -> None:
    xml, first_id = submission()
    assert_openrosa(device("caseworker").submit(xml), 201)
    edited, second_id = submission(deprecated_id=first_id, age="15")
    assert_openrosa(device("caseworker").submit(edited), 201)
    record = FormRecord.objects.get()
    assert (record.instance_id, record.data["age"], record.version) == (second_id, "15", 2)
    assert record.previous_instance_ids == [first_id]
    assert_openrosa(device("caseworker").submit(xml), 202)  # the old one again
    assert FormRecord.objects.count() == 1


def test_validation_failure_is_kept_for_review(device: Any, submission: Any, case: Any
                                               ) -> None:
    xml, instance_id = submission(age="30", school_name="")
    response = device("caseworker").submit(xml)
    assert_openrosa(response, 400)
    text = message_of(response)
    assert "age: Age must be 0 to 17." in text and "school_name: This field is required." in text
    assert "kept" in text
    assert FormRecord.objects.count() == 0
    raw = RawSubmission.objects.get()
    assert (raw.status, raw.error_kind, raw.instance_id, raw.case) == (
        RawStatus.FAILED, "invalid", instance_id, case)
    assert raw.errors == {"age": ["Age must be 0 to 17."],
                          "school_name": ["This field is required."]}


def test_case_the_user_may_not_write(device: Any, submission: Any) -> None:
    xml, _ = submission()
    response = device("outsider").submit(xml)
    assert_openrosa(response, 403)
    assert FormRecord.objects.count() == 0
    raw = RawSubmission.objects.get()
    assert (raw.status, raw.error_kind, raw.case) == (RawStatus.FAILED, "not_allowed", None)
    # a colleague in the same agency who is not assigned to the case: same answer
    xml, _ = submission()
    assert_openrosa(device("other_caseworker").submit(xml), 403)


def test_a_device_still_on_the_older_version_is_stored_with_that_version(
        device: Any, submission: Any, people: Any) -> None:
    """Collected offline on version 1; meanwhile version 2 was uploaded. The form list now
    offers version 2, and the version-1 submission is stored with version 1."""
    xml, _ = submission()
    form_version_upload(actor=people.sysadmin, file_bytes=visit_xlsx("2"),
                        purpose="follow_up")
    listed = fromstring(device("caseworker").get("/odk/formList").content)
    ns = "{http://openrosa.org/xforms/xformsList}"
    assert [v.text for v in listed.iter(f"{ns}version")] == ["2"]
    assert_openrosa(device("caseworker").submit(xml), 201)
    record = FormRecord.objects.get()
    assert record.form_version.version == "1"
    assert record.data["case_number"] == good_values(record.case.case_number)["case_number"]


def test_unknown_case_number(device: Any, submission: Any) -> None:
    xml, _ = submission(case_number="BW-1999-999999")
    assert_openrosa(device("caseworker").submit(xml), 403)
    assert RawSubmission.objects.get().error_kind == "not_allowed"


def test_unknown_form_version(device: Any, submission: Any) -> None:
    xml, _ = submission()
    wrong = xml.replace(b'version="1"', b'version="7"', 1)
    response = device("caseworker").submit(wrong)
    assert_openrosa(response, 400)
    assert "Version '7' of form 'bw_test_visit' is not on this server (current version: '1')" \
        in message_of(response)
    unknown = xml.replace(b'id="bw_test_visit"', b'id="bw_nope"', 1)
    response = device("caseworker").submit(unknown)
    assert_openrosa(response, 400)
    assert "not known to this server" in message_of(response)
    assert FormRecord.objects.count() == 0
    assert set(RawSubmission.objects.values_list("error_kind", flat=True)) == {"unknown_form"}


@pytest.mark.parametrize("body", [
    b"<data id='x'><unclosed></data>",
    b"not xml at all",
    b"",
])
def test_malformed_xml(device: Any, visit_form: Any, body: bytes) -> None:
    response = device("caseworker").submit(body)
    assert_openrosa(response, 400)
    assert FormRecord.objects.count() == 0
    assert RawSubmission.objects.get().error_kind == "malformed_xml"


def test_missing_instance_id(device: Any, submission: Any) -> None:
    xml, instance_id = submission()
    response = device("caseworker").submit(xml.replace(instance_id.encode(), b""))
    assert_openrosa(response, 400)
    assert RawSubmission.objects.get().error_kind == "missing_instance_id"


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<data id="bw_test_visit" version="1"><case_number>&secret;</case_number>
<meta><instanceID>uuid:11111111-1111-1111-1111-111111111111</instanceID></meta></data>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<data id="bw_test_visit" version="1"><case_number>&lol3;</case_number>
<meta><instanceID>uuid:22222222-2222-2222-2222-222222222222</instanceID></meta></data>"""


@pytest.mark.parametrize("payload", [XXE, BILLION_LAUGHS], ids=["xxe", "billion-laughs"])
def test_dtds_and_entities_are_refused(device: Any, visit_form: Any, payload: bytes) -> None:
    response = device("caseworker").submit(payload)
    assert_openrosa(response, 400)
    assert "DTD or entities" in message_of(response)
    assert FormRecord.objects.count() == 0
    raw = RawSubmission.objects.get()
    assert (raw.error_kind, raw.instance_id) == ("forbidden_xml", "")  # nothing parsed


def test_oversized_attachment(device: Any, submission: Any, settings: Any) -> None:
    settings.BRIDGEWAY_ODK_MAX_ATTACHMENT_BYTES = 1000
    xml, _ = submission()
    response = device("caseworker").submit(xml, {"big.jpg": b"x" * 5000, "ok.jpg": b"y"})
    assert_openrosa(response, 413)
    assert "big.jpg" in message_of(response)
    assert FormRecord.objects.count() == 0
    assert Attachment.objects.count() == 0
    raw = RawSubmission.objects.get()
    assert (raw.error_kind, bytes(raw.xml)) == ("oversized", xml)


def test_oversized_xml_stores_nothing(device: Any, submission: Any, settings: Any) -> None:
    settings.BRIDGEWAY_ODK_MAX_ATTACHMENT_BYTES = 100
    xml, _ = submission()
    assert_openrosa(device("caseworker").submit(xml), 413)
    nothing_stored()


def _multipart(xml: bytes) -> bytes:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return encode_multipart(BOUNDARY, {
        "xml_submission_file": SimpleUploadedFile("submission.xml", xml, "text/xml"),
        "photo.jpg": SimpleUploadedFile("photo.jpg", b"z" * 4000, "image/jpeg")})


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
def test_connection_dropped_mid_upload(client: Any, tokens: Any, submission: Any,
                                       cut: float) -> None:
    xml, _ = submission()
    body = _multipart(xml)
    truncated = body[: int(len(body) * cut)]
    response = client.generic(
        "POST", "/odk/submission", b"", HTTP_AUTHORIZATION=basic("caseworker",
                                                                  tokens["caseworker"]),
        **{"wsgi.input": io.BytesIO(truncated), "CONTENT_LENGTH": str(len(body)),
           "CONTENT_TYPE": MULTIPART_CONTENT})
    assert_openrosa(response, 400)
    assert "incomplete" in message_of(response)
    nothing_stored()
    # the client retries with the whole body
    response = client.generic("POST", "/odk/submission", body, MULTIPART_CONTENT,
                              HTTP_AUTHORIZATION=basic("caseworker", tokens["caseworker"]))
    assert_openrosa(response, 201)
    assert FormRecord.objects.count() == 1


def test_submission_without_xml_file(client: Any, tokens: Any, visit_form: Any) -> None:
    response = client.post("/odk/submission", {"other": "x"},
                           HTTP_AUTHORIZATION=basic("caseworker", tokens["caseworker"]))
    assert_openrosa(response, 400)
    nothing_stored()


def test_not_multipart(client: Any, tokens: Any) -> None:
    response = client.post("/odk/submission", b"<data/>", content_type="text/xml",
                           HTTP_AUTHORIZATION=basic("caseworker", tokens["caseworker"]))
    assert_openrosa(response, 400)
    nothing_stored()


def test_a_retry_of_a_failed_submission_reuses_the_raw_row(device: Any, submission: Any
                                                           ) -> None:
    xml, _ = submission(age="30")
    assert_openrosa(device("caseworker").submit(xml), 400)
    assert_openrosa(device("caseworker").submit(xml), 400)
    raw = RawSubmission.objects.get()
    assert raw.attempts == 2


def test_fixed_on_the_device_and_resent_supersedes_the_failed_one(device: Any,
                                                                  submission: Any) -> None:
    bad, instance_id = submission(age="30")
    assert_openrosa(device("caseworker").submit(bad), 400)
    good, _ = submission(instance_id=instance_id)
    assert_openrosa(device("caseworker").submit(good), 201)
    statuses = dict(RawSubmission.objects.values_list("xml_sha256", "status"))
    assert sorted(statuses.values()) == ["processed", "superseded"]
    assert FormRecord.objects.count() == 1


def test_same_errors_on_the_web_and_from_odk(client: Any, device: Any, submission: Any,
                                             people: Any, case: Any, visit_form: Any
                                             ) -> None:
    bad = {"age": "30", "in_school": "yes", "school_name": "", "needs": "none food",
           "visit_date": "2025-01-10"}
    xml, _ = submission(goal=[], **bad)
    assert_openrosa(device("caseworker").submit(xml), 400)
    odk_errors = RawSubmission.objects.get().errors

    client.force_login(people.caseworker)
    response = client.post(f"/forms/cases/{case.pk}/bw_test_visit/new/",
                           {"_version": visit_form.pk, "_rows:goal": "0", **bad})
    assert response.status_code == 400
    web_errors = {path: [m for _, _, m in [e for e in response.context["view"].error_list
                                           if e[0] == f"f-{path}"]]
                  for path in odk_errors}
    assert odk_errors == web_errors == {
        "age": ["Age must be 0 to 17."], "school_name": ["This field is required."],
        "needs": ["'None' excludes the others."]}


def test_collect_submission_helper_matches_the_xform(visit_form: Any) -> None:
    """The helper sends what the XForm's instance defines, in order."""
    xml, _ = collect_submission(visit_form.xform, {"case_number": "X", "goal": []})
    root = fromstring(xml)
    assert (root.tag, root.get("id"), root.get("version")) == ("data", "bw_test_visit", "1")
    assert [child.tag for child in root][:4] == ["case_number", "start", "visit_date", "age"]
    assert root.find("goal") is None and root.find("meta/instanceID") is not None
