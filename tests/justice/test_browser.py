"""The "children deprived of liberty" page in a real browser (headless Chromium)."""

from __future__ import annotations

from typing import Any

import pytest

from bridgeway.justice import services

# Shared headless-Chromium fixtures: /usr/bin/chromium with the sandbox-free arguments,
# skip with a reason when it is missing (fail under CI=true), a live server per test
# started after the test settings, and an audit log that the final flush may clear.
from tests.browser_support import browser, chromium_path, live_server
from tests.justice.conftest import ago, born_years_ago, episode_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["browser", "chromium_path", "live_server"]


def held(people: Any, register: Any, facility: Any, days: float, **episode: Any) -> Any:
    case = register(date_of_birth=born_years_ago(16))
    services.detention_open(actor=people.caseworker, case_id=case.pk,
                            data=episode_data(facility, ago(days=days), **episode))
    return case


def test_supervisor_sees_children_deprived_of_liberty_by_urgency(
        people, register, jakarta, jayapura, live_server, browser, client):
    calm = held(people, register, jakarta, 3)
    critical = held(people, register, jayapura, 1, separated_from_adults="no")
    client.force_login(people.supervisor)
    session = client.cookies["sessionid"].value

    context = browser.new_context()
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda msg: csp_errors.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.goto(f"{live_server.url}/justice/deprived-of-liberty/")

    assert page.locator("h1").inner_text() == "Children deprived of liberty"
    rows = page.locator("table#deprived tbody tr")
    assert rows.count() == 2
    assert [rows.nth(i).get_attribute("data-case") for i in range(2)] == [
        critical.case_number, calm.case_number]
    assert "Held with adults" in rows.nth(0).locator("td.violations").inner_text()
    assert rows.nth(1).locator("td.days").inner_text() == "3"
    assert "Asia/Jakarta" in rows.nth(1).inner_text()
    assert "Review of pretrial detention" in rows.nth(1).locator("td.next").inner_text()

    rows.nth(0).locator("a").first.click()
    page.wait_for_url(f"**/justice/cases/{critical.pk}/")
    assert "Justice record" in page.locator("h1").inner_text()
    assert page.locator("#violations").get_by_text("Held with adults").count() == 1
    assert csp_errors == []
    context.close()
