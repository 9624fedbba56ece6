"""Sealing and expungement of justice records (Havana Rule 19; issue 5 item 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command

from bridgeway.audit.models import AuditEntry
from bridgeway.cases.models import Case, CaseEvent, Task
from bridgeway.core.errors import NotFound, ValidationFailed
from bridgeway.justice import models as m
from bridgeway.justice import retention, selectors, services
from bridgeway.justice.adapters import FIGURES
from bridgeway.justice.rules import DEFAULTS
from tests.justice.conftest import ago, episode_data, iso

REASON = "Court order 2031/77 asks for the record of this child"
NOW = datetime(2044, 1, 1, 12, 0, tzinfo=UTC)


def rule_set(people: Any, country: str, *, sealing: int, expungement: int,
             region: str = "") -> m.JurisdictionRuleSet:
    figures = {name: getattr(DEFAULTS, name) for name in FIGURES}
    figures.update(sealing_years=sealing, expungement_years=expungement)
    return m.JurisdictionRuleSet.objects.create(
        country=country, region=region, valid_from=datetime(2000, 1, 1, tzinfo=UTC),
        created_by=people.sysadmin, created_at=datetime(2020, 1, 1, tzinfo=UTC),
        reason="test figures", **figures)


def with_justice_record(people: Any, case: Any, facility: Any) -> Any:
    """An arrest and a released detention episode recorded through the services."""
    services.justice_involvement_add(actor=people.caseworker, case_id=case.pk,
                                     agency_id=people.agency_police.pk, reason="arresting")
    services.justice_event_record(
        actor=people.police_officer, case_id=case.pk,
        data={"kind": "arrest", "at": iso(ago(days=20)), "time_zone": "Asia/Jakarta",
              "alleged_offence": "MARKER-OFFENCE", "notes": "MARKER-NOTES"})
    episode = services.detention_open(actor=people.caseworker, case_id=case.pk,
                                      data=episode_data(facility, ago(days=19)))
    services.detention_release(actor=people.caseworker, episode_id=episode.pk,
                               released_at=iso(ago(days=18)))
    return case


def close(people: Any, case: Any, closed_at: datetime) -> Case:
    from bridgeway.cases.services import case_decide_closure, case_request_closure

    case_request_closure(actor=people.caseworker, case_id=case.pk, reason="goals_met")
    case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=True)
    Case.objects.filter(pk=case.pk).update(closed_at=closed_at)
    return Case.objects.get(pk=case.pk)


def justice_rows(case_id: int) -> int:
    return sum(retention.justice_row_counts(case_id).values())


@pytest.fixture
def closed_case(people: Any, register: Any, jakarta: Any) -> Any:
    rule_set(people, "ID", sealing=3, expungement=8)
    case = with_justice_record(people, register(), jakarta)
    return close(people, case, datetime(2035, 6, 15, 12, 0, tzinfo=UTC))


# ------------------------------------------------------------------ boundaries


@pytest.mark.django_db
def test_seal_and_expunge_dates_boundaries(people, closed_case):
    closed = closed_case.closed_at
    seal_at = closed.replace(year=closed.year + 3)
    expunge_at = closed.replace(year=closed.year + 8)
    day = timedelta(days=1)

    def actions(now: datetime) -> list[str]:
        return [p.action for p in retention.plan_justice(now=now)]

    assert actions(seal_at - day) == []
    assert actions(seal_at + day) == ["seal"]
    assert actions(expunge_at - day) == ["seal"]
    assert actions(expunge_at + day) == ["expunge"]


@pytest.mark.django_db
def test_each_jurisdiction_has_its_own_periods(people, register, jakarta):
    from bridgeway.accounts.models import Agency, User

    rule_set(people, "ID", sealing=3, expungement=8)
    rule_set(people, "PH", sealing=1, expungement=2)
    closed_at = datetime(2030, 1, 10, tzinfo=UTC)
    id_case = close(people, with_justice_record(people, register(), jakarta), closed_at)
    ph_agency = Agency.objects.create(code="ph-cp", name="PH CP", sector="child_protection",
                                      country="PH")
    ph_worker = User.objects.create_user(username="ph_cw", password="pw-ph-cw-1234",
                                         agency=ph_agency, role="caseworker")
    ph_case = register(actor=ph_worker)
    m.JusticeInvolvement.objects.create(case=ph_case, agency=people.agency_police,
                                        added_by=ph_worker, added_at=ago(days=5))
    Case.objects.filter(pk=ph_case.pk).update(status="closed", closed_at=closed_at)

    plan = {p.case_id: p.action for p in
            retention.plan_justice(now=datetime(2032, 2, 1, tzinfo=UTC))}
    assert plan == {ph_case.pk: "expunge"}  # 2 years for PH; ID seals after 3
    plan = {p.case_id: p.action for p in
            retention.plan_justice(now=datetime(2033, 2, 1, tzinfo=UTC))}
    assert plan == {ph_case.pk: "expunge", id_case.pk: "seal"}


@pytest.mark.django_db
def test_open_case_is_never_sealed(people, register, jakarta):
    rule_set(people, "ID", sealing=1, expungement=1)
    with_justice_record(people, register(), jakarta)
    assert retention.plan_justice(now=NOW) == []


# --------------------------------------------------------------------- sealing


@pytest.mark.django_db
def test_sealed_record_is_hidden_from_the_police_and_caseworker(people, closed_case, client):
    assert selectors.justice_record(actor=people.police_officer, case_id=closed_case.pk)
    retention.run_retention(now=datetime(2038, 7, 1, tzinfo=UTC))
    assert m.JusticeSeal.objects.filter(case=closed_case).exists()

    with pytest.raises(NotFound):
        selectors.justice_record(actor=people.police_officer, case_id=closed_case.pk)
    from bridgeway.access import policy

    assert not policy.cases_visible_to(people.police_officer).filter(
        pk=closed_case.pk).exists()
    client.force_login(people.police_officer)
    assert client.get(f"/justice/cases/{closed_case.pk}/").status_code == 404
    # The owning agency's caseworker is not a named role: not found either.
    with pytest.raises(NotFound):
        selectors.justice_record(actor=people.caseworker, case_id=closed_case.pk)


@pytest.mark.django_db
def test_named_role_sees_sealed_record_only_with_a_reason(people, closed_case, client):
    retention.run_retention(now=datetime(2038, 7, 1, tzinfo=UTC))
    with pytest.raises(retention.SealedRecord):
        selectors.justice_record(actor=people.supervisor, case_id=closed_case.pk)
    with pytest.raises(ValidationFailed):
        selectors.justice_record(actor=people.supervisor, case_id=closed_case.pk,
                                 sealed_reason="because")
    before = AuditEntry.objects.filter(object_type="sealed_justice_record").count()
    record = selectors.justice_record(actor=people.supervisor, case_id=closed_case.pk,
                                      sealed_reason=REASON)
    assert len(record.events) == 1
    entry = AuditEntry.objects.filter(object_type="sealed_justice_record").last()
    assert before == 0 and entry.reason == REASON and entry.actor == people.supervisor

    client.force_login(people.supervisor)
    page = client.get(f"/justice/cases/{closed_case.pk}/")
    assert page.status_code == 403 and "sealed" in page.content.decode().lower()
    assert "MARKER-OFFENCE" not in page.content.decode()
    opened = client.post(f"/justice/cases/{closed_case.pk}/sealed/", {"reason": REASON})
    assert opened.status_code == 200 and "MARKER-OFFENCE" in opened.content.decode()
    short = client.post(f"/justice/cases/{closed_case.pk}/sealed/", {"reason": "x"})
    assert short.status_code == 400 and "MARKER-OFFENCE" not in short.content.decode()
    client.force_login(people.police_officer)
    assert client.post(f"/justice/cases/{closed_case.pk}/sealed/",
                       {"reason": REASON}).status_code == 404


# ------------------------------------------------------------------ expungement


@pytest.mark.django_db
def test_expungement_removes_everything_and_audits_counts_only(people, closed_case):
    assert justice_rows(closed_case.pk) > 0
    Task.objects.create(case=closed_case, source_key="justice:test", title="t",
                        created_at=ago(days=1))
    result = retention.run_retention(now=NOW)
    assert result["counts"]["expunge"] == 1
    assert justice_rows(closed_case.pk) == 0
    assert not any("MARKER" in e.alleged_offence + e.notes
                   for e in m.JusticeEvent.objects.all())
    assert not CaseEvent.objects.filter(case=closed_case, kind__startswith="detention").exists()
    entry = AuditEntry.objects.get(object_type="justice_record", action="delete")
    assert entry.detail["removed"]["justice_events"] == 1
    assert entry.detail["removed"]["detention_episodes"] == 1
    assert "MARKER" not in str(entry.detail) and "MARKER" not in entry.reason
    action = m.RetentionAction.objects.get(case_id=closed_case.pk, action="expunge")
    assert action.counts == entry.detail["removed"]
    # Idempotent: a second run does nothing and writes no case entry.
    n_audit = AuditEntry.objects.filter(case_id=closed_case.pk).count()
    again = retention.run_retention(now=NOW)
    assert again["counts"]["expunge"] == 0
    assert AuditEntry.objects.filter(case_id=closed_case.pk).count() == n_audit
    from bridgeway.audit.services import audit_verify

    assert audit_verify(record=False).ok


@pytest.mark.django_db
def test_expungement_killed_midway_then_rerun_finishes(people, register, jakarta,
                                                        monkeypatch):
    rule_set(people, "ID", sealing=3, expungement=8)
    closed_at = datetime(2030, 1, 1, tzinfo=UTC)
    cases = []
    for i in range(3):
        case = register(names=[{"kind": "given", "value": f"Child{i}"}])
        cases.append(close(people, with_justice_record(people, case, jakarta), closed_at))
    full = {c.pk: justice_rows(c.pk) for c in cases}
    assert all(full.values())

    real = retention._delete_justice_rows
    calls = {"n": 0}

    def dies_on_second_case(case_id: int) -> dict[str, int]:
        calls["n"] += 1
        counts = real(case_id)  # the rows are deleted inside the transaction …
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed")  # … and the process dies before commit
        return counts

    monkeypatch.setattr(retention, "_delete_justice_rows", dies_on_second_case)
    with pytest.raises(KeyboardInterrupt):
        retention.run_retention(now=NOW)
    after = {c.pk: justice_rows(c.pk) for c in cases}
    # Every case is either fully expunged or untouched, never in between.
    assert sorted(v for v in after.values()) == sorted([0] + [full[c.pk] for c in cases[1:]])
    assert after[cases[0].pk] == 0 and after[cases[1].pk] == full[cases[1].pk]
    assert not m.RetentionAction.objects.filter(case_id=cases[1].pk).exists()

    monkeypatch.setattr(retention, "_delete_justice_rows", real)
    retention.run_retention(now=NOW)
    assert all(justice_rows(c.pk) == 0 for c in cases)
    assert m.RetentionAction.objects.filter(action="expunge").count() == 3
    assert AuditEntry.objects.filter(object_type="justice_record",
                                     action="delete").count() == 3


# ---------------------------------------------------------------------- dry run


@pytest.mark.django_db
def test_dry_run_changes_nothing_and_reports_the_plan(people, closed_case, capsys):
    rows = justice_rows(closed_case.pk)
    n_audit = AuditEntry.objects.count()
    result = retention.run_retention(dry_run=True, now=NOW)
    assert [(p["case_number"], p["action"]) for p in result["planned"]] == [
        (closed_case.case_number, "expunge")]
    assert result["planned"][0]["counts"]["justice_events"] == 1
    assert justice_rows(closed_case.pk) == rows
    assert AuditEntry.objects.count() == n_audit
    assert not m.RetentionAction.objects.exists()
    run = m.RetentionRun.objects.get()
    assert run.dry_run and run.counts["expunge"] == 1

    Case.objects.filter(pk=closed_case.pk).update(closed_at=datetime(2001, 1, 1, tzinfo=UTC))
    call_command("retention_run", "--dry-run")
    out = capsys.readouterr().out
    assert closed_case.case_number in out and "expunge" in out
    assert justice_rows(closed_case.pk) == rows


@pytest.mark.django_db
def test_command_runs_for_real(people, closed_case, capsys):
    Case.objects.filter(pk=closed_case.pk).update(closed_at=datetime(2001, 1, 1, tzinfo=UTC))
    call_command("retention_run")
    assert justice_rows(closed_case.pk) == 0
    assert "expunge" in capsys.readouterr().out


@pytest.mark.django_db
def test_sealed_access_roles_are_configurable(people, closed_case, settings):
    retention.run_retention(now=datetime(2038, 7, 1, tzinfo=UTC))
    settings.BRIDGEWAY_SEALED_ACCESS_ROLES = []
    with pytest.raises(NotFound):
        selectors.justice_record(actor=people.supervisor, case_id=closed_case.pk,
                                 sealed_reason=REASON)
    settings.BRIDGEWAY_SEALED_ACCESS_ROLES = ["supervisor", "caseworker"]
    record = selectors.justice_record(actor=people.caseworker, case_id=closed_case.pk,
                                      sealed_reason=REASON)
    assert record.case.pk == closed_case.pk
    # A named role of another agency gains nothing from the seal.
    with pytest.raises(NotFound):
        selectors.justice_record(actor=people.outsider_supervisor, case_id=closed_case.pk,
                                 sealed_reason=REASON)


@pytest.mark.django_db
def test_sealing_is_idempotent_and_hides_notifications(people, closed_case):
    # The episode fixture misses safeguards: the owning supervisor has been notified.
    assert any(n.case_id == closed_case.pk
               for n in selectors.notifications_for(actor=people.supervisor))
    first = retention.run_retention(now=datetime(2038, 7, 1, tzinfo=UTC))
    second = retention.run_retention(now=datetime(2038, 7, 2, tzinfo=UTC))
    assert (first["counts"]["seal"], second["counts"]["seal"]) == (1, 0)
    assert m.RetentionAction.objects.filter(action="seal").count() == 1
    assert not any(n.case_id == closed_case.pk
                   for n in selectors.notifications_for(actor=people.supervisor))


@pytest.mark.django_db
def test_task_runs_the_job(people, closed_case, immediate_tasks):
    Case.objects.filter(pk=closed_case.pk).update(closed_at=datetime(2001, 1, 1, tzinfo=UTC))
    result = retention.retention_run_task.enqueue(dry_run=False)
    assert result.return_value["counts"]["expunge"] == 1
    assert justice_rows(closed_case.pk) == 0


@pytest.mark.django_db
def test_api_sealed_record_needs_a_named_role_and_a_reason(people, closed_case,
                                                           justice_api_urls):
    from django.core.cache import cache

    from tests.api.conftest import client_with_token

    cache.clear()
    retention.run_retention(now=datetime(2038, 7, 1, tzinfo=UTC))
    base = f"/api/v1/justice/cases/{closed_case.pk}/timeline/"
    police = client_with_token(people.police_officer)
    assert police.get(base).status_code == 404
    assert police.post(base + "sealed/", {"reason": REASON}, format="json").status_code == 404
    supervisor = client_with_token(people.supervisor)
    assert supervisor.get(base).status_code == 403
    assert supervisor.post(base + "sealed/", {"reason": "x"},
                           format="json").status_code == 400
    opened = supervisor.post(base + "sealed/", {"reason": REASON}, format="json")
    assert opened.status_code == 200 and len(opened.json()["events"]) == 1
    assert AuditEntry.objects.filter(object_type="sealed_justice_record",
                                     reason=REASON).count() == 1
