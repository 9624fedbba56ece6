"""Record services and selectors: access policy, audit, need-to-know, concurrency."""

from __future__ import annotations

from typing import Any

import pytest

from bridgeway.access import policy
from bridgeway.audit.models import AuditEntry
from bridgeway.cases.models import CaseEvent
from bridgeway.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from bridgeway.forms.models import FormRecord
from bridgeway.forms.selectors import (
    form_record_get,
    form_record_visible_data,
    form_records_for_case,
)
from bridgeway.forms.services import form_record_submit, form_record_update
from tests.forms.conftest import good_values

pytestmark = pytest.mark.django_db


def submit(people: Any, case: Any, visit_form: Any, actor: Any = None, **kwargs: Any) -> Any:
    values = kwargs.pop("values", None) or good_values(case.case_number)
    return form_record_submit(actor=actor or people.caseworker, case_id=case.pk,
                              form_version_id=visit_form.pk, values=values, **kwargs)


def test_submit_writes_record_event_and_audit(people: Any, case: Any, visit_form: Any
                                              ) -> None:
    record = submit(people, case, visit_form)
    assert (record.status, record.channel, record.version) == ("submitted", "web", 1)
    assert record.instance_id.startswith("uuid:")
    event = CaseEvent.objects.get(case=case, kind="form_submitted")
    assert event.params["record_id"] == record.pk
    entry = AuditEntry.objects.get(object_type="form_record", action="create")
    assert (entry.case_id, entry.child_id, entry.detail["form_id"]) == (
        case.pk, case.child_id, "bw_test_visit")


def test_submit_refuses_invalid_answers_and_stores_nothing(people: Any, case: Any,
                                                           visit_form: Any) -> None:
    values = good_values(case.case_number)
    values.update(age="x", case_number="BW-1999-000001")
    with pytest.raises(ValidationFailed) as caught:
        submit(people, case, visit_form, values=values)
    assert caught.value.errors == {
        "case_number": [f"This record belongs to case {case.case_number}, not BW-1999-000001."],
        "age": ["Enter a whole number."]}
    assert FormRecord.objects.count() == 0
    assert not CaseEvent.objects.filter(kind="form_submitted").exists()


def test_submit_needs_edit_permission(people: Any, case: Any, visit_form: Any) -> None:
    for user in (people.outsider, people.analyst, people.other_caseworker):
        with pytest.raises(NotFound):
            submit(people, case, visit_form, actor=user)
    assert submit(people, case, visit_form, actor=people.supervisor).submitted_by == \
        people.supervisor


def test_same_instance_id_from_someone_else_is_a_conflict(people: Any, case: Any,
                                                          visit_form: Any) -> None:
    first = submit(people, case, visit_form, instance_id="uuid:abc")
    assert submit(people, case, visit_form, instance_id="uuid:abc").pk == first.pk
    with pytest.raises(Conflict):
        submit(people, case, visit_form, actor=people.supervisor, instance_id="uuid:abc")


def test_update_checks_the_version_and_audits(people: Any, case: Any, visit_form: Any
                                              ) -> None:
    record = submit(people, case, visit_form)
    values = good_values(case.case_number)
    values["age"] = "16"
    updated = form_record_update(actor=people.supervisor, record_id=record.pk,
                                 expected_version=1, values=values)
    assert (updated.version, updated.data["age"], updated.updated_by) == (
        2, "16", people.supervisor)
    assert AuditEntry.objects.get(object_type="form_record", action="update").detail[
        "fields"] == ["age"]
    with pytest.raises(Conflict):
        form_record_update(actor=people.caseworker, record_id=record.pk, expected_version=1,
                           values=values)
    assert FormRecord.objects.get().data["age"] == "16"
    with pytest.raises(NotFound):
        form_record_update(actor=people.outsider, record_id=record.pk, expected_version=2,
                           values=values)


def test_a_stale_edit_is_audited_as_a_conflict_and_changes_nothing(
        people: Any, case: Any, visit_form: Any) -> None:
    record = submit(people, case, visit_form)
    values = good_values(case.case_number)
    values["age"] = "16"
    form_record_update(actor=people.supervisor, record_id=record.pk, expected_version=1,
                       values=values)
    values["age"] = "12"
    with pytest.raises(Conflict):
        form_record_update(actor=people.caseworker, record_id=record.pk, expected_version=1,
                           values=values)
    stored = FormRecord.objects.get()
    assert (stored.version, stored.data["age"], stored.updated_by) == (
        2, "16", people.supervisor)
    entry = AuditEntry.objects.get(object_type="form_record", action="conflict")
    assert (entry.actor, entry.case_id, entry.object_id) == (
        people.caseworker, case.pk, str(record.pk))
    assert (entry.detail["expected"], entry.detail["current"]) == (1, 2)
    assert AuditEntry.objects.filter(object_type="form_record", action="update").count() == 1


def test_draft_then_submit(people: Any, case: Any, visit_form: Any) -> None:
    draft = submit(people, case, visit_form, values={"age": "12"}, draft=True)
    assert (draft.status, draft.submitted_at) == ("draft", None)
    with pytest.raises(ValidationFailed):
        form_record_update(actor=people.caseworker, record_id=draft.pk, expected_version=1,
                           values={"age": "12"})
    done = form_record_update(actor=people.caseworker, record_id=draft.pk,
                              expected_version=1, values=good_values(case.case_number))
    assert done.status == "submitted" and done.submitted_at is not None
    with pytest.raises(DomainError):
        form_record_update(actor=people.caseworker, record_id=draft.pk, expected_version=2,
                           values=good_values(case.case_number), draft=True)


def test_records_for_case(people: Any, case: Any, visit_form: Any,
                          django_assert_max_num_queries: Any) -> None:
    first = submit(people, case, visit_form)
    records = form_records_for_case(actor=people.supervisor, case_id=case.pk)
    assert records == [first]
    entry = AuditEntry.objects.filter(object_type="form_record", action="list").last()
    assert (entry.actor, entry.detail["record_ids"]) == (people.supervisor, [first.pk])
    for _ in range(5):
        submit(people, case, visit_form)
    with django_assert_max_num_queries(12):
        records = form_records_for_case(actor=people.caseworker, case_id=case.pk)
        assert [r.form_version.form.form_id for r in records] == ["bw_test_visit"] * 6
    with pytest.raises(NotFound):
        form_records_for_case(actor=people.outsider, case_id=case.pk)


def test_record_get(people: Any, case: Any, visit_form: Any) -> None:
    record = submit(people, case, visit_form)
    assert form_record_get(actor=people.caseworker, record_id=record.pk) == record
    assert AuditEntry.objects.filter(object_type="form_record", action="view",
                                     object_id=str(record.pk)).count() == 1
    for user in (people.outsider, people.analyst, people.auditor):
        with pytest.raises(NotFound):
            form_record_get(actor=user, record_id=record.pk)
    with pytest.raises(NotFound):
        form_record_get(actor=people.caseworker, record_id=record.pk + 1000)


def test_visible_data_follows_data_categories(people: Any, case: Any, visit_form: Any,
                                              monkeypatch: Any, client: Any) -> None:
    record = submit(people, case, visit_form)
    assert form_record_visible_data(actor=people.caseworker, record=record) == record.data
    monkeypatch.setattr(policy, "categories_for", lambda user, case: frozenset(
        {policy.Category.EDUCATION, policy.Category.CASE_MANAGEMENT}))
    visible = form_record_visible_data(actor=people.caseworker, record=record)
    assert "age" not in visible and "siblings" not in visible and "needs" not in visible
    assert visible["school_name"] == "SD Negeri 3"
    assert visible["goal"][0] == {"goal_text": "Back to school", "due_date": "2025-03-01",
                                  "goal_status": "open"}
    client.force_login(people.caseworker)
    html = client.get(f"/forms/records/{record.pk}/").content.decode()
    assert "School name" in html and ">Age<" not in html and "Number of siblings" not in html
