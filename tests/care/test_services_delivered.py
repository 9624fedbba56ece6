"""Recording services delivered: every bad input refused with its field, nothing stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.care.models import PlanAction, ServiceDelivered
from bridgeway.care.services import service_record
from bridgeway.cases.models import CaseEvent
from bridgeway.core.errors import NotFound, ValidationFailed
from tests.care.conftest import action_named, iso, today

pytestmark = pytest.mark.django_db


def good(**changes: Any) -> dict[str, Any]:
    data = {"service_type": "education", "provider_name": "SD Negeri 3",
            "start_date": iso(today() - timedelta(days=10)), "end_date": iso(today()),
            "outcome": "Enrolled in grade 6."}
    data.update(changes)
    return data


def test_record_a_service(case: Any, people: Any) -> None:
    service = service_record(actor=people.caseworker, case_id=case.pk,
                             data=good(provider_agency=people.agency_health.pk,
                                       provider_name=""))
    assert service.provider_agency == people.agency_health
    assert service.provider_label == people.agency_health.name
    assert service.recorded_by == people.caseworker
    event = CaseEvent.objects.get(case=case, kind="service_recorded")
    assert event.params == {"service_id": service.pk, "service_type": "education",
                            "action_id": None}
    assert AuditEntry.objects.filter(object_type="service_delivered", action="create",
                                     object_id=str(service.pk), case_id=case.pk).exists()
    # A service still being delivered has no end date yet.
    ongoing = service_record(actor=people.caseworker, case_id=case.pk,
                             data=good(end_date=None, outcome=""))
    assert ongoing.end_date is None


def test_a_service_for_a_plan_action(fill: Any, case: Any, people: Any) -> None:
    plan = fill("bw_reintegration_plan", case)
    action = action_named("Meet the head teacher", goal__record=plan)
    service = service_record(actor=people.caseworker, case_id=case.pk,
                             data=good(action=action.pk))
    assert list(action.services.all()) == [service]


@pytest.mark.parametrize(("changes", "fields"), [
    ({"service_type": "haircut"}, ["service_type"]),
    ({"service_type": ""}, ["service_type"]),
    ({"service_type": "other"}, ["description"]),
    ({"provider_name": ""}, ["provider_name"]),
    ({"provider_name": "x" * 201}, ["provider_name"]),
    ({"provider_agency": "abc"}, ["provider_agency"]),
    ({"provider_agency": 10**9}, ["provider_agency"]),
    ({"start_date": ""}, ["start_date"]),
    ({"start_date": "2025-02-30"}, ["start_date"]),
    ({"start_date": iso(today() + timedelta(days=1)), "end_date": None}, ["start_date"]),
    ({"end_date": iso(today() + timedelta(days=1))}, ["end_date"]),
    ({"start_date": iso(today()), "end_date": iso(today() - timedelta(days=1))},
     ["end_date"]),
    ({"outcome": "\x00"}, ["outcome"]),
    ({"action": 10**9}, ["action"]),
    ({"action": "first"}, ["action"]),
    ({"service_type": 5, "start_date": 20250101, "outcome": ["x"]},
     ["outcome", "service_type", "start_date"]),
])
def test_bad_input_stores_nothing(case: Any, people: Any, changes: dict[str, Any],
                                  fields: list[str]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service_record(actor=people.caseworker, case_id=case.pk, data=good(**changes))
    assert sorted(caught.value.errors) == fields
    assert not ServiceDelivered.objects.exists()
    assert not CaseEvent.objects.filter(kind="service_recorded").exists()
    assert not AuditEntry.objects.filter(object_type="service_delivered").exists()


def test_not_an_object(case: Any, people: Any) -> None:
    with pytest.raises(ValidationFailed):
        service_record(actor=people.caseworker, case_id=case.pk, data=["education"])
    assert not ServiceDelivered.objects.exists()


def test_an_action_of_another_case_is_refused(fill: Any, case: Any, register: Any,
                                              people: Any) -> None:
    other = register(actor=people.caseworker, names=[{"kind": "given", "value": "Nur"}])
    plan = fill("bw_reintegration_plan", other)
    action = PlanAction.objects.filter(goal__record=plan).first()
    with pytest.raises(ValidationFailed) as caught:
        service_record(actor=people.caseworker, case_id=case.pk, data=good(action=action.pk))
    assert list(caught.value.errors) == ["action"]


def test_outsiders_get_not_found_even_with_bad_input(case: Any, people: Any) -> None:
    for user in (people.outsider, people.analyst, people.other_caseworker):
        for data in (good(), good(service_type="haircut")):
            with pytest.raises(NotFound):
                service_record(actor=user, case_id=case.pk, data=data)
    assert not ServiceDelivered.objects.exists()
