"""The case timeline says what changed, never the content (``cases.events``).

A unique marker is planted in every sensitive text a service takes — names, contact
details, notes, reasons, comments, justice and detention detail, health and psychosocial
words, association history — through the services themselves; the raw ``cases_caseevent``
rows (read with SQL, past the model) must never contain one. The words kept with a change
(why a case was reopened or a closure returned) are in the encrypted ``comment`` column
and still shown on the timeline.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from bridgeway.care.services import approval_decide, service_record
from bridgeway.cases import services as cs
from bridgeway.cases.events import case_event
from bridgeway.cases.models import CaseEvent
from bridgeway.core import crypto
from bridgeway.justice import services as js
from bridgeway.referrals import services as svc
from bridgeway.referrals import subject_requests as sr
from tests.care.conftest import bid_values, builtin, fill  # noqa: F401
from tests.justice.conftest import ago, born_years_ago, episode_data, iso, jakarta  # noqa: F401
from tests.referrals.conftest import child_consent, make_referral, more  # noqa: F401

TAG = "QVX7731"  # every marker carries it; names take letters only
NAME = "Qvxcanaryname"


def mark(what: str) -> str:
    return f"{TAG}-{what} words"


def _raw_events() -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM cases_caseevent")
        return cursor.fetchall()


def _plant_everything(people: Any, more: Any, register: Any, fill: Any,  # noqa: F811
                      jakarta: Any) -> Any:  # noqa: F811
    case = register(
        actor=people.caseworker, date_of_birth=born_years_ago(16),
        names=[{"kind": "given", "value": NAME}, {"kind": "family", "value": "Rahman"}],
        identifiers=[{"id_type": "passport", "value": f"{TAG}-P1"}],
        family=[{"relationship": "mother", "name": f"{NAME} Mother", "is_caregiver": True,
                 "is_legal_guardian": True, "phone": f"+62 811 {TAG}",
                 "address": mark("address"), "notes": mark("family notes")}],
        case={"risk_level": "high", "association_place": mark("association place"),
              "alleged_offence": mark("offence")})
    cs.case_update(actor=people.caseworker, case_id=case.pk, expected_version=1, data={
        "risk_level": "high", "association_place": mark("association edited"),
        "alleged_offence": mark("offence edited"), "victim_status": "recognized",
        "victim_recognized_on": timezone.localdate().isoformat(),
        "victim_recognized_by": mark("recognized by")})
    case.refresh_from_db()
    cs.case_edit(actor=people.caseworker, case_id=case.pk, child_version=case.child.version,
                 case_version=case.version, case=None, child={
                     "sex": "female", "date_of_birth": born_years_ago(16),
                     "names": [{"kind": "given", "value": NAME}],
                     "place_of_birth": mark("birthplace"),
                     "family": [{"relationship": "aunt_uncle", "name": f"{NAME} Aunt",
                                 "phone": f"+62 812 {TAG}", "address": mark("new address"),
                                 "notes": mark("aunt notes")}]})
    cs.case_add_note(actor=people.caseworker, case_id=case.pk, body=mark("note"))
    # justice: the link, an event and its correction, an episode and its release
    js.justice_involvement_add(actor=people.caseworker, case_id=case.pk,
                               agency_id=people.agency_police.pk, reason=mark("linked"))
    event = js.justice_event_record(actor=people.police_officer, case_id=case.pk, data={
        "kind": "arrest", "at": iso(ago(days=20)), "time_zone": "Asia/Jakarta",
        "authority": mark("authority"), "place": mark("place"),
        "alleged_offence": mark("event offence"), "notes": mark("event notes"),
        "parent_notified_at": iso(ago(days=20))})
    js.justice_event_correct(actor=people.caseworker, event_id=event.pk, expected_version=1,
                             changes={"notes": mark("corrected notes")},
                             reason=mark("correction reason"))
    episode = js.detention_open(actor=people.caseworker, case_id=case.pk, data=episode_data(
        jakarta, ago(days=19), reason=mark("held for"), family_contact=mark("family contact"),
        health_problems=mark("health"), last_resort_justification=mark("last resort")))
    js.detention_release(actor=people.caseworker, episode_id=episode.pk,
                         released_at=iso(ago(days=18)), note=mark("release"))
    # care: a service, and a decision record returned with a comment
    service_record(actor=people.caseworker, case_id=case.pk, data={
        "service_type": "health", "provider_name": mark("provider"),
        "start_date": timezone.localdate().isoformat(), "outcome": mark("service outcome")})
    bid = fill("bw_bid_panel", case, values={**bid_values(),
                                             "decision": mark("panel decision")})
    approval_decide(actor=people.supervisor, record_id=bid.pk, approve=False,
                    comment=mark("approval comment"))
    # sharing: consents, referrals (to an agency and to a service outside), a service
    # report, a withdrawal, a correction request, break-glass
    consent = child_consent(people.caseworker, case, people.agency_health,
                            ["identity", "health"], child_views=mark("child views"),
                            purpose=mark("consent purpose"),
                            caregiver_involvement=mark("caregiver"))
    referral = make_referral(people.caseworker, case, consent, ["identity", "health"],
                             purpose=mark("referral purpose"))
    svc.referral_accept(actor=people.health_worker, referral_id=referral.pk)
    svc.referral_report_service(actor=people.health_worker, referral_id=referral.pk,
                                service_type=mark("trauma clinic"),
                                delivered_on=timezone.localdate(),
                                outcome=mark("report outcome"))
    outside = child_consent(people.caseworker, case, None, ["identity", "health"],
                            receiving_service=mark("outside clinic"))
    make_referral(people.caseworker, case, outside, ["identity", "health"],
                  service_name=mark("outside clinic"), receiving_agency_id=None)
    svc.consent_withdraw(actor=people.caseworker, consent_id=outside.pk,
                         reason=mark("withdrawn because"))
    sr.correction_request_record(actor=people.caseworker, case_id=case.pk,
                                 data=sr.CorrectionInput(
                                     requested_by="child", category="family",
                                     item=mark("item"), statement=mark("statement"),
                                     requested_change=mark("change")))
    svc.break_glass_open(actor=people.outsider_supervisor, case_id=case.pk,
                         reason=mark("emergency reason"))
    # closure: requested with a note, returned, requested, approved, reopened
    cs.case_request_closure(actor=people.caseworker, case_id=case.pk, reason="other",
                            note=mark("closure note"))
    cs.case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=False,
                           comment=mark("returned because"))
    cs.case_request_closure(actor=people.caseworker, case_id=case.pk, reason="goals_met")
    cs.case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=True,
                           comment=mark("approved because"))
    cs.case_reopen(actor=people.supervisor, case_id=case.pk, reason=mark("reopened because"))
    return case


def test_case_events_never_hold_the_content_written(people: Any, more: Any,  # noqa: F811
                                                    register: Any, fill: Any,  # noqa: F811
                                                    jakarta: Any, client: Any) -> None:  # noqa: F811
    case = _plant_everything(people, more, register, fill, jakarta)
    kinds = set(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert {"opened", "updated", "child_updated", "note_added", "justice_agency_involved",
            "justice_event_recorded", "justice_event_corrected", "detention_opened",
            "detention_released", "service_recorded", "approval_returned",
            "consent_recorded", "referral_made", "referral_accepted",
            "referral_service_reported", "consent_withdrawn", "correction_requested",
            "break_glass", "closure_requested", "closure_returned", "closure_approved",
            "reopened"} <= kinds
    rows = _raw_events()
    assert len(rows) >= len(kinds)
    for row in rows:
        assert not any(TAG in str(cell) for cell in row), row
    comments = [c for (c,) in CaseEvent.objects.filter(case=case).values_list("comment")
                if c]
    assert sorted(comments) == sorted([mark("returned because"), mark("approved because"),
                                       mark("reopened because")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT comment FROM cases_caseevent WHERE comment <> ''")
        assert all(crypto.is_token(c) for (c,) in cursor.fetchall())
    # The timeline still says why, to those who see the case's management.
    client.force_login(people.supervisor)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert mark("reopened because") in page and mark("returned because") in page


def test_api_timeline_gives_the_comment_beside_the_params(people: Any,
                                                          register: Any) -> None:
    from tests.api.conftest import client_with_token

    case = register()
    cs.case_request_closure(actor=people.caseworker, case_id=case.pk, reason="goals_met")
    cs.case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=True)
    cs.case_reopen(actor=people.supervisor, case_id=case.pk, reason="New concern at school")
    body = client_with_token(people.supervisor).get(f"/api/v1/cases/{case.pk}/").json()
    [reopened] = [e for e in body["events"] if e["kind"] == "reopened"]
    assert reopened["params"] == {"status": "follow_up"}
    assert reopened["comment"] == "New concern at school"
    assert all(e["comment"] == "" for e in body["events"]
               if e["kind"] not in ("reopened", "closure_approved", "closure_returned"))


@pytest.mark.parametrize("params", [
    {"reason": "because the family moved"}, {"note": "x" * 65},
    {"names": ["ok", "not ok"]}, {"detail": {"nested": 1}}])
def test_free_text_in_params_is_refused(people: Any, register: Any, params: Any) -> None:
    case = register()
    with pytest.raises(ValueError, match="case event parameter"):
        case_event(case=case, actor=people.caseworker, kind="x", params=params)
    case_event(case=case, actor=people.caseworker, kind="x",
               params={"id": 3, "fields": ["risk_level"], "at": timezone.now().isoformat(),
                       "to": "follow_up", "flag": True, "none": None})


def test_migration_moves_existing_content_out_of_params_and_reverses(
        people: Any, register: Any) -> None:
    """Migration 0004 of cases: timeline rows written before it carried reasons and
    comments in ``params``; they move to the encrypted ``comment`` (or go, when another
    row keeps them), and come back on the way down."""
    import json

    case = register()
    old = {"reopened": {"reason": f"{TAG} reopen", "status": "follow_up"},
           "closure_returned": {"comment": f"{TAG} returned"},
           "justice_agency_involved": {"agency": "police-unit", "reason": f"{TAG} linked"}}
    for kind in old:
        case_event(case=case, actor=people.caseworker, kind=kind)
    with connection.cursor() as cursor:  # as the previous code wrote them
        for kind, params in old.items():
            cursor.execute("UPDATE cases_caseevent SET params = %s WHERE kind = %s",
                           [json.dumps(params), kind])
    from bridgeway.justice.models import JusticeInvolvement

    JusticeInvolvement.objects.create(case=case, agency=people.agency_police,
                                      reason=f"{TAG} linked", added_by=people.caseworker,
                                      added_at=timezone.now())
    migration = importlib.import_module(
        "bridgeway.cases.migrations.0004_caseevent_comment").Migration
    [step] = [op for op in migration.operations if hasattr(op, "code")]
    editor = SimpleNamespace(connection=connection)
    step.code(apps, editor)
    step.code(apps, editor)  # a re-run changes nothing
    assert not any(TAG in str(cell) for row in _raw_events() for cell in row)
    events = {e.kind: e for e in CaseEvent.objects.filter(case=case, kind__in=old)}
    assert events["reopened"].params == {"status": "follow_up"}
    assert events["reopened"].comment == f"{TAG} reopen"
    assert events["closure_returned"].comment == f"{TAG} returned"
    assert events["justice_agency_involved"].params == {"agency": "police-unit"}
    step.reverse_code(apps, editor)
    back = {e.kind: (e.params, e.comment)
            for e in CaseEvent.objects.filter(case=case, kind__in=old)}
    assert back == {kind: (params, "") for kind, params in old.items()}
