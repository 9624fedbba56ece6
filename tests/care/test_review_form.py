"""A form filled for the "reintegration plan review" purpose counts as a review of the plan
in force — on the web, through the API or from an ODK client: the next review falls due
later and the overdue review task goes. A review that cannot count is refused with its
reasons when a person enters it now (web, API), and kept with a case event saying why
when it was collected offline (ODK)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.care.models import PlanReview
from bridgeway.care.selectors import next_review_due
from bridgeway.care.services import NO_PLAN_TO_REVIEW, care_sweep
from bridgeway.cases.models import CaseEvent, Task, TaskStatus
from bridgeway.core.errors import ValidationFailed
from bridgeway.forms.models import FormRecord, RawStatus, RawSubmission
from bridgeway.forms.services import form_record_submit, form_record_update, form_version_upload
from tests.care.conftest import heard, iso, today
from tests.forms.conftest import device, media_tmp, tokens  # noqa: F401
from tests.forms.odk_support import HEADER, collect_submission, make_xlsx, row, visit_settings

pytestmark = pytest.mark.django_db
FORM_ID = "local_plan_review"


def review_xlsx(*, date_name: str = "reviewed_on") -> bytes:
    survey = [HEADER,
              row("text", "case_number", "Case number", required="yes",
                  category="case_management"),
              row("date", date_name, "Date of the review", required="yes",
                  category="case_management"),
              row("text", "summary", "What was reviewed", required="yes",
                  category="case_management"),
              row("text", "child_views", "What the child said", required="yes",
                  category="case_management"),
              row("text", "child_views_weight", "How the views were taken into account",
                  required="yes", category="case_management"),
              row("select_one yes_no", "plan_change_needed", "Does the plan need to change?",
                  category="case_management"),
              row("date", "next_review_on", "Next review (if sooner)",
                  category="case_management")]
    choices = [["list_name", "name", "label::English (en)"],
               ["yes_no", "yes", "Yes"], ["yes_no", "no", "No"]]
    return make_xlsx(survey, choices, visit_settings(form_id=FORM_ID))


@pytest.fixture
def review_form(people: Any) -> Any:
    return form_version_upload(actor=people.sysadmin, file_bytes=review_xlsx(),
                               purpose="plan_review").version


def answers(case: Any, **changes: Any) -> dict[str, Any]:
    values = {"case_number": case.case_number, "reviewed_on": iso(today()),
              "summary": "Attends school; weekly visits to the mother continue.",
              "plan_change_needed": "no", "child_views": heard()["child_views"],
              "child_views_weight": heard()["child_views_weight"]}
    values.update(changes)
    return values


def fill_review(people: Any, case: Any, version: Any, **changes: Any) -> FormRecord:
    return form_record_submit(actor=people.caseworker, case_id=case.pk,
                              form_version_id=version.pk, values=answers(case, **changes))


def overdue_task(case: Any, clock: Any) -> Task:
    due = next_review_due(case.pk)
    assert due is not None
    clock.advance(days=(due - today()).days + 1)
    care_sweep()
    return Task.objects.get(case=case, source_key="care_plan_review", status=TaskStatus.OPEN)


def nothing_stored(case: Any) -> None:
    assert not FormRecord.objects.filter(case=case, form_version__form__form_id=FORM_ID
                                         ).exists()
    assert not PlanReview.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, kind="plan_reviewed").exists()


def test_a_review_form_counts_as_a_plan_review(approved_plan: Any, case: Any, people: Any,
                                               review_form: Any, clock: Any) -> None:
    task = overdue_task(case, clock)
    record = fill_review(people, case, review_form)
    review = PlanReview.objects.get(case=case)
    assert (review.reviewed_on, review.plan_record_id, review.recorded_by) == (
        today(), approved_plan.pk, people.caseworker)
    assert review.child_views == heard()["child_views"] and not review.plan_change_needed
    assert next_review_due(case.pk) > today()
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    event = CaseEvent.objects.get(case=case, kind="plan_reviewed")
    assert (event.params["record_id"], event.params["review_id"]) == (record.pk, review.pk)
    entry = AuditEntry.objects.get(object_type="plan_review", object_id=str(review.pk))
    assert (entry.action, entry.actor) == ("create", people.caseworker)
    care_sweep()  # applying the same record version again changes nothing
    assert PlanReview.objects.filter(case=case).count() == 1


def test_editing_the_review_form_updates_the_same_review(approved_plan: Any, case: Any,
                                                         people: Any, review_form: Any
                                                         ) -> None:
    record = fill_review(people, case, review_form)
    soon = today() + timedelta(days=20)
    form_record_update(actor=people.caseworker, record_id=record.pk, expected_version=1,
                       values=answers(case, plan_change_needed="yes",
                                      next_review_on=iso(soon)))
    review = PlanReview.objects.get(case=case)
    assert (review.plan_change_needed, review.next_review_on) == (True, soon)
    assert next_review_due(case.pk) == soon
    assert AuditEntry.objects.filter(object_type="plan_review", action="update").count() == 1


def test_the_review_date_may_have_the_forms_own_name(approved_plan: Any, case: Any,
                                                      people: Any) -> None:
    version = form_version_upload(actor=people.sysadmin,
                                  file_bytes=review_xlsx(date_name="review_date"),
                                  purpose="plan_review").version
    values = answers(case)
    values["review_date"] = values.pop("reviewed_on")
    form_record_submit(actor=people.caseworker, case_id=case.pk,
                       form_version_id=version.pk, values=values)
    assert PlanReview.objects.get(case=case).reviewed_on == today()


def test_no_plan_in_force_refuses_the_review_and_stores_nothing(
        fill: Any, case: Any, people: Any, review_form: Any) -> None:
    fill("bw_psychosocial_assessment", case)
    fill("bw_reintegration_plan", case)  # waiting for approval: not in force
    with pytest.raises(ValidationFailed) as caught:
        fill_review(people, case, review_form)
    assert caught.value.errors == {"__all__": [NO_PLAN_TO_REVIEW]}
    nothing_stored(case)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"next_review_on": "far"}, "next_review_on", "at least every 3 months"),
    ({"next_review_on": "same"}, "next_review_on", "comes after this one"),
    ({"reviewed_on": "before"}, "reviewed_on", "cannot be earlier"),
])
def test_a_review_the_rules_refuse_is_refused_by_its_question(
        approved_plan: Any, case: Any, people: Any, review_form: Any, changes: Any,
        field: str, message: str) -> None:
    dates = {"far": iso(today() + timedelta(days=200)), "same": iso(today()),
             "before": iso(today() - timedelta(days=3))}
    with pytest.raises(ValidationFailed) as caught:
        fill_review(people, case, review_form, **{k: dates[v] for k, v in changes.items()})
    assert list(caught.value.errors) == [field]
    assert message in " ".join(caught.value.errors[field])
    nothing_stored(case)


def test_the_web_form_page_counts_and_refuses_the_same_way(
        approved_plan: Any, case: Any, people: Any, review_form: Any, client: Any) -> None:
    client.force_login(people.caseworker)
    url = f"/forms/cases/{case.pk}/{FORM_ID}/new/"
    bad = client.post(url, {**answers(case),
                            "next_review_on": iso(today() + timedelta(days=200))})
    assert bad.status_code == 400
    assert "at least every 3 months" in bad.content.decode()
    nothing_stored(case)
    good = client.post(url, answers(case))
    assert good.status_code == 302
    assert PlanReview.objects.filter(case=case).count() == 1


def test_the_api_counts_and_refuses_the_same_way(fill: Any, case: Any, people: Any,
                                                 review_form: Any) -> None:
    from tests.api.conftest import client_with_token

    api = client_with_token(people.caseworker)
    url = f"/api/v1/care/cases/{case.pk}/assessments/"
    refused = api.post(url, {"form_id": FORM_ID, "values": answers(case)}, format="json")
    assert refused.status_code == 400
    assert NO_PLAN_TO_REVIEW in refused.content.decode()
    nothing_stored(case)
    fill("bw_psychosocial_assessment", case)
    plan = fill("bw_reintegration_plan", case)
    from bridgeway.care.services import approval_decide

    approval_decide(actor=people.supervisor, record_id=plan.pk, approve=True)
    created = api.post(url, {"form_id": FORM_ID, "values": answers(case)}, format="json")
    assert created.status_code == 201, created.content
    assert PlanReview.objects.filter(case=case).count() == 1


def test_an_odk_review_counts(approved_plan: Any, case: Any, review_form: Any,
                              device: Any, clock: Any) -> None:  # noqa: F811
    task = overdue_task(case, clock)
    xml, _ = collect_submission(review_form.xform, answers(case))
    response = device("caseworker").submit(xml)
    assert response.status_code == 201, response.content
    assert PlanReview.objects.filter(case=case).count() == 1
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_an_odk_review_that_cannot_count_is_kept_and_says_why(
        case: Any, review_form: Any, device: Any) -> None:  # noqa: F811
    xml, _ = collect_submission(review_form.xform, answers(case))
    response = device("caseworker").submit(xml)
    assert response.status_code == 201, response.content
    record = FormRecord.objects.get(case=case, form_version=review_form)
    assert RawSubmission.objects.get(instance_id=record.instance_id).status == \
        RawStatus.PROCESSED
    assert not PlanReview.objects.filter(case=case).exists()
    event = CaseEvent.objects.get(case=case, kind="plan_review_not_counted")
    assert (event.params["record_id"], event.params["fields"]) == (record.pk, ["__all__"])
