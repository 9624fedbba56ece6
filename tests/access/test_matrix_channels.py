"""The permission matrix through the output channels: the world of
``test_matrix_referrals`` (every sector in every relation to a case — owner, referral
pending / accepted / declined / expired / withdrawn / closed, consent withdrawn, transfer
proposed / accepted with or without retained access, break-glass active / expired), each
case carrying a marker in its fields of every data category it has (family, contact and
location, association history, justice, case management).

For one case per (sector, relation), every user of the owning agency and of the sector's
agency, and a rotating unrelated user, fetches the case page, the case through the API,
the shared record (page and API), the justice record (page and API) and the data-subject
export. Expected visibility and categories come from the oracle written there from first
principles, not from the policy under test:

* a case the user may not see answers 404 on the case page and the API, like a missing one;
* a case the user may see answers 200 on the case page and the API;
* no response ever carries the marker of a category the user is not entitled to;
* control: the owning agency's supervisor finds every marker (the planting worked and the
  requests reach the places that show them).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from bridgeway.accounts.models import Sector
from tests.access.test_matrix_referrals import (
    BY_CONSENT,
    RELATIONS,
    STANDING,
    Tables,
    build,
    expected,
    markers,
    user_agency,
)
from tests.api.conftest import client_with_token
from tests.referrals.conftest import Clock

pytestmark = pytest.mark.django_db


def urls(pk: int) -> tuple[list[str], list[str]]:
    web = [f"/cases/{pk}/", f"/sharing/cases/{pk}/shared/", f"/justice/cases/{pk}/",
           f"/sharing/cases/{pk}/export/"]
    api = [f"/api/v1/cases/{pk}/", f"/api/v1/sharing/cases/{pk}/shared-record/",
           f"/api/v1/justice/cases/{pk}/timeline/", f"/api/v1/sharing/cases/{pk}/export/"]
    return web, api


def test_every_channel_shows_only_the_entitled_categories(people, monkeypatch):
    cache.clear()  # the API throttle's history outlives a test's database
    clock = Clock(monkeypatch)
    world = build(people, clock)
    tables = Tables(STANDING, BY_CONSENT)
    one_each = {(m.sector, m.relation): m for m in world.metas}
    assert len(one_each) == len(Sector.values) * len(RELATIONS)
    keys = sorted(world.users)
    webs = {key: Client() for key in keys}
    apis = {key: client_with_token(world.users[key]) for key in keys}
    for key in keys:
        webs[key].force_login(world.users[key])
    problems: list[str] = []
    owner_found: dict[int, set[str]] = {}
    for number, meta in enumerate(one_each.values()):
        owner_key = "home:sup" if meta.owner == "home" else f"{meta.owner}:sup"
        related = [k for k in keys if user_agency(k) in ("home", meta.sector)]
        unrelated = [k for k in keys if k not in related]
        for key in [*related, unrelated[number % len(unrelated)]]:
            visible, categories, _ = expected(tables, key, meta)
            where = f"{key} on {meta.relation}/{meta.sector} case {meta.case.pk}"
            web_urls, api_urls = urls(meta.case.pk)
            bodies: dict[str, str] = {}
            for url in web_urls:
                response = webs[key].get(url)
                assert response.status_code < 500, (where, url)
                bodies[url] = response.content.decode()
                if url == web_urls[0] and response.status_code != (200 if visible else 404):
                    problems.append(f"{where}: case page {response.status_code}")
            for url in api_urls:
                response = apis[key].get(url)
                assert response.status_code < 500, (where, url)
                bodies[f"API {url}"] = response.content.decode()
                if url == api_urls[0] and response.status_code != (200 if visible else 404):
                    problems.append(f"{where}: API case {response.status_code}")
            for category, values in markers(meta.number).items():
                for value in values:
                    found = [u for u, body in bodies.items() if value in body]
                    if found and category not in categories:
                        problems.append(f"{where}: {category} marker in {found}")
                    if found and key == owner_key:
                        owner_found.setdefault(meta.number, set()).add(value)
    assert problems == [], "\n".join(problems[:40])
    # control: the owning supervisor of each case found every marker of its case (a
    # sector-owned case shows only its sector's categories to its own supervisor)
    for meta in one_each.values():
        owner_key = "home:sup" if meta.owner == "home" else f"{meta.owner}:sup"
        _, categories, _ = expected(tables, owner_key, meta)
        wanted = {v for c, vs in markers(meta.number).items() if c in categories for v in vs}
        assert owner_found.get(meta.number, set()) >= wanted, (meta.relation, meta.sector)
