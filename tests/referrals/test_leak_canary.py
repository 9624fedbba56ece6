"""Leak canary: a unique marker is planted in every sensitive field of one child's record
— family names, phone, address and notes, the association place and who recognized the
child as a victim, the alleged offence, a case note, the closure note, form answers in
every data category, a service's outcome, the child's views at consent, a referral's
purpose, a correction request, and the justice record (why a justice agency is involved,
a justice event's notes, the detention register's reason, last-resort justification,
alternatives, why not separated from adults, family contact and health problems) — and
every page and API endpoint is fetched as each
user who is *not* entitled to them. No response body may contain any marker.

The personas: a caseworker of another agency, a police officer without involvement, a
caseworker of the owning agency who is not assigned, a clinic caseworker of the same
agency as the receiver but not assigned, an analyst, an auditor, a system administrator,
a supervisor whose break-glass access has expired, and a community agency whose referral
ended when the child withdrew consent. The clinic caseworker who holds a referral for
identity and health is entitled to the health markers and nothing else; a prosecutor whose
office is involved in the case is entitled to the justice record and nothing else (never
the detention register's health problems).

Controls: the owning agency's supervisor finds every marker through the same requests
(so the planting worked and the requests reach the pages that show them), and the clinic
caseworker finds the health marker.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bridgeway.accounts.models import Agency, User
from bridgeway.care.services import service_record
from bridgeway.cases.services import case_add_note, case_request_closure
from bridgeway.forms.models import FormRecord
from bridgeway.justice import services as justice
from bridgeway.justice.models import Facility
from bridgeway.referrals import services as svc
from bridgeway.referrals import subject_requests as sr
from bridgeway.referrals.models import BreakGlass, Referral
from tests.api.conftest import client_with_token
from tests.referrals.conftest import born_years_ago, child_consent, make_referral

pytestmark = pytest.mark.django_db

REASON = "Child brought unconscious to our emergency unit; need known allergies."


def marker(name: str) -> str:
    return f"CANARY-{name}-Q7Z"


PHONE = "+62 811 4242 9191"  # a phone number must look like one
MARKERS = {
    "family_name": marker("FAMILY-NAME"), "phone": PHONE, "address": marker("ADDRESS"),
    "family_notes": marker("FAMILY-NOTES"), "association": marker("ASSOCIATION-PLACE"),
    "victim_by": marker("VICTIM-RECOGNIZED-BY"), "offence": marker("OFFENCE"),
    "note": marker("CASE-NOTE"), "closure": marker("CLOSURE-NOTE"),
    "health": marker("HEALTH"), "mind": marker("MENTAL-HEALTH"),
    "form_family": marker("FORM-FAMILY"), "form_association": marker("FORM-ASSOCIATION"),
    "form_justice": marker("FORM-JUSTICE"), "safety": marker("FORM-SAFETY"),
    "education": marker("FORM-EDUCATION"), "recommendation": marker("FORM-RECOMMENDATION"),
    "service": marker("SERVICE-OUTCOME"), "consent_views": marker("CONSENT-VIEWS"),
    "referral_purpose": marker("REFERRAL-PURPOSE"), "correction": marker("CORRECTION"),
    # the justice record (issue 4): the detention register and the timeline
    "involvement_reason": marker("INVOLVEMENT-REASON"), "event_notes": marker("EVENT-NOTES"),
    "detention_reason": marker("DETENTION-REASON"),
    "last_resort": marker("LAST-RESORT"), "alternatives": marker("ALTERNATIVES"),
    "not_separated": marker("NOT-SEPARATED"), "detention_family": marker("DETENTION-FAMILY"),
    "detention_health": marker("DETENTION-HEALTH"),
}
HEALTH_ONLY = {"health", "detention_health"}  # what the clinic's referral entitles it to
# What an involved justice agency is entitled to: identity and the justice record, with the
# victim status shown beside the alleged offence; never the detention register's health
# problems, nor anything psychosocial, family, association or case management.
JUSTICE_ONLY = {"offence", "victim_by", "form_justice", "involvement_reason", "event_notes",
                "detention_reason", "last_resort", "alternatives", "not_separated",
                "detention_family"}


class Planted:
    def __init__(self, case: Any, record: Any, referrals: list[Any], consents: list[Any],
                 use: Any, correction: Any) -> None:
        self.case, self.record, self.referrals = case, record, referrals
        self.consents, self.use, self.correction = consents, use, correction
        self.prosecutor: Any = None  # a user of a justice agency involved in the case


@pytest.fixture
def planted(people: Any, more: Any, register: Any, fill: Any, clock: Any) -> Planted:
    m = MARKERS
    today = timezone.localdate()
    case = register(
        actor=people.caseworker, date_of_birth=born_years_ago(14), family=[{
            "relationship": "mother", "name": m["family_name"], "is_caregiver": True,
            "is_legal_guardian": True, "phone": PHONE, "address": m["address"],
            "notes": m["family_notes"]}],
        case={"risk_level": "high", "association_place": m["association"],
              "victim_status": "recognized", "victim_recognized_on": today.isoformat(),
              "victim_recognized_by": m["victim_by"], "alleged_offence": m["offence"]})
    case_add_note(actor=people.caseworker, case_id=case.pk, body=m["note"])
    record = fill("bw_bia_comprehensive", case, draft=True, values={
        "physical_health": m["health"], "mental_health": m["mind"],
        "family_notes": m["form_family"], "association_experience": m["form_association"],
        "justice_notes": m["form_justice"], "safety_risks": m["safety"],
        "education_notes": m["education"], "recommendation": m["recommendation"]})
    stored = str(FormRecord.objects.get(pk=record.pk).data)
    assert all(m[k] in stored for k in ("health", "mind", "form_family", "form_association",
                                        "form_justice", "safety", "education",
                                        "recommendation"))
    service_record(actor=people.caseworker, case_id=case.pk, data={
        "service_type": "health", "provider_name": "Clinic", "start_date": today.isoformat(),
        "outcome": m["service"]})
    # the clinic: a referral for identity and health, accepted
    health_consent = child_consent(people.caseworker, case, people.agency_health,
                                   ["identity", "health"], child_views=m["consent_views"])
    health_referral = make_referral(people.caseworker, case, health_consent,
                                    ["identity", "health"], purpose="dental check")
    svc.referral_accept(actor=people.health_worker, referral_id=health_referral.pk)
    # the community agency: a referral for family and contact, accepted, then the child
    # withdraws the consent
    community_consent = child_consent(people.caseworker, case, more.agency_community,
                                      ["identity", "family", "contact_location"],
                                      purpose="family tracing")
    community_referral = make_referral(people.caseworker, case, community_consent,
                                       ["identity", "family", "contact_location"],
                                       purpose=m["referral_purpose"],
                                       receiving_agency_id=more.agency_community.pk)
    svc.referral_accept(actor=more.community_supervisor, referral_id=community_referral.pk)
    svc.consent_withdraw(actor=people.caseworker, consent_id=community_consent.pk,
                         reason="The child does not want this any more.")
    # the justice record: a prosecution office involved, an arrest, a pretrial detention
    prosecution = Agency.objects.create(code="prosecution", name="Prosecution",
                                        sector="prosecution", country="ID")
    prosecutor = User.objects.create_user(username="prosecutor", password="pw-prosecutor",
                                          agency=prosecution, role="caseworker")
    facility = Facility.objects.create(name="LPKA Jakarta", kind="juvenile_facility",
                                       country="ID", time_zone="Asia/Jakarta")
    justice.justice_involvement_add(actor=people.caseworker, case_id=case.pk,
                                    agency_id=prosecution.pk, reason=m["involvement_reason"])
    arrest = timezone.now() - timedelta(hours=30)
    justice.justice_event_record(actor=people.caseworker, case_id=case.pk, data={
        "kind": "arrest", "at": arrest.isoformat(), "parent_notified_at": arrest.isoformat(),
        "notes": m["event_notes"]})
    justice.detention_open(actor=people.caseworker, case_id=case.pk, data={
        "kind": "pretrial", "facility": facility.pk, "commitment_order_ref": "PN-2025-17",
        "reason": m["detention_reason"], "authority": "District court",
        "admitted_at": arrest.isoformat(), "separated_from_adults": "no",
        "not_separated_reason": m["not_separated"], "family_contact": m["detention_family"],
        "family_notified_at": arrest.isoformat(), "health_problems": m["detention_health"],
        "legal_counsel_access_at": arrest.isoformat(),
        "last_resort_justification": m["last_resort"],
        "alternatives_considered": [m["alternatives"]]})
    correction = sr.correction_request_record(
        actor=people.caseworker, case_id=case.pk, data=sr.CorrectionInput(
            requested_by="child", category="family", item="Mother",
            statement=m["correction"], requested_change="Her name is spelt otherwise."))
    # emergency access by another agency's supervisor, which has since expired
    use = svc.break_glass_open(actor=people.outsider_supervisor, case_id=case.pk,
                               reason=REASON)
    clock.advance(hours=3, minutes=1)
    assert not BreakGlass.objects.get(pk=use.pk).is_active()
    case_request_closure(actor=people.caseworker, case_id=case.pk, reason="moved",
                         note=m["closure"])
    planted = Planted(case, record, [health_referral, community_referral],
                      [health_consent, community_consent], use, correction)
    planted.prosecutor = prosecutor
    return planted


def web_urls(p: Planted) -> list[str]:
    c, r = p.case, p.record
    child_name = "Aisyah"
    urls = [
        "/", f"/?q={child_name}", f"/?q={c.case_number}", f"/?q={child_name}%20Rahman",
        f"/cases/{c.pk}/", f"/cases/{c.pk}/edit/", f"/care/cases/{c.pk}/",
        f"/forms/cases/{c.pk}/", f"/forms/records/{r.pk}/", f"/forms/records/{r.pk}/edit/",
        f"/care/records/{r.pk}/decision/", "/forms/submissions/failed/",
        f"/justice/cases/{c.pk}/", "/justice/deprived-of-liberty/", "/justice/notifications/",
        f"/sharing/cases/{c.pk}/", f"/sharing/cases/{c.pk}/shared/",
        f"/sharing/cases/{c.pk}/export/", f"/sharing/cases/{c.pk}/export.json",
        f"/sharing/cases/{c.pk}/corrections/", f"/sharing/cases/{c.pk}/consents/new/",
        f"/sharing/cases/{c.pk}/referrals/new/", f"/sharing/cases/{c.pk}/transfers/new/",
        "/sharing/referrals/incoming/", "/sharing/referrals/incoming/?status=withdrawn",
        "/sharing/referrals/outgoing/", "/sharing/transfers/incoming/",
        "/sharing/break-glass/", "/sharing/break-glass/review/", "/sharing/notifications/",
        "/audit/", f"/audit/?case_id={c.pk}", "/audit/?break_glass=1",
        f"/justice/cases/{c.pk}/sealed/",
    ]
    urls += [f"/sharing/referrals/{ref.pk}/" for ref in p.referrals]
    urls += [f"/sharing/consents/{con.pk}/withdraw/" for con in p.consents]
    return urls


def api_urls(p: Planted) -> list[str]:
    c, r = p.case, p.record
    base = "/api/v1"
    urls = [
        f"{base}/cases/", f"{base}/cases/?q=Aisyah", f"{base}/cases/?q={c.case_number}",
        f"{base}/cases/{c.pk}/", f"{base}/care/cases/{c.pk}/assessments/",
        f"{base}/care/assessments/{r.pk}/", f"{base}/care/cases/{c.pk}/plan/",
        f"{base}/care/cases/{c.pk}/services/", f"{base}/care/cases/{c.pk}/reviews/",
        f"{base}/sharing/cases/{c.pk}/consents/", f"{base}/sharing/cases/{c.pk}/referrals/",
        f"{base}/sharing/cases/{c.pk}/shared-record/",
        f"{base}/sharing/cases/{c.pk}/transfers/", f"{base}/sharing/cases/{c.pk}/export/",
        f"{base}/sharing/cases/{c.pk}/corrections/", f"{base}/sharing/referrals/incoming/",
        f"{base}/sharing/referrals/outgoing/", f"{base}/sharing/transfers/incoming/",
        f"{base}/sharing/break-glass/", f"{base}/sharing/break-glass/review/",
        f"{base}/sharing/notifications/",
        f"{base}/justice/cases/{c.pk}/timeline/", f"{base}/justice/cases/{c.pk}/events/",
        f"{base}/justice/cases/{c.pk}/episodes/", f"{base}/justice/cases/{c.pk}/agencies/",
        f"{base}/justice/deprived-of-liberty/",
    ]
    urls += [f"{base}/sharing/referrals/{ref.pk}/" for ref in p.referrals]
    return urls


def responses(user: Any, p: Planted) -> dict[str, str]:
    """Every response body the user gets, by request."""
    web = Client()
    web.force_login(user)
    api = client_with_token(user)
    bodies: dict[str, str] = {}
    for url in web_urls(p):
        response = web.get(url)
        assert response.status_code < 500, (user.username, url)
        bodies[f"GET {url}"] = response.content.decode()
    for url in api_urls(p):
        response = api.get(url)
        assert response.status_code < 500, (user.username, url)
        bodies[f"API {url}"] = response.content.decode()
    duplicates = api.post("/api/v1/cases/duplicates/", {
        "names": [{"kind": "given", "value": "Aisyah"}, {"kind": "family", "value": "Rahman"}],
        "date_of_birth": born_years_ago(14)}, format="json")
    bodies["API POST duplicates"] = duplicates.content.decode()
    return bodies


def leaks(bodies: dict[str, str], allowed: set[str] = frozenset()) -> list[tuple[str, str]]:
    return [(name, where) for name, value in MARKERS.items() if name not in allowed
            for where, body in bodies.items() if value in body]


NOT_ENTITLED = ("outsider", "police_officer", "other_caseworker", "analyst", "auditor",
                "sysadmin", "agency_admin", "outsider_supervisor")


def test_the_owner_finds_every_marker(people, planted):
    bodies = responses(people.supervisor, planted)
    missing = [name for name, value in MARKERS.items()
               if not any(value in body for body in bodies.values())]
    assert missing == []


@pytest.mark.parametrize("persona", NOT_ENTITLED)
def test_no_marker_reaches_a_user_not_entitled(people, planted, persona):
    user = getattr(people, persona)
    assert leaks(responses(user, planted)) == []


def test_no_marker_reaches_the_clinic_worker_not_assigned(more, planted):
    assert leaks(responses(more.health_worker_2, planted)) == []


def test_no_marker_reaches_the_receiver_after_the_consent_was_withdrawn(more, planted):
    community = Referral.objects.get(receiving_agency=more.agency_community)
    assert community.status == "withdrawn"
    bodies = responses(more.community_supervisor, planted)
    assert any(f"/sharing/referrals/{community.pk}/" in b for b in bodies.values())
    assert leaks(bodies) == []


def test_the_clinic_sees_health_and_nothing_else(people, planted):
    bodies = responses(people.health_worker, planted)
    assert any(MARKERS["health"] in body for body in bodies.values())  # entitled: found
    assert leaks(bodies, allowed=HEALTH_ONLY) == []


def test_the_involved_prosecutor_sees_the_justice_record_and_nothing_else(planted):
    bodies = responses(planted.prosecutor, planted)
    assert any(MARKERS["detention_reason"] in body for body in bodies.values())  # entitled
    assert leaks(bodies, allowed=JUSTICE_ONLY) == []
