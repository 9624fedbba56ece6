"""Fixtures for the web interface tests: three cases in the three positions the access
policy distinguishes, and a logged-in client per persona."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.browser_support import browser, chromium_path, live_server
from tests.conftest import child_payload


@dataclass
class Cases:
    assigned: Any  # agency A, assigned to people.caseworker
    unassigned: Any  # agency A, nobody assigned
    other_agency: Any  # agency B, assigned to people.outsider


@pytest.fixture
def cases(people: Any, register: Any) -> Cases:
    """Each child has names nobody else has, so a search finds exactly one child."""
    assigned = register(actor=people.caseworker, names=[
        {"kind": "given", "value": "Zaynab"}, {"kind": "family", "value": "Qurayshi"}],
        aliases=[{"alias_type": "nickname", "value": "زينب", "latin": "Zaynab"}],
        identifiers=[{"id_type": "national_id", "value": "ID-111-222"}])
    unassigned = register(actor=people.supervisor, names=[
        {"kind": "given", "value": "Bolat"}, {"kind": "family", "value": "Nurlanov"}],
        aliases=[{"alias_type": "nickname", "value": "Болат"}],
        identifiers=[{"id_type": "passport", "value": "N0998877"}])
    other = register(actor=people.outsider, names=[
        {"kind": "given", "value": "Rashida"}, {"kind": "family", "value": "Begum"}],
        aliases=[{"alias_type": "nickname", "value": "রশিদা"}],
        identifiers=[{"id_type": "camp_registration", "value": "CAMP-7788"}])
    return Cases(assigned=assigned, unassigned=unassigned, other_agency=other)


@pytest.fixture
def login(client: Any) -> Any:
    def _login(user: Any) -> Any:
        client.force_login(user)
        return client

    return _login


__all__ = ["browser", "cases", "child_payload", "chromium_path", "form_fields", "live_server",
           "login"]


class _FormReader(HTMLParser):
    """Collects the successful controls of one <form> (by its action), as a browser would
    submit them: inputs, checked checkboxes, selected options, textareas."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.data = action, False, {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data[a["name"]] = a.get("value") or "on"
            elif a.get("type") != "submit":
                self.data[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select, self._first_option = a.get("name"), None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
                self.data.setdefault(self._select, self._first_option)
            if "selected" in a:
                self.data[self._select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.data[self._textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data.removeprefix("\n") if not self.data[
                self._textarea] else data


def form_fields(html: str, action: str) -> dict[str, str]:
    reader = _FormReader(action)
    reader.feed(html)
    return reader.data
