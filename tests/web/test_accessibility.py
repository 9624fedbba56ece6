"""Page hygiene for every page: accessible structure and labels, language and direction
(right-to-left), no inline script or style (the CSP forbids them), nothing from outside
the installation."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

import bridgeway.web

pytestmark = pytest.mark.django_db
STATIC = Path(bridgeway.web.__file__).parent / "static" / "web"


class Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.labelled: set[str] = set()
        self.unnamed: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if tag == "label" and a.get("for"):
            self.labelled.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            if a.get("id"):
                self.ids.append(a["id"])
            else:
                self.unnamed.append(str(a))


def pages(people, cases, login):
    case = cases.assigned
    client = login(people.supervisor)
    urls = [reverse("web:case_list"), reverse("web:case_list") + "?q=Zaynab",
            reverse("web:case_detail", args=[case.pk]), reverse("web:case_edit", args=[case.pk]),
            reverse("web:register"), reverse("web:tokens"), reverse("web:mfa")]
    found = [(url, client.get(url)) for url in urls]
    auditor = login(people.auditor)
    found += [(reverse("web:audit_log"), auditor.get(reverse("web:audit_log"))),
              ("no list", auditor.get(reverse("web:case_list")))]
    client.logout()
    found.append((reverse("web:login"), client.get(reverse("web:login"))))
    return found


def test_every_page_is_accessible_and_self_contained(people, cases, login):
    for url, response in pages(people, cases, login):
        assert response.status_code == 200, url
        body = response.content.decode()
        parser = Controls()
        parser.feed(body)
        assert '<html lang="en" dir="ltr">' in body, url
        assert '<a class="skip" href="#main">' in body and '<main id="main"' in body, url
        assert "<h1>" in body or "<h1" in body, url
        assert not parser.unnamed, (url, parser.unnamed)
        unlabelled = [i for i in parser.ids if i not in parser.labelled]
        assert not unlabelled, (url, unlabelled)
        assert len(parser.ids) == len(set(parser.ids)), (url, "duplicate ids")
        # CSP: no inline script, no inline style, no event-handler attributes.
        for tag, attrs in parser.tags:
            assert "style" not in attrs, (url, tag, attrs)
            assert not any(k.startswith("on") for k in attrs), (url, tag, attrs)
            if tag == "script":
                assert attrs.get("src", "").startswith("/static/"), (url, attrs)
        assert "<style" not in body, url
        # Nothing loaded from outside the installation.
        assert not re.search(r'(src|href)="(https?:)?//', body), url


def test_content_security_policy_forbids_inline_code(people, login):
    response = login(people.caseworker).get(reverse("web:case_list"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_arabic_pages_are_right_to_left(client, people):
    page = client.get(reverse("web:login"), HTTP_ACCEPT_LANGUAGE="ar")
    assert '<html lang="ar" dir="rtl">' in page.content.decode()


def test_language_can_be_chosen_without_javascript(client, people):
    response = client.post(reverse("web:set_language"),
                           {"language": "ar", "next": reverse("web:login")})
    assert response.status_code == 302
    assert 'dir="rtl"' in client.get(reverse("web:login")).content.decode()


def test_static_assets_are_local_small_and_licensed():
    css = (STATIC / "app.css").read_bytes()
    assert len(css) < 15 * 1024
    assert b"@import" not in css and b"url(http" not in css and b"@font-face" not in css
    htmx = STATIC / "vendor" / "htmx.min.js"
    assert htmx.stat().st_size > 10_000
    assert "BSD" in (STATIC / "vendor" / "htmx.LICENSE.txt").read_text() or "Zero-Clause" in (
        STATIC / "vendor" / "htmx.LICENSE.txt").read_text()


def test_htmx_is_configured_not_to_inject_styles_or_cache_pages(people, login):
    body = login(people.caseworker).get(reverse("web:case_list")).content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'', body).group(1)
    assert '"includeIndicatorStyles":false' in config and '"allowEval":false' in config
    assert '"historyCacheSize":0' in config
    assert 'hx-history="false"' in body  # no child data in the browser's localStorage
