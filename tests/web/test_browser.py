"""End to end in headless Chromium: sign in, find a child by an alias in Arabic script with
the live search, open the case, edit it, and meet the conflict screen because another
session saved first — then re-apply the edit on top of the newer version."""

from __future__ import annotations

import pytest

from bridgeway.cases.models import Case
from bridgeway.registry.models import Child

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(browser, base_url: str, username: str):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"pw-{username}")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")
    return page, errors


def test_search_open_edit_and_conflict(people, register, browser, live_server):
    case = register(actor=people.caseworker, names=[
        {"kind": "given", "value": "Zaynab"}, {"kind": "family", "value": "Qurayshi"}],
        aliases=[{"alias_type": "nickname", "value": "زينب الصغيرة", "latin": "Zaynab"}])
    register(actor=people.caseworker, names=[{"kind": "given", "value": "Bolat"}],
             aliases=[{"alias_type": "nickname", "value": "Болат"}])
    base = live_server.url

    page, errors = sign_in(browser, base, "caseworker")
    page.get_by_label("Search", exact=True).fill("زينب")
    results = page.locator("#results")
    results.get_by_text("Best matches first.").wait_for()  # htmx swapped the results in
    assert "Bolat" not in results.inner_text()
    assert "q=" in page.url  # the live search pushed its address: reload and share work

    results.get_by_role("link", name=case.case_number).click()
    page.wait_for_url(f"{base}/cases/{case.pk}/")
    assert "زينب الصغيرة" in page.locator("main").inner_text()
    page.get_by_role("link", name="Edit").click()
    page.wait_for_url(f"{base}/cases/{case.pk}/edit/")

    # Another session opens the same record and saves first.
    other, other_errors = sign_in(browser, base, "supervisor")
    other.goto(f"{base}/cases/{case.pk}/edit/")
    other.locator("#f-names-0-value").fill("Zainab")
    other.get_by_role("button", name="Save", exact=True).click()
    other.wait_for_url(f"{base}/cases/{case.pk}/")

    page.locator("#f-names-0-value").fill("Zaynab Nur")
    page.locator("#f-case-alleged-offence").fill("Nothing the caseworker typed is lost")
    page.get_by_role("button", name="Save", exact=True).click()
    conflict = page.locator(".conflict")
    conflict.wait_for()
    text = conflict.inner_text()
    assert "Someone else saved this record" in text
    assert "Zaynab Nur" in text and "Zainab" in text
    assert "Nothing the caseworker typed is lost" in text
    assert [n.value for n in Child.objects.get(pk=case.child_id).names.all()] == [
        "Zainab", "Qurayshi"]  # the first save stands; nothing was overwritten
    assert page.locator("#f-names-0-value").input_value() == "Zaynab Nur"

    page.get_by_role("button", name="Save my changes on top of the newer version").click()
    page.wait_for_url(f"{base}/cases/{case.pk}/")
    assert "Changes saved." in page.locator(".messages").inner_text()
    assert [n.value for n in Child.objects.get(pk=case.child_id).names.all()] == [
        "Zaynab Nur", "Qurayshi"]
    assert Case.objects.get(pk=case.pk).alleged_offence == "Nothing the caseworker typed is lost"
    # No CSP violation, script error or missing file; the 409 is the conflict page itself.
    unexpected = [e for e in errors + other_errors if "status of 409" not in e]
    assert not unexpected, unexpected
