"""End to end inside the process: each page and API call through Django's full request
path (middleware, sessions, templates, serializers, gzip) with the test ``Client``."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from bench.harness.common import run_timed
from bench.harness.inproc import users
from bench.harness.queries import NameQuery

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip"}


def _get(client: Any, url: str, **headers: Any) -> Callable[[], Any]:
    def call() -> Any:
        response = client.get(url, **GZIP, **headers)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: HTTP {response.status_code}")
        return response
    return call


def pages(*, n: int, rng: random.Random, sets: dict[str, list[NameQuery]]) -> dict[str, Any]:
    from django.test import Client
    from django.urls import reverse

    from bridgeway.accounts.services import api_token_issue
    from bridgeway.cases.models import Case

    sup = users()["supervisor1"]
    web = Client()
    web.force_login(sup)
    _token, raw = api_token_issue(user=sup, name="bench", days_valid=1)
    api = Client()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    case_ids = list(Case.objects.filter(owning_agency_id=sup.agency_id)
                    .exclude(status="closed").values_list("pk", flat=True).order_by("?")[:n])
    texts = [q.text for q in sets.get("typo1", []) if q.username == sup.username][:n] or ["Ali"]
    list_url = reverse("web:case_list")
    plans: dict[str, list[Callable[[], Any]]] = {
        "web_case_list": [_get(web, list_url)] * n,
        "web_case_search": [_get(web, list_url + "?" + _qs(q=t)) for t in texts],
        "web_case_view": [_get(web, reverse("web:case_detail", args=[pk])) for pk in case_ids],
        "web_case_edit_form": [_get(web, reverse("web:case_edit", args=[pk]))
                               for pk in case_ids],
        "web_register_form": [_get(web, reverse("web:register"))] * n,
        "api_case_list": [_get(api, "/api/v1/cases/", **bearer)] * n,
        "api_case_search": [_get(api, "/api/v1/cases/?" + _qs(q=t), **bearer) for t in texts],
        "api_case_view": [_get(api, f"/api/v1/cases/{pk}/", **bearer) for pk in case_ids],
    }
    out: dict[str, Any] = {}
    for name, calls in plans.items():
        try:
            t, responses = run_timed(name, calls)
        except RuntimeError as exc:
            out[name] = {"error": str(exc)}
            continue
        sizes = sorted(len(r.content) for r in responses)
        t.extra["body_bytes_gzip_median"] = sizes[len(sizes) // 2]
        out[name] = t.summary()
    return out


def _qs(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)
