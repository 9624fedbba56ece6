"""End to end in headless Chromium: fill the built-in psychosocial assessment in Arabic
(right to left); answering a question reveals a dependent one (htmx relevance update),
and an out-of-range answer fails its constraint with the Arabic message."""

from __future__ import annotations

import os
from typing import Any

import pytest

from bridgeway.forms.models import FormRecord

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FORM_ID = "bw_psychosocial_assessment"


def sign_in(browser: Any, base_url: str, username: str) -> tuple[Any, list[str]]:
    context = browser.new_context(locale="ar")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base_url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(f"pw-{username}")
    page.locator("form[action='/login/'] button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")
    return page, errors


def test_psychosocial_assessment_in_arabic(people: Any, register: Any, browser: Any,
                                           live_server: Any) -> None:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from bridgeway.forms.services import forms_load_builtin

    forms_load_builtin()
    case = register(actor=people.caseworker)
    base = live_server.url
    page, errors = sign_in(browser, base, "caseworker")
    page.goto(f"{base}/forms/cases/{case.pk}/{FORM_ID}/new/?lang=ar")

    form = page.locator("#xlsform")
    assert form.get_attribute("dir") == "rtl" and form.get_attribute("lang") == "ar"
    assert "رقم الحالة" not in form.inner_text()  # the case number is filled in, hidden
    assert page.locator("input[name=case_number]").input_value() == case.case_number

    # Relevance: "why without consent?" appears only when consent was not obtained.
    reason = page.locator("#f-consent_not_obtained_reason")
    assert reason.count() == 0
    page.get_by_label("لم يتم الحصول عليها").check()
    reason.wait_for(state="visible")
    assert page.locator("label[for=f-consent_not_obtained_reason]").inner_text().startswith(
        "لماذا يُجرى التقييم دون موافقة؟")
    reason.fill("قرار المشرف بسبب خطر عاجل")

    # Constraint: 1 to 20 sessions; 30 fails with the Arabic message.
    page.locator("#f-sessions").fill("30")
    page.locator("#xlsform form button[type=submit]").first.click()
    page.wait_for_load_state()
    message = page.locator("#f-sessions-err")
    message.wait_for(state="visible")
    assert message.inner_text() == "أدخل رقمًا من 1 إلى 20."
    assert page.locator("#f-sessions").get_attribute("aria-invalid") == "true"
    assert page.locator("#error-summary").is_visible()
    # what was typed is still there, and the revealed question stayed revealed
    assert page.locator("#f-consent_not_obtained_reason").input_value() == (
        "قرار المشرف بسبب خطر عاجل")
    assert page.locator("#xlsform").get_attribute("dir") == "rtl"
    assert FormRecord.objects.count() == 0
    # The refused submission answers 400, which Chromium logs; anything else (e.g. a
    # Content Security Policy violation) fails the test.
    unexpected = [e for e in errors if "status of 400" not in e]
    assert not unexpected, unexpected
