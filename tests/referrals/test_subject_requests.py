"""Data-subject requests: the export of everything held on one child (HTML to print,
JSON) through the caseworker, filtered by what the caseworker may see and audited as an
export; correction requests with their history."""

from __future__ import annotations

import pytest
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.audit.models import AuditEntry
from bridgeway.core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.referrals import services as svc
from bridgeway.referrals import subject_requests as sr
from bridgeway.referrals.models import CorrectionRequest, CorrectionStatus
from tests.referrals.conftest import (
    MARK_ASSOC,
    MARK_FAMILY,
    MARK_OFFENCE,
    MARK_PHONE,
    born_years_ago,
)
from tests.referrals.sharing_support import last_seq, text

pytestmark = pytest.mark.django_db
MARKERS = (MARK_FAMILY, MARK_PHONE, MARK_ASSOC, MARK_OFFENCE)
HEALTH_NOTE = "QX-PHYSICAL-HEALTH-MARKER"
MIND_NOTE = "QX-MENTAL-HEALTH-MARKER"


@pytest.fixture
def assessed(fill, people, sensitive_case):
    """A comprehensive best-interests assessment (a draft) with health and psychosocial
    detail on the marked case."""
    record = fill("bw_bia_comprehensive", sensitive_case, draft=True, values={
        "physical_health": HEALTH_NOTE, "mental_health": MIND_NOTE})
    assert record.data["physical_health"] == HEALTH_NOTE
    assert record.data["mental_health"] == MIND_NOTE
    return record


def correction(people, case, **overrides):
    data = {"requested_by": "child", "category": "identity", "item": "Date of birth",
            "statement": "I was born in March, not May.",
            "requested_change": "Date of birth in March."}
    data.update(overrides)
    return sr.correction_request_record(actor=people.caseworker, case_id=case.pk,
                                        data=sr.CorrectionInput(**data))


# --- the export ---------------------------------------------------------------------------------------

def test_export_holds_everything_the_caseworker_sees_and_is_audited(people, sensitive_case,
                                                                    assessed, consent):
    svc.referral_create(actor=people.caseworker, case_id=sensitive_case.pk,
                        data=svc.ReferralInput(consent_id=consent.pk, categories=["health"],
                                               purpose="QX-REFERRAL-PURPOSE",
                                               receiving_agency_id=people.agency_health.pk))
    correction(people, sensitive_case)
    seq = last_seq()
    export = sr.subject_export(actor=people.caseworker, case_id=sensitive_case.pk)
    dumped = str(export.as_json())
    for expected in (*MARKERS, HEALTH_NOTE, MIND_NOTE, "Aisyah", "QX-REFERRAL-PURPOSE",
                     "I was born in March, not May.", "health care"):
        assert expected in dumped, expected
    keys = [s.key for s in export.child_sections]
    assert keys == ["identity", "names", "identifiers", "age_evidence", "family"]
    case_keys = {s.key for s in export.cases[0].sections}
    assert {"case_case_management", "case_association_history", "case_justice", "notes",
            "forms", "plan", "services", "reviews", "consents", "referrals",
            "transfers"} <= case_keys
    entry = AuditEntry.objects.get(seq__gt=seq)
    assert (entry.action, entry.child_id, entry.case_id) == (
        "export", sensitive_case.child_id, sensitive_case.pk)
    assert entry.detail["purpose"] == "data_subject_request"
    assert HEALTH_NOTE not in str(entry.detail) and MARK_FAMILY not in str(entry.detail)


def test_export_leaves_out_categories_the_caseworker_does_not_hold(
        people, settings, sensitive_case, assessed):
    """A caseworker whose grants miss some categories (here the sector policy of the
    owning agency is narrowed) gets an export without them."""
    settings.BRIDGEWAY_SECTOR_CATEGORIES = {
        "child_protection": ["identity", "case_management", "health"]}
    held = {str(c) for c in policy.categories_for(people.caseworker, sensitive_case)}
    assert held == {"identity", "case_management", "health"}
    dumped = str(sr.subject_export(actor=people.caseworker,
                                   case_id=sensitive_case.pk).as_json())
    assert HEALTH_NOTE in dumped and "Aisyah" in dumped
    for hidden in (*MARKERS, MIND_NOTE):
        assert hidden not in dumped, hidden


def test_only_who_may_edit_the_case_exports(people, more, sensitive_case, accepted):
    assert sr.subject_export(actor=people.supervisor, case_id=sensitive_case.pk)
    with pytest.raises(NotAllowed):  # sees the case through the referral, may not edit it
        sr.subject_export(actor=people.health_worker, case_id=sensitive_case.pk)
    for user in (people.outsider, people.police_officer, people.analyst, people.auditor,
                 people.sysadmin, people.other_caseworker, more.health_worker_2):
        with pytest.raises(NotFound):
            sr.subject_export(actor=user, case_id=sensitive_case.pk)
    for bad in (None, "1", True, 10**12):
        with pytest.raises(NotFound):
            sr.subject_export(actor=people.caseworker, case_id=bad)
    assert not AuditEntry.objects.filter(action="export", actor=people.outsider).exists()


def test_export_pages_html_and_json(people, web, sensitive_case, assessed):
    url = f"/sharing/cases/{sensitive_case.pk}/export/"
    page = web(people.caseworker).get(url)
    body = text(page)
    assert page.status_code == 200
    assert "Information held about you" in body and HEALTH_NOTE in body
    assert "referrals/print.css" in body and "<script" not in body.split("</footer>")[0]
    # answers are labelled as in the form
    assert f'<dt>Physical health</dt><dd dir="auto">{HEALTH_NOTE}</dd>' in body
    js = web(people.caseworker).get(url.rstrip("/") + ".json")
    assert js.status_code == 200 and js["Content-Type"] == "application/json"
    assert "attachment" in js["Content-Disposition"]
    assert HEALTH_NOTE in js.content.decode()
    assert AuditEntry.objects.filter(action="export", actor=people.caseworker).count() == 2
    assert {e.detail["format"] for e in AuditEntry.objects.filter(action="export")} == {
        "html", "json"}
    assert web(people.outsider).get(url).status_code == 404
    assert web(people.police_officer).get(url.rstrip("/") + ".json").status_code == 404


def test_export_api(people, api_as, sensitive_case, assessed, accepted):
    url = f"/api/v1/sharing/cases/{sensitive_case.pk}/export/"
    got = api_as(people.caseworker).get(url)
    assert got.status_code == 200
    assert got.json()["cases"][0]["case_number"] == sensitive_case.case_number
    assert HEALTH_NOTE in got.content.decode()
    assert api_as(people.health_worker).get(url).status_code == 403
    assert api_as(people.outsider).get(url).status_code == 404


# --- corrections -------------------------------------------------------------------------------------

def test_correction_request_and_its_history(people, sensitive_case):
    made = correction(people, sensitive_case)
    assert made.status == CorrectionStatus.OPEN and made.child_id == sensitive_case.child_id
    with pytest.raises(ValidationFailed) as exc:
        sr.correction_request_decide(actor=people.caseworker, correction_id=made.pk,
                                     accept=False, reason="")
    assert "reason" in exc.value.errors
    done = sr.correction_request_decide(actor=people.caseworker, correction_id=made.pk,
                                        accept=False, reason="The birth certificate says May.")
    assert done.status == CorrectionStatus.REJECTED
    with pytest.raises(DomainError, match="already rejected"):
        sr.correction_request_decide(actor=people.supervisor, correction_id=made.pk,
                                     accept=True)
    other = correction(people, sensitive_case, item="Nickname")
    sr.correction_request_decide(actor=people.supervisor, correction_id=other.pk, accept=True)
    history = str(sr.subject_export(actor=people.caseworker,
                                    case_id=sensitive_case.pk).corrections)
    assert "The birth certificate says May." in history and "Nickname" in history
    kinds = list(sensitive_case.events.values_list("kind", flat=True))
    assert {"correction_requested", "correction_rejected", "correction_accepted"} <= set(kinds)
    assert AuditEntry.objects.filter(object_type="correction_request").count() == 4


def test_correction_bad_input(people, register, sensitive_case):
    with pytest.raises(ValidationFailed) as exc:
        correction(people, sensitive_case, requested_by="neighbour", category="gossip",
                   item="", statement="", requested_change="")
    assert set(exc.value.errors) == {"requested_by", "category", "item", "statement",
                                     "requested_change"}
    young = register(actor=people.caseworker, date_of_birth=born_years_ago(8), family=[
        {"relationship": "father", "name": "Yusuf", "is_legal_guardian": False}])
    father = young.child.family.get()
    with pytest.raises(ValidationFailed) as guardian:
        correction(people, young, requested_by="representative", family_member_id=father.pk)
    assert "legal guardian" in guardian.value.errors["family_member_id"][0]
    with pytest.raises(ValidationFailed) as foreign:
        correction(people, young, requested_by="representative",
                   family_member_id=sensitive_case.child.family.get().pk)
    assert "Not a family member" in foreign.value.errors["family_member_id"][0]
    assert not CorrectionRequest.objects.exists()


def test_corrections_are_for_who_may_edit(people, sensitive_case, accepted):
    made = correction(people, sensitive_case)
    with pytest.raises(NotAllowed):  # sees the case through the referral only
        sr.correction_request_record(actor=people.health_worker, case_id=sensitive_case.pk,
                                     data=sr.CorrectionInput("child", "identity", "x", "y",
                                                             "z"))
    for user in (people.outsider, people.police_officer, people.auditor):
        with pytest.raises(NotFound):
            sr.corrections_for_case(actor=user, case_id=sensitive_case.pk)
        with pytest.raises(NotFound):
            sr.correction_request_decide(actor=user, correction_id=made.pk, accept=True)


def test_corrections_page_and_api(people, web, api_as, sensitive_case):
    url = f"/sharing/cases/{sensitive_case.pk}/corrections/"
    bad = web(people.caseworker).post(url, {"requested_by": "child", "category": "identity",
                                            "item": "", "statement": "Kept 3C",
                                            "requested_change": ""})
    assert bad.status_code == 400 and "Kept 3C" in text(bad)
    assert 'id="new-item-e"' in text(bad)
    ok = web(people.caseworker).post(url, {
        "requested_by": "representative", "category": "family",
        "family_member_id": sensitive_case.child.family.get().pk, "item": "Mother's phone",
        "statement": "Old number.", "requested_change": "+62 811 0000 1111",
        "received_on": timezone.localdate().isoformat()})
    assert ok.status_code == 302
    made = CorrectionRequest.objects.get()
    assert made.representative_name == MARK_FAMILY
    page = text(web(people.caseworker).get(url))
    assert f'id="correction-{made.pk}"' in page
    decide = f"/sharing/corrections/{made.pk}/decide/"
    assert web(people.caseworker).post(decide, {"decision": "maybe"}).status_code == 400
    accepted = web(people.caseworker).post(decide, {"decision": "accept"})
    assert accepted.status_code == 302
    assert accepted["Location"] == f"/cases/{sensitive_case.pk}/edit/"
    assert web(people.outsider).get(url).status_code == 404
    api_url = f"/api/v1/sharing/cases/{sensitive_case.pk}/corrections/"
    items = api_as(people.caseworker).get(api_url).json()["items"]
    assert [i["status"] for i in items] == ["accepted"]
    created = api_as(people.caseworker).post(api_url, {
        "requested_by": "child", "category": "identity", "item": "Name",
        "statement": "Spelling.", "requested_change": "Aisya"}, format="json")
    assert created.status_code == 201
    cid = created.json()["id"]
    decision = f"/api/v1/sharing/corrections/{cid}/decision/"
    assert api_as(people.caseworker).post(decision, {"decision": "reject"}, format="json"
                                          ).status_code == 400
    assert api_as(people.caseworker).post(decision, {"decision": "reject",
                                                     "reason": "Documents differ."},
                                          format="json").json()["status"] == "rejected"
    assert api_as(people.outsider).post(decision, {"decision": "accept"}, format="json"
                                        ).status_code == 404
