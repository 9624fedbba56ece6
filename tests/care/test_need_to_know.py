"""Need to know: a user who may see the case through a grant without the case-management
category (here a health worker with a test grant, capped by the health sector) sees no
plan, services or reviews, and only the health answers of the assessments."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Q

from bridgeway.access import policy
from bridgeway.access.policy import Category, Grant, GrantSource, Perm
from bridgeway.core.errors import NotFound
from tests.api.conftest import client_with_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def health_grant(monkeypatch: Any, people: Any, case: Any) -> Any:
    """``people.health_worker`` may view ``case`` (identity and health, and — the sector
    cap must remove it — psychosocial)."""
    worker = people.health_worker

    def case_filter(user: Any) -> Q | None:
        return Q(pk=case.pk) if user.pk == worker.pk else None

    def grant(user: Any, target: Any) -> Grant | None:
        if user.pk != worker.pk or target.pk != case.pk:
            return None
        return Grant(frozenset({Perm.VIEW}),
                     frozenset({Category.IDENTITY, Category.HEALTH, Category.PSYCHOSOCIAL}),
                     "test")

    monkeypatch.setattr(policy, "GRANT_SOURCES",
                        [*policy.GRANT_SOURCES, GrantSource("test", case_filter, grant)])
    return worker


def test_health_worker_sees_health_answers_only(health_grant: Any, fill: Any, case: Any,
                                                people: Any) -> None:
    from bridgeway.care.selectors import care_records_for_case, plan_for_case

    fill("bw_psychosocial_assessment", case)
    fill("bw_reintegration_plan", case)
    items = {i.purpose: i for i in care_records_for_case(actor=health_grant, case_id=case.pk)}
    psychosocial = items["psychosocial_assessment"].data
    assert {"need_health", "vul_substance", "vul_disability"} <= set(psychosocial)
    assert "need_emotional" not in psychosocial and "child_views" not in psychosocial
    goals = items["reintegration_plan"].data["goal"]  # the repeats, emptied of their fields
    assert [set(row) for row in goals] == [{"action"}, {"action"}]
    assert all(action == {} for row in goals for action in row["action"])
    with pytest.raises(NotFound):
        plan_for_case(actor=health_grant, case_id=case.pk)

    api = client_with_token(health_grant)
    assert api.get(f"/api/v1/care/cases/{case.pk}/plan/").status_code == 404
    assert api.get(f"/api/v1/care/cases/{case.pk}/services/").status_code == 404
    assert api.get(f"/api/v1/care/cases/{case.pk}/reviews/").status_code == 404
    listed = api.get(f"/api/v1/care/cases/{case.pk}/assessments/")
    assert listed.status_code == 200 and len(listed.json()["items"]) == 2


def test_health_worker_overview_hides_case_management(health_grant: Any, fill: Any,
                                                      case: Any, client: Any) -> None:
    fill("bw_psychosocial_assessment", case)
    fill("bw_bid_panel", case)
    client.force_login(health_grant)
    response = client.get(f"/care/cases/{case.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="not-shared"' in text
    for hidden in ('id="assessments"', 'id="h-plan"', 'id="h-services"', "child_views",
                   "I want to go back to school"):
        assert hidden not in text
    # No link to it from the case page either.
    assert f'href="/care/cases/{case.pk}/"' not in client.get(f"/cases/{case.pk}/").content.decode()
