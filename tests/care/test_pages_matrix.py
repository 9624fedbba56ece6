"""The permission matrix and audit completeness of the care and forms pages (issue 2's
"every role x (own agency, other agency, assigned, unassigned) x every record endpoint",
extended to the pages issue 3 added), and a guard that no page or API endpoint taking a
case or record id is added without a place in one of the matrices.

Expectations are written out by hand from the issue's rules, not derived from
``access.policy``: the caseworker a case is assigned to sees and edits it; a supervisor
sees, edits and decides on every case of their agency; everybody else — a colleague the
case is not assigned to, another agency, analysts, auditors, administrators — gets 404,
with nothing about the child in the page and nothing changed. A user who sees the case but
may not do the action gets 403, nothing changed. Every page that shows or changes child
data leaves an audit entry naming the case, the user and the web channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from bridgeway.audit.models import AuditEntry
from bridgeway.care.models import Approval, PlanAction, PlanGoal, PlanReview, ServiceDelivered
from bridgeway.cases.models import CaseEvent
from bridgeway.forms.models import FormRecord
from tests.care.conftest import iso, today

pytestmark = pytest.mark.django_db

PERSONAS = ["caseworker", "other_caseworker", "supervisor", "outsider", "outsider_supervisor",
            "health_worker", "police_officer", "analyst", "auditor", "sysadmin",
            "agency_admin"]
# Case positions, each registered (and its forms filled) by the persona named.
AUTHORS = {"assigned": "caseworker",          # agency A, assigned to the caseworker
           "colleague": "other_caseworker",   # agency A, assigned to a colleague
           "other_agency": "outsider"}        # agency B
VISIBLE: dict[str, set[str]] = {
    "caseworker": {"assigned"},
    "other_caseworker": {"colleague"},
    "supervisor": {"assigned", "colleague"},
    "outsider": {"other_agency"},
    "outsider_supervisor": {"other_agency"},
}
CHILD_NAMES = {"assigned": "Qurayshi", "colleague": "Nurlanov", "other_agency": "Begum"}
CASEWORKER = {"view", "edit"}
SUPERVISOR = CASEWORKER | {"decide"}


@dataclass(frozen=True)
class Endpoint:
    name: str  # URL name (namespace:name)
    method: str
    needs: str  # view | edit | decide
    ok: int  # status when allowed (400: allowed in, refused by a domain rule)
    audited: bool = True


# Reads first, then writes; the decision last (it changes the record's state).
ENDPOINTS = [
    Endpoint("forms:case_forms", "get", "view", 200),
    Endpoint("forms:record_detail", "get", "view", 200),
    Endpoint("care:overview", "get", "view", 200),
    Endpoint("care:decision", "get", "view", 200),
    Endpoint("forms:record_new", "get", "edit", 200),
    Endpoint("forms:record_edit", "get", "edit", 200),
    # Re-renders the answers posted, reads nothing stored: nothing to audit.
    Endpoint("forms:refresh", "post", "edit", 200, audited=False),
    Endpoint("care:service_add", "post", "edit", 302),
    Endpoint("care:action_status", "post", "edit", 302),
    Endpoint("care:goal_status", "post", "edit", 302),
    # The plan already waits for a decision; the review needs an approved plan.
    Endpoint("care:approval_request", "post", "edit", 400, audited=False),
    Endpoint("care:review_add", "post", "edit", 400, audited=False),
    Endpoint("care:decision", "post", "decide", 302),
]


@dataclass
class World:
    case: Any
    plan: Any
    bid: Any
    action: Any
    goal: Any
    version: Any


def _world(register: Any, fill: Any, builtin: Any, people: Any, position: str) -> World:
    author = getattr(people, AUTHORS[position])
    case = register(actor=author, names=[{"kind": "given", "value": "Anak"},
                                         {"kind": "family", "value": CHILD_NAMES[position]}])
    fill("bw_initial_assessment", case, actor=author)
    fill("bw_psychosocial_assessment", case, actor=author)
    plan = fill("bw_reintegration_plan", case, actor=author)
    bid = fill("bw_bid_panel", case, actor=author)
    return World(case=case, plan=plan, bid=bid,
                 action=PlanAction.objects.filter(goal__record=plan).order_by("id").first(),
                 goal=PlanGoal.objects.filter(record=plan).order_by("id").first(),
                 version=builtin["bw_follow_up_visit"])


def _url_and_body(endpoint: Endpoint, w: World) -> tuple[str, dict[str, Any] | None]:
    c = w.case.pk
    urls = {
        "forms:case_forms": (f"/forms/cases/{c}/", None),
        "forms:record_detail": (f"/forms/records/{w.plan.pk}/", None),
        "care:overview": (f"/care/cases/{c}/", None),
        "forms:record_new": (f"/forms/cases/{c}/bw_follow_up_visit/new/", None),
        "forms:record_edit": (f"/forms/records/{w.bid.pk}/edit/", None),
        "forms:refresh": (f"/forms/cases/{c}/versions/{w.version.pk}/refresh/", {}),
        "care:service_add": (f"/care/cases/{c}/services/", {
            "service_type": "education", "provider_name": "Local school",
            "start_date": iso(today())}),
        "care:action_status": (f"/care/cases/{c}/actions/{w.action.pk}/status/",
                               {"status": "in_progress"}),
        "care:goal_status": (f"/care/cases/{c}/goals/{w.goal.pk}/status/",
                             {"status": "achieved"}),
        "care:approval_request": (f"/care/cases/{c}/records/{w.plan.pk}/approval-request/",
                                  {}),
        "care:review_add": (f"/care/cases/{c}/reviews/", {
            "reviewed_on": iso(today()), "summary": "Progress.", "child_views": "Fine.",
            "child_views_weight": "Weighed."}),
    }
    if endpoint.name == "care:decision":
        url = f"/care/records/{w.bid.pk}/decision/"
        body = {"decision": "approve",
                "version": FormRecord.objects.get(pk=w.bid.pk).version}
        return url, (body if endpoint.method == "post" else None)
    return urls[endpoint.name]


def _snapshot(w: World) -> tuple[Any, ...]:
    records = FormRecord.objects.filter(case=w.case)
    return (sorted(records.values_list("id", "version", "status")),
            ServiceDelivered.objects.filter(case=w.case).count(),
            PlanReview.objects.filter(case=w.case).count(),
            sorted(Approval.objects.filter(case=w.case).values_list("id", "decision")),
            sorted(PlanAction.objects.filter(goal__record__case=w.case)
                   .values_list("id", "status")),
            sorted(PlanGoal.objects.filter(record__case=w.case).values_list("id", "status")),
            CaseEvent.objects.filter(case=w.case).count(),
            AuditEntry.objects.filter(case_id=w.case.pk).count())


def _expected(persona: str, position: str, endpoint: Endpoint) -> int:
    if position not in VISIBLE.get(persona, set()):
        return 404
    perms = SUPERVISOR if "supervisor" in persona else CASEWORKER
    return endpoint.ok if endpoint.needs in perms else 403


@pytest.mark.parametrize("persona", PERSONAS)
def test_care_and_forms_pages(client: Any, people: Any, register: Any, fill: Any,
                              builtin: Any, persona: str) -> None:
    worlds = {p: _world(register, fill, builtin, people, p) for p in AUTHORS}
    user = getattr(people, persona)
    client.force_login(user)
    for position, w in worlds.items():
        for endpoint in ENDPOINTS:
            url, body = _url_and_body(endpoint, w)
            want = _expected(persona, position, endpoint)
            before = _snapshot(w)
            last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
            response = (client.post(url, body) if endpoint.method == "post"
                        else client.get(url))
            where = (persona, position, endpoint.name, endpoint.method)
            assert response.status_code == want, where
            text = response.content.decode()
            new = AuditEntry.objects.filter(seq__gt=last or 0)
            if want in (403, 404):
                assert _snapshot(w) == before, where  # nothing changed, nothing audited
                if want == 404:
                    assert w.case.case_number not in text, where
                    assert CHILD_NAMES[position] not in text, where
            elif endpoint.audited and want < 400:
                assert new.filter(case_id=w.case.pk, actor=user, channel="web").exists(), \
                    where
            elif want == 400:
                # refused by a domain rule: the answer says why, nothing was written
                assert _snapshot(w)[:7] == before[:7], where


# --------------------------------------------------------------------------
# Guard: every route that takes a case or record id has a place in a matrix

#: Routes covered by the matrices, and where. A new page or endpoint taking a case or
#: record id fails ``test_every_record_route_is_in_a_matrix`` until it is added to one.
COVERED = {
    # tests/web/test_permissions.py::test_record_pages (+ tests/web/test_audit_ui.py)
    **dict.fromkeys(["web:case_detail", "web:case_edit", "web:case_note", "web:case_status",
                     "web:case_assign", "web:case_closure_request",
                     "web:case_closure_decide", "web:case_reopen"], "web matrix"),
    # tests/api/test_permission_matrix.py::test_record_endpoint (+ tests/api/test_audit.py)
    **dict.fromkeys(["api:case", "api:case_child", "api:case_notes", "api:case_status",
                     "api:case_closure", "api:case_closure_decision", "api:case_reopen",
                     "api:case_assign"], "api matrix"),
    # tests/care/test_api.py::test_the_case_team_may / test_everybody_else_gets_404
    **dict.fromkeys(["care_api:assessments", "care_api:assessment", "care_api:decision",
                     "care_api:approval_request", "care_api:plan", "care_api:plan_goal",
                     "care_api:plan_action", "care_api:services", "care_api:reviews"],
                    "care api matrix"),
    # this module
    **dict.fromkeys({e.name for e in ENDPOINTS}, "care and forms pages matrix"),
    # tests/forms/test_reprocess.py: failed ODK submissions, reviewers only
    "forms:raw_detail": "reprocess tests",
    # tests/forms/test_openrosa.py: forms by id and version, not child data
    "odk:form_xml": "openrosa tests", "odk:manifest": "openrosa tests",
}
#: Apps whose routes another matrix owns (justice: tests/justice/test_access.py; sharing:
#: tests/access/test_matrix_referrals.py).
ELSEWHERE = ("justice", "justice_api", "sharing", "sharing_api", "admin")
ID_PARAMETERS = ("pk", "case_id", "record_id", "raw_id", "action_id", "goal_id", "form_id")


def _routes(resolver: URLResolver, namespace: str = "", prefix: str = "") -> list[tuple]:
    found = []
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            found += _routes(p, ns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            found.append((f"{namespace}:{p.name}" if namespace else p.name,
                          prefix + str(p.pattern), tuple(p.pattern.converters)))
    return found


def test_every_record_route_is_in_a_matrix() -> None:
    routes = _routes(get_resolver())
    assert routes, "no routes found"
    missing = [(name, pattern) for name, pattern, params in routes
               if any(k in ID_PARAMETERS for k in params)
               and name.split(":")[0] not in ELSEWHERE and name not in COVERED]
    assert not missing, f"routes taking a case or record id outside every matrix: {missing}"
    stale = set(COVERED) - {name for name, _, _ in routes}
    assert not stale, f"routes named in COVERED that do not exist: {stale}"
