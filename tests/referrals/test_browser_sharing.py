"""The sharing pages in a real browser (headless Chromium): a caseworker records the
child's consent and refers her to the clinic for chosen categories; the clinic's user
accepts and sees only what was granted; the child withdraws consent and the clinic's
access ends at once. And emergency (break-glass) access, with its time-limited banner
on the case page for as long as it lasts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from bridgeway.referrals.models import BreakGlass, Consent, Referral

# Shared headless-Chromium fixtures: /usr/bin/chromium with the sandbox-free arguments,
# skip with a reason when it is missing (fail under CI=true), a live server per test
# started after the test settings, and an audit log that the final flush may clear.
from tests.browser_support import browser, chromium_path, live_server
from tests.referrals.conftest import MARK_ASSOC, MARK_FAMILY, MARK_OFFENCE, MARK_PHONE
from tests.referrals.sharing_support import REASON

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["browser", "chromium_path", "live_server"]

NOT_GRANTED = (MARK_FAMILY, MARK_PHONE, MARK_ASSOC, MARK_OFFENCE)


class Session:
    """One user's browser tab on the live server, logged in through a session cookie;
    collects Content-Security-Policy violations reported on the console."""

    def __init__(self, browser: Any, live_server: Any, user: Any) -> None:
        client = Client()
        client.force_login(user)
        self.base = live_server.url
        self.context = browser.new_context()
        self.context.add_cookies([{"name": "sessionid", "url": self.base,
                                   "value": client.cookies["sessionid"].value}])
        self.page = self.context.new_page()
        self.csp_errors: list[str] = []
        self.page.on("console", lambda msg: self.csp_errors.append(msg.text)
                     if "Content Security Policy" in msg.text else None)

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def close(self) -> None:
        assert self.csp_errors == []
        self.context.close()


@pytest.fixture
def open_session(browser: Any, live_server: Any) -> Any:
    sessions: list[Session] = []

    def _open(user: Any) -> Session:
        sessions.append(Session(browser, live_server, user))
        return sessions[-1]

    yield _open
    for session in sessions:
        session.close()


def test_refer_with_consent_accept_see_only_granted_then_withdraw(
        people, sensitive_case, open_session):
    case = sensitive_case
    worker = open_session(people.caseworker)
    page = worker.page

    # The case page's sharing card leads to the consent form.
    worker.goto(f"/cases/{case.pk}/")
    page.locator("#sharing").get_by_role("link", name="Record a consent").click()
    page.wait_for_url(f"**/sharing/cases/{case.pk}/consents/new/")
    assert "The child is 14" in page.locator(".notice").inner_text()
    page.select_option("#f-kind", "referral")
    page.select_option("#f-given_by", "child")
    page.fill("#f-caregiver_involvement", "Her aunt was present and agrees.")
    page.check("#f-categories-identity")
    page.check("#f-categories-health")
    page.fill("#f-purpose", "Dental care at the clinic")
    page.select_option("#f-receiving_agency_id", str(people.agency_health.pk))
    page.fill("#f-valid_until", (timezone.localdate() + timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Record the consent").click()
    page.wait_for_url(f"**/sharing/cases/{case.pk}/")
    consent = Consent.objects.get(case=case)
    assert (consent.given_by, sorted(consent.categories)) == ("child", ["health", "identity"])
    card = page.locator(f"#consent-{consent.pk}")
    assert "valid" in card.inner_text() and "Dental care at the clinic" in card.inner_text()

    # Refer under it: the form comes with the consent and the clinic chosen.
    card.get_by_role("link", name="Refer under this consent").click()
    page.wait_for_url(f"**/sharing/cases/{case.pk}/referrals/new/?consent={consent.pk}")
    assert page.input_value("#f-consent_id") == str(consent.pk)
    assert page.input_value("#f-receiving_agency_id") == str(people.agency_health.pk)
    page.check("#f-categories-identity")
    page.check("#f-categories-health")
    page.fill("#f-purpose", "Dental check-up")
    page.get_by_role("button", name="Send the referral").click()
    referral = Referral.objects.get(case=case)
    page.wait_for_url(f"**/sharing/referrals/{referral.pk}/")
    assert sorted(referral.categories) == ["health", "identity"]
    assert referral.status == "pending"

    # The clinic: the incoming list names no child; accepting opens the shared record.
    clinic = open_session(people.health_worker)
    clinic.goto("/sharing/referrals/incoming/")
    assert "Aisyah" not in clinic.page.content()
    clinic.page.locator(f'a[href="/sharing/referrals/{referral.pk}/"]').first.click()
    clinic.page.wait_for_url(f"**/sharing/referrals/{referral.pk}/")
    clinic.page.get_by_role("button", name="Accept the referral").click()
    clinic.page.wait_for_url(f"**/sharing/referrals/{referral.pk}/")
    referral.refresh_from_db()
    assert referral.status == "accepted"
    clinic.page.get_by_role("link", name=f"The shared record of case {case.case_number}"
                            ).click()
    clinic.page.wait_for_url(f"**/sharing/cases/{case.pk}/shared/")
    shared = clinic.page.content()
    assert clinic.page.locator("#s-identity").count() == 1
    for hidden in ("#s-family", "#s-contact_location", "#s-association_history",
                   "#s-justice", "#s-case_management"):
        assert clinic.page.locator(hidden).count() == 0, hidden
    assert "Aisyah" in shared and not any(m in shared for m in NOT_GRANTED)
    # … and the case page shows the same slice.
    assert clinic.goto(f"/cases/{case.pk}/").status == 200
    page_text = clinic.page.content()
    assert "Aisyah" in page_text and not any(m in page_text for m in NOT_GRANTED)
    assert clinic.page.locator("#victim-status, #alleged-offence, #h-tasks").count() == 0

    # The child withdraws consent: recorded by the caseworker, access ends at once.
    worker.goto(f"/sharing/cases/{case.pk}/")
    page.locator(f"#consent-{consent.pk}").get_by_role(
        "link", name="Record a withdrawal").click()
    page.wait_for_url(f"**/sharing/consents/{consent.pk}/withdraw/")
    page.fill("#f-reason", "She no longer wants the clinic to have her record.")
    page.get_by_role("button", name="Withdraw the consent").click()
    page.wait_for_url(f"**/sharing/cases/{case.pk}/")
    assert "withdrawn" in page.locator(f"#consent-{consent.pk}").inner_text()
    referral.refresh_from_db()
    assert referral.status == "withdrawn"

    for path in (f"/cases/{case.pk}/", f"/sharing/cases/{case.pk}/shared/"):
        response = clinic.goto(path)
        assert response.status == 404, path
        assert not any(m in clinic.page.content() for m in (*NOT_GRANTED, "Aisyah"))


def test_break_glass_shows_the_time_limited_access_banner(people, sensitive_case,
                                                          open_session):
    case = sensitive_case
    other = open_session(people.outsider_supervisor)
    page = other.page
    assert other.goto(f"/cases/{case.pk}/").status == 404  # outside their scope

    other.goto("/sharing/break-glass/")
    assert "for 3 hours" in page.locator("#bg-rules").inner_text()
    page.fill("#f-case_number", case.case_number)
    page.fill("#f-reason", REASON)
    page.get_by_role("button", name="Open emergency access").click()
    page.wait_for_url(f"**/cases/{case.pk}/")

    use = BreakGlass.objects.get(case=case, user=people.outsider_supervisor)
    assert use.expires_at - use.started_at == timedelta(hours=3)
    until = f"{timezone.localtime(use.expires_at):%Y-%m-%d %H:%M}"
    banner = page.locator("#break-glass-banner")
    assert banner.is_visible()
    assert f"Emergency access until {until}" in banner.inner_text()
    assert MARK_OFFENCE in page.content()  # child protection sees the whole record
    # The banner stays for as long as the access lasts, not only after opening it.
    page.reload()
    assert f"Emergency access until {until}" in page.locator(
        "#break-glass-banner").inner_text()
    # The owning agency's own users see the case without any banner.
    owner = open_session(people.caseworker)
    owner.goto(f"/cases/{case.pk}/")
    assert owner.page.locator("#break-glass-banner").count() == 0

    # Ended early: the case is out of scope again.
    other.goto("/sharing/break-glass/")
    page.get_by_role("button", name="End now").click()
    page.wait_for_url("**/sharing/break-glass/")
    assert "ended" in page.locator("table").inner_text()
    response = other.goto(f"/cases/{case.pk}/")
    assert response.status == 404 and MARK_OFFENCE not in page.content()
