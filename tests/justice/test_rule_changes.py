"""Jurisdiction rules: validated, immutable history, layered (region, country, defaults),
and a change while episodes are open recomputes their deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.core.errors import NotAllowed, ValidationFailed
from bridgeway.justice import models as m
from bridgeway.justice import services
from bridgeway.justice.adapters import FIGURES, RuleBook
from bridgeway.justice.rules import DEFAULTS
from tests.justice.conftest import ago, episode_data

pytestmark = pytest.mark.django_db


def figures(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(DEFAULTS, name) for name in FIGURES}
    data["diversion_types"] = sorted(DEFAULTS.diversion_types)
    data.update(overrides)
    return data


def change(actor: Any, *, valid_from: Any = "2020-01-01", country: str = "ID",
           region: str = "", reason: str = "Law 11/2012", **overrides: Any) -> Any:
    return services.jurisdiction_rules_change(actor=actor, country=country, region=region,
                                              valid_from=valid_from,
                                              params=figures(**overrides), reason=reason)


@pytest.mark.parametrize("name", ["max_hours_to_appearance", "pretrial_review_days",
                                  "days_to_charge", "max_pretrial_days", "macr_years"])
@pytest.mark.parametrize("value", [-1, 0, None, "", "ten", 2.5, True])
def test_negative_zero_missing_or_non_integer_figures_are_refused(people, name, value):
    with pytest.raises(ValidationFailed) as exc:
        change(people.sysadmin, **{name: value})
    assert name in exc.value.errors
    assert not m.JurisdictionRuleSet.objects.exists()


def test_a_figure_left_out_entirely_is_refused(people):
    params = figures()
    del params["max_pretrial_days"]
    with pytest.raises(ValidationFailed) as exc:
        services.jurisdiction_rules_change(actor=people.sysadmin, country="ID",
                                           valid_from="2020-01-01", params=params, reason="x")
    assert exc.value.errors["max_pretrial_days"] == ["This figure is required."]


def test_pure_ruleset_validation_has_the_last_word(people):
    with pytest.raises(ValidationFailed) as exc:
        change(people.sysadmin, macr_years=19)
    assert "above age_of_majority" in exc.value.errors["macr_years"][0]


def test_other_bad_rule_input(people):
    with pytest.raises(ValidationFailed) as exc:
        services.jurisdiction_rules_change(actor=people.sysadmin, country="XX",
                                           valid_from="soon", params=figures(), reason="")
    assert {"country", "valid_from", "reason"} <= set(exc.value.errors)


def test_only_system_admins_change_rules(people):
    for user in (people.supervisor, people.agency_admin, people.police_officer):
        with pytest.raises(NotAllowed):
            change(user)


def test_rows_are_immutable_history(people):
    first = change(people.sysadmin, max_hours_to_appearance=48)
    with pytest.raises(RuntimeError):
        first.save()
    with pytest.raises(RuntimeError):
        first.delete()
    change(people.sysadmin, valid_from="2024-01-01", max_hours_to_appearance=24)
    assert m.JurisdictionRuleSet.objects.count() == 2
    first.refresh_from_db()
    assert first.max_hours_to_appearance == 48
    assert AuditEntry.objects.filter(object_type="jurisdiction_rules").count() == 2


def test_layering_region_country_defaults(people):
    change(people.sysadmin, valid_from="2020-01-01", max_hours_to_appearance=48)
    change(people.sysadmin, valid_from="2022-01-01", region="JK", max_hours_to_appearance=12)
    book = RuleBook.load()
    region = book.for_jurisdiction("ID", "JK")
    national = book.for_jurisdiction("ID", "PA")  # a region without rules of its own
    elsewhere = book.for_jurisdiction("PH")

    def at(year: int) -> datetime:
        return datetime(year, 6, 1, tzinfo=UTC)

    assert region.history.in_force(at(2019)).max_hours_to_appearance == 24  # defaults
    assert region.history.in_force(at(2021)).max_hours_to_appearance == 48  # country
    assert region.history.in_force(at(2023)).max_hours_to_appearance == 12  # region
    assert national.history.in_force(at(2023)).max_hours_to_appearance == 48
    assert elsewhere.history.in_force(at(2023)) .max_hours_to_appearance == 24
    assert elsewhere.row_id_at(at(2023)) == 0


def test_a_correction_with_the_same_start_supersedes_but_keeps_the_old_row(people):
    wrong = change(people.sysadmin, valid_from="2020-01-01", days_to_charge=300)
    right = change(people.sysadmin, valid_from="2020-01-01", days_to_charge=30,
                   reason="typo in the previous version")
    applied = RuleBook.load().for_jurisdiction("ID")
    assert applied.history.in_force(datetime(2021, 1, 1, tzinfo=UTC)).days_to_charge == 30
    assert applied.row_id_at(datetime(2021, 1, 1, tzinfo=UTC)) == right.pk
    assert m.JurisdictionRuleSet.objects.filter(pk=wrong.pk).exists()


def test_rule_change_while_an_episode_is_open_recomputes_deadlines(
        people, justice_case, jakarta, immediate_tasks, django_capture_on_commit_callbacks):
    admitted = ago(days=2)
    services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                            data=episode_data(jakarta, admitted))
    before = m.SafeguardEvaluation.objects.get(case=justice_case)
    review = next(d for d in before.deadlines if d["code"] == "pretrial_review_due")
    assert datetime.fromisoformat(review["due_at"]) == admitted + timedelta(days=14)
    assert before.rule_set_ids == [0]
    task = justice_case.tasks.get(source_key__startswith="justice:pretrial_review_due")
    assert task.due_at == admitted + timedelta(days=14)

    # A law in force since before the admission shortens the review interval to 7 days.
    with django_capture_on_commit_callbacks(execute=True):
        row = change(people.sysadmin, valid_from=(admitted - timedelta(days=30)).isoformat(),
                     pretrial_review_days=7)
    after = m.SafeguardEvaluation.objects.get(case=justice_case)
    review = next(d for d in after.deadlines if d["code"] == "pretrial_review_due")
    assert datetime.fromisoformat(review["due_at"]) == admitted + timedelta(days=7)
    assert after.rule_set_ids == [row.pk]
    task.refresh_from_db()
    assert task.due_at == admitted + timedelta(days=7)

    # A later law (from tomorrow) does not move a deadline that started under this one.
    with django_capture_on_commit_callbacks(execute=True):
        change(people.sysadmin, valid_from=ago(days=-1).isoformat(), pretrial_review_days=3)
    latest = m.SafeguardEvaluation.objects.get(case=justice_case)
    review = next(d for d in latest.deadlines if d["code"] == "pretrial_review_due")
    assert datetime.fromisoformat(review["due_at"]) == admitted + timedelta(days=7)
    # History kept: both earlier rows unchanged.
    assert m.JurisdictionRuleSet.objects.get(pk=row.pk).pretrial_review_days == 7
    assert m.JurisdictionRuleSet.objects.count() == 2


def test_rule_change_in_another_country_leaves_cases_alone(
        people, justice_case, jakarta, immediate_tasks, django_capture_on_commit_callbacks):
    services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                            data=episode_data(jakarta, ago(days=2)))
    stamp = m.SafeguardEvaluation.objects.get(case=justice_case).evaluated_at
    with django_capture_on_commit_callbacks(execute=True):
        change(people.sysadmin, country="PH", pretrial_review_days=7)
    assert m.SafeguardEvaluation.objects.get(case=justice_case).evaluated_at == stamp


def test_rule_change_with_the_database_backend_enqueues_the_job(
        people, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        change(people.sysadmin, region="JK")
    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("reevaluate_open_episodes")
    assert queued.args_kwargs["kwargs"] == {"country": "ID", "region": "JK",
                                            "every_justice_case": True}
