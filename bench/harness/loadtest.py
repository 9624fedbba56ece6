"""Concurrent load on loopback: simulated users with an async httpx client.

Each user holds a web session (created in-process with the test client's ``force_login``:
logging 50 users in through the password hasher would measure PBKDF2, which has its own
scenario) and an API token, and loops — with a think time drawn uniformly from ``BENCH_THINK_S`` (1-5 s) — over a mix of
caseworker actions: search, the case list and a later page, a case view, an edit save
(API PATCH of its own cases, so users never conflict), and a registration with the
duplicate check first (API). Bounded in time; every non-2xx answer or exception is an error.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from typing import Any

import httpx
from bench.harness.common import percentile

THINK_S = tuple(float(x) for x in os.environ.get("BENCH_THINK_S", "1-5").split("-"))
ACTIONS = (("search", 30), ("list", 20), ("next_page", 10), ("view", 25), ("edit", 8),
           ("register", 7))


def prepare(*, users_n: int, queries: list[str], case_ids: list[int], payloads: list[dict],
            deep_cursor: str) -> dict[str, Any]:
    """Sessions, tokens and work for each simulated user (in-process, before the clock)."""
    from django.conf import settings
    from django.test import Client

    from bridgeway.accounts.models import User
    from bridgeway.accounts.services import api_token_issue

    sup = User.objects.get(username="supervisor1")
    sims = []
    for i in range(users_n):
        c = Client()
        c.force_login(sup)
        _tok, raw = api_token_issue(user=sup, name=f"bench-load-{i}", days_valid=1)
        sims.append({
            "cookie": {settings.SESSION_COOKIE_NAME: c.cookies[settings.SESSION_COOKIE_NAME].value},
            "token": raw, "own_cases": case_ids[i::users_n][:20],
            "payloads": payloads[i::users_n]})
    return {"users": sims, "queries": queries, "view_ids": case_ids,
            "deep_cursor": deep_cursor}


async def _user(base: str, sim: dict[str, Any], plan: dict[str, Any], until: float,
                rng: random.Random, out: dict[str, list[float]], errors: dict[str, int],
                error_samples: list[str]) -> None:
    names = [a for a, _ in ACTIONS]
    weights = [w for _, w in ACTIONS]
    headers = {"Accept-Encoding": "gzip"}
    api_headers = {**headers, "Authorization": f"Bearer {sim['token']}"}
    async with httpx.AsyncClient(base_url=base, cookies=sim["cookie"], timeout=60,
                                 headers=headers) as client:
        while time.monotonic() < until:
            action = rng.choices(names, weights)[0]
            t0 = time.perf_counter()
            try:
                if action == "search":
                    r = await client.get("/", params={"q": rng.choice(plan["queries"])})
                    ok = r.status_code == 200
                elif action == "list":
                    r = await client.get("/")
                    ok = r.status_code == 200
                elif action == "next_page":
                    r = await client.get("/", params={"cursor": plan["deep_cursor"]})
                    ok = r.status_code == 200
                elif action == "view":
                    r = await client.get(f"/cases/{rng.choice(plan['view_ids'])}/")
                    ok = r.status_code == 200
                elif action == "edit":
                    case_id = rng.choice(sim["own_cases"])
                    got = await client.get(f"/api/v1/cases/{case_id}/", headers=api_headers)
                    ok = got.status_code == 200
                    if ok:
                        r = await client.patch(
                            f"/api/v1/cases/{case_id}/", headers=api_headers,
                            json={"version": got.json()["case"]["version"],
                                  "risk_level": rng.choice(["high", "medium", "low"])})
                        ok = r.status_code == 200
                    else:
                        r = got
                else:
                    if not sim["payloads"]:
                        continue
                    payload = sim["payloads"].pop()
                    d = await client.post("/api/v1/cases/duplicates/", headers=api_headers,
                                          json=payload)
                    r = d
                    ok = d.status_code == 200
                    if ok:
                        r = await client.post("/api/v1/cases/", headers=api_headers,
                                              json={"child": payload,
                                                    "case": {"risk_level": "medium"}})
                        ok = r.status_code == 201
            except httpx.HTTPError as exc:
                ok, r = False, None
                error_samples.append(f"{action}: {type(exc).__name__}: {exc}")
            elapsed = time.perf_counter() - t0
            if ok:
                out.setdefault(action, []).append(elapsed)
            else:
                errors[action] = errors.get(action, 0) + 1
                if r is not None and len(error_samples) < 10:
                    error_samples.append(f"{action}: HTTP {r.status_code} {r.text[:200]}")
            await asyncio.sleep(rng.uniform(*THINK_S))


async def _run(base: str, plan: dict[str, Any], seconds: float) -> dict[str, Any]:
    out: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    samples: list[str] = []
    until = time.monotonic() + seconds
    started = time.perf_counter()
    await asyncio.gather(*[
        _user(base, sim, plan, until, random.Random(i), out, errors, samples)
        for i, sim in enumerate(plan["users"])])
    wall = time.perf_counter() - started
    every = sorted(x for v in out.values() for x in v)
    result: dict[str, Any] = {
        "users": len(plan["users"]), "seconds": round(wall, 1),
        "think_time_s": f"uniform {THINK_S[0]:g}-{THINK_S[-1]:g}", "requests_ok": len(every),
        "errors": sum(errors.values()), "errors_by_action": errors,
        "error_samples": samples[:10],
        "throughput_per_s": round(len(every) / wall, 1),
        "all_p50_ms": round(percentile(every, 50) * 1000, 1) if every else None,
        "all_p95_ms": round(percentile(every, 95) * 1000, 1) if every else None,
        "all_p99_ms": round(percentile(every, 99) * 1000, 1) if every else None,
        "by_action": {},
    }
    for action, values in sorted(out.items()):
        s = sorted(values)
        result["by_action"][action] = {
            "n": len(s), "p50_ms": round(percentile(s, 50) * 1000, 1),
            "p95_ms": round(percentile(s, 95) * 1000, 1),
            "p99_ms": round(percentile(s, 99) * 1000, 1),
            "mean_ms": round(statistics.fmean(s) * 1000, 1)}
    return result


def run(base: str, plan: dict[str, Any], seconds: float) -> dict[str, Any]:
    return asyncio.run(_run(base, plan, seconds))


def http_logins(base: str, username: str, password: str, n: int) -> dict[str, Any]:
    """Real logins through the login form (CSRF token, password hash check), one by one."""
    import re

    times = []
    errors = 0
    for _ in range(n):
        with httpx.Client(base_url=base, timeout=60) as client:
            t0 = time.perf_counter()
            page = client.get("/login/")
            m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            r = client.post("/login/", data={
                "username": username, "password": password,
                "csrfmiddlewaretoken": m.group(1) if m else ""},
                headers={"Referer": base + "/login/"})
            times.append(time.perf_counter() - t0)
            if r.status_code != 302:
                errors += 1
    s = sorted(times)
    return {"n": n, "errors": errors, "p50_ms": round(percentile(s, 50) * 1000, 1),
            "max_ms": round(s[-1] * 1000, 1),
            "note": "GET the form and POST it: includes the PBKDF2 password check"}
