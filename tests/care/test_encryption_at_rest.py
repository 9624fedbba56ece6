"""Field encryption at rest of the care workflow's free text (issue 5, item 5): the plan's
goals and actions, services delivered (description, outcome) and plan reviews (summary,
the child's views and how they were taken into account). Written through the pages and the
API, read back in plaintext by the pages, the API and the data-subject export, never
plaintext anywhere in the database (an overdue action's task names the action by its
place in the plan, not its words); key rotation covers the columns; the data migration
encrypts rows stored before, can be re-run and reversed."""

from __future__ import annotations

import base64
import html
import importlib
import os
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import FieldError
from django.db import connection, migrations

from bridgeway.care.models import PlanAction, PlanGoal, PlanReview, ServiceDelivered
from bridgeway.care.services import care_sweep
from bridgeway.cases.models import Task
from bridgeway.core import crypto
from bridgeway.referrals import subject_requests as sr
from tests.api.conftest import client_with_token
from tests.care.conftest import heard, iso, plan_values, today
from tests.raw_db import cells_holding, raw_column

pytestmark = pytest.mark.django_db

MARK = "QX-CARE-CANARY-4471"
API = "/api/v1/care"
MIGRATION = "bridgeway.care.migrations.0003_encrypt_plan_services_reviews"

#: Every column this module covers: model label -> fields.
COVERED = {
    "care.PlanGoal": ("text",),
    "care.PlanAction": ("text",),
    "care.ServiceDelivered": ("description", "outcome"),
    "care.PlanReview": ("summary", "child_views", "child_views_weight"),
}


def m(name: str) -> str:
    return f"{MARK} {name}"


def _plan() -> dict[str, Any]:
    due = iso(today() + timedelta(days=30))
    return plan_values(goals=[
        {"goal_domain": "psychosocial", "goal_text": m("sleeps without nightmares"),
         "goal_status": "not_started",
         "action": [{"action_text": m("weekly counselling at the clinic"),
                     "responsible_agency": "Agency A", "due_date": due,
                     "action_status": "not_started"}]},
        {"goal_domain": "family", "goal_text": m("lives with the aunt again"),
         "goal_status": "in_progress",
         "action": [{"action_text": m("visit the aunt in Bekasi"),
                     "responsible_agency": "Parish fund", "due_date": due,
                     "action_status": "not_started"}]},
    ])


def _write_everything(people: Any, fill: Any, case: Any, client: Any) -> dict[str, Any]:
    """A marker in every covered column, through the API and the pages (the services)."""
    fill("bw_psychosocial_assessment", case)
    api = client_with_token(people.caseworker)
    response = api.post(f"{API}/cases/{case.pk}/assessments/",
                        {"form_id": "bw_reintegration_plan", "values": _plan()},
                        format="json")
    assert response.status_code == 201, response.content
    plan_id = response.json()["id"]
    response = client_with_token(people.supervisor).post(
        f"{API}/assessments/{plan_id}/decision/", {"decision": "approve"}, format="json")
    assert response.status_code == 200, response.content
    [action, _] = sorted(PlanAction.objects.filter(case_id=case.pk), key=lambda a: a.pk)
    # A service through the API, another through the page.
    response = api.post(f"{API}/cases/{case.pk}/services/", {
        "service_type": "psychosocial", "description": m("group sessions on sleep"),
        "provider_agency": people.agency_a.pk, "start_date": iso(today()),
        "outcome": m("fewer nightmares"), "action": action.pk}, format="json")
    assert response.status_code == 201, response.content
    client.force_login(people.caseworker)
    response = client.post(f"/care/cases/{case.pk}/services/", {
        "service_type": "health", "description": m("asthma check"),
        "provider_name": "Puskesmas 2", "start_date": iso(today()),
        "outcome": m("inhaler given")})
    assert response.status_code == 302, response.content
    # A review through the API, another through the page.
    response = api.post(f"{API}/cases/{case.pk}/reviews/", {
        "reviewed_on": iso(today()), "summary": m("counselling helps"),
        "child_views": m("I sleep better now"),
        "child_views_weight": m("counselling continues as asked")}, format="json")
    assert response.status_code == 201, response.content
    response = client.post(f"/care/cases/{case.pk}/reviews/", {
        "reviewed_on": iso(today()), "summary": m("aunt visited twice"),
        "child_views": m("I want to stay with my aunt"),
        "child_views_weight": m("the move to the aunt is planned"),
        "plan_change_needed": "on"})
    assert response.status_code == 302, response.content
    return {"plan_id": plan_id, "api": api}


WRITTEN = [m("sleeps without nightmares"), m("weekly counselling at the clinic"),
           m("lives with the aunt again"), m("visit the aunt in Bekasi"),
           m("group sessions on sleep"), m("fewer nightmares"), m("asthma check"),
           m("inhaler given"), m("counselling helps"), m("I sleep better now"),
           m("counselling continues as asked"), m("aunt visited twice"),
           m("I want to stay with my aunt"), m("the move to the aunt is planned")]


def test_every_covered_column_is_encrypted_and_rotated() -> None:
    contexts = {f.crypto_context for _, fields in crypto.encrypted_models() for f in fields}
    for label, fields in COVERED.items():
        for field in fields:
            assert f"{label}.{field}" in contexts, (label, field)  # rotation covers it too


def test_raw_database_holds_no_plaintext_of_care_free_text(
        people: Any, builtin: Any, fill: Any, case: Any, client: Any, clock: Any) -> None:
    written = _write_everything(people, fill, case, client)
    # Both actions are overdue a month later: their tasks are derived.
    clock.advance(days=31)
    care_sweep()
    tasks = Task.objects.filter(case=case, source_key__startswith="care_action:")
    assert sorted(t.title.split(" past")[0] for t in tasks) == [
        "Plan action 1.1 (Psychosocial well-being)", "Plan action 2.1 (Family)"]
    for label, fields in COVERED.items():
        for field in fields:
            values = raw_column(label, field)
            assert any(values), f"nothing written to {label}.{field}"
            for value in values:
                assert value in ("", None) or crypto.is_token(value), (label, field)
                assert MARK not in (value or ""), (label, field)
    # The whole database, every table and column: the words are nowhere in plaintext.
    assert cells_holding(MARK) == []

    # The API reads them back...
    api = written["api"]
    plan = api.get(f"{API}/cases/{case.pk}/plan/").json()
    assert [g["text"] for g in plan["goals"]] == [m("sleeps without nightmares"),
                                                  m("lives with the aunt again")]
    assert [a["text"] for g in plan["goals"] for a in g["actions"]] == [
        m("weekly counselling at the clinic"), m("visit the aunt in Bekasi")]
    reviews = api.get(f"{API}/cases/{case.pk}/reviews/").json()["items"]
    assert sorted((r["summary"], r["child_views"], r["child_views_weight"])
                  for r in reviews) == [
        (m("aunt visited twice"), m("I want to stay with my aunt"),
         m("the move to the aunt is planned")),
        (m("counselling helps"), m("I sleep better now"),
         m("counselling continues as asked"))]
    services = api.get(f"{API}/cases/{case.pk}/services/").json()["items"]
    assert sorted((s["description"], s["outcome"]) for s in services) == [
        (m("asthma check"), m("inhaler given")),
        (m("group sessions on sleep"), m("fewer nightmares"))]
    # ...and so do the care page and the data-subject export.
    client.force_login(people.caseworker)  # a month later: the earlier session timed out
    response = client.get(f"/care/cases/{case.pk}/")
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    dumped = str(sr.subject_export(actor=people.caseworker, case_id=case.pk).as_json())
    for words in WRITTEN:
        assert words in page, words
        assert words in dumped, words


def test_a_new_plan_version_still_matches_goals_and_actions_by_their_words(
        people: Any, builtin: Any, fill: Any, case: Any, client: Any) -> None:
    """The only comparison of these texts, matching a new plan version's rows to the
    previous ones, happens after decryption: a status changed through the workflow and
    the action's history (lineage) survive a new version."""
    from bridgeway.care.services import plan_action_set_status

    _write_everything(people, fill, case, client)
    first = sorted(PlanAction.objects.filter(case_id=case.pk), key=lambda a: a.pk)[0]
    plan_action_set_status(actor=people.caseworker, action_id=first.pk, status="in_progress")
    fill("bw_reintegration_plan", case, values=_plan())
    current = [a for a in PlanAction.objects.filter(case_id=case.pk,
                                                    superseded_at__isnull=True)
               if a.text == m("weekly counselling at the clinic")]
    assert [(a.lineage_id, a.status) for a in current] == [(first.pk, "in_progress")]


@pytest.fixture
def ring(settings: Any) -> dict[str, str]:
    """Master key k1 in force before anything is written (k2 comes with the rotation)."""
    keys = {name: base64.b64encode(os.urandom(32)).decode() for name in ("k1", "k2")}
    settings.BRIDGEWAY_MASTER_KEYS = f"k1:{keys['k1']}"
    return keys


def test_rotation_rewraps_the_care_columns_and_the_old_key_can_go(
        ring: Any, settings: Any, people: Any, builtin: Any, fill: Any, case: Any,
        client: Any) -> None:
    keys = ring
    _write_everything(people, fill, case, client)
    before = {label: sorted(tuple(getattr(row, f) for f in fields)
                            for row in apps.get_model(label).objects.all())
              for label, fields in COVERED.items()}
    settings.BRIDGEWAY_MASTER_KEYS = f"k2:{keys['k2']},k1:{keys['k1']}"
    counts = crypto.rotate_keys(batch_size=1)
    assert counts["care.PlanGoal.text"] == 2 and counts["care.PlanAction.text"] == 2
    assert counts["care.ServiceDelivered.description"] == 2
    assert counts["care.ServiceDelivered.outcome"] == 2
    assert all(counts[f"care.PlanReview.{name}"] == 2
               for name in ("summary", "child_views", "child_views_weight"))
    for label, fields in COVERED.items():
        for field in fields:
            assert {crypto.token_key_id(v) for v in raw_column(label, field) if v} == {"k2"}
    settings.BRIDGEWAY_MASTER_KEYS = f"k2:{keys['k2']}"  # the old key is gone
    after = {label: sorted(tuple(getattr(row, f) for f in fields)
                           for row in apps.get_model(label).objects.all())
             for label, fields in COVERED.items()}
    assert after == before


def _steps() -> list[Any]:
    operations = importlib.import_module(MIGRATION).Migration.operations
    return [op for op in operations if isinstance(op, migrations.RunPython)]


def test_migration_encrypts_existing_rows_restartably_and_reverses(
        people: Any, builtin: Any, fill: Any, case: Any, client: Any, clock: Any) -> None:
    _write_everything(people, fill, case, client)
    clock.advance(days=31)
    care_sweep()
    old: dict[tuple[str, str, int], str] = {}
    q = connection.ops.quote_name
    with connection.cursor() as cursor:  # as the previous schema stored them
        for label, fields in COVERED.items():
            model = apps.get_model(label)
            pk = model.objects.order_by("pk").values_list("pk", flat=True).first()
            for field in fields:
                old[(label, field, pk)] = m(f"old {label} {field}")
                cursor.execute(
                    f"UPDATE {q(model._meta.db_table)} "  # noqa: S608
                    f"SET {q(model._meta.get_field(field).column)} = %s WHERE id = %s",
                    [old[(label, field, pk)], pk])
        # An overdue action's task as the previous deriver titled it (with the words).
        task = Task.objects.filter(case=case, source_key__startswith="care_action:").first()
        old_title = f"Plan action past its due date (2026-01-05): {m('old action')}"
        cursor.execute("UPDATE cases_task SET title = %s WHERE id = %s", [old_title, task.pk])
    steps = _steps()
    assert len(steps) == 5
    editor = SimpleNamespace(connection=connection)
    for step in steps:
        step.code(apps, editor)
        step.code(apps, editor)  # a re-run after a failure is harmless
    for (label, field, pk), value in old.items():
        stored = raw_column(label, field)
        assert stored and all(crypto.is_token(v) for v in stored if v), (label, field)
        assert not any(MARK in (v or "") for v in stored), (label, field)
        assert getattr(apps.get_model(label).objects.get(pk=pk), field) == value
    assert Task.objects.get(pk=task.pk).title == "Plan action past its due date (2026-01-05)"
    assert cells_holding(MARK) == []
    for step in reversed(steps):
        step.reverse_code(apps, editor)
    for (label, field, _pk), value in old.items():
        assert value in raw_column(label, field), (label, field)
        assert not any(crypto.is_token(v) for v in raw_column(label, field)), (label, field)


def test_database_lookups_on_the_encrypted_columns_are_refused(db: Any) -> None:
    for query in (lambda: PlanGoal.objects.filter(text="x"),
                  lambda: PlanAction.objects.filter(text__icontains="x"),
                  lambda: ServiceDelivered.objects.filter(outcome__startswith="x"),
                  lambda: PlanReview.objects.filter(child_views="x"),
                  lambda: PlanReview.objects.filter(summary__in=["x"])):
        with pytest.raises(FieldError, match="encrypted at rest"):
            list(query())


def test_review_and_service_text_keep_their_length_limit(
        people: Any, builtin: Any, fill: Any, case: Any) -> None:
    """The columns hold tokens longer than the text, so the 5,000-character cap lives in
    the service: still refused with the field named, nothing stored."""
    from bridgeway.care.services import plan_review_record, service_record
    from bridgeway.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        service_record(actor=people.caseworker, case_id=case.pk, data={
            "service_type": "other", "description": "x" * 5001, "provider_name": "P",
            "start_date": iso(today()), "outcome": "y" * 5001})
    assert set(refused.value.errors) == {"description", "outcome"}
    with pytest.raises(ValidationFailed) as refused:
        plan_review_record(actor=people.caseworker, case_id=case.pk, data={
            "reviewed_on": iso(today()), "summary": "s" * 5001,
            **heard(views="v" * 5001, weight="w" * 5001)})
    assert {"summary", "child_views", "child_views_weight"} <= set(refused.value.errors)
    assert not ServiceDelivered.objects.exists() and not PlanReview.objects.exists()
