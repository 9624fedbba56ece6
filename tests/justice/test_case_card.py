"""The case page shows the case's justice safeguards (issue 4: "violations and deadlines
show on the case"): whether the child is deprived of liberty now, the next deadline and
the safeguards breached now, evaluated live — to those who may see the justice record,
and audited as a view of it; nothing to anyone else."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from bridgeway.audit.models import AuditEntry
from bridgeway.justice import selectors, services
from bridgeway.justice.rules import RULES
from tests.justice.conftest import ago, arrest_and_hold, episode_data

pytestmark = pytest.mark.django_db


def _page(client: Any, user: Any, case: Any) -> str:
    client.force_login(user)
    response = client.get(reverse("web:case_detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_owner_sees_the_child_held_the_breach_and_the_link(people, justice_case, jayapura,
                                                         client):
    arrest_and_hold(people, justice_case, jayapura, ago(hours=30))  # 24 h limit passed
    html = _page(client, people.caseworker, justice_case)
    assert 'id="justice-safeguards"' in html and 'id="justice-held"' in html
    assert jayapura.name in html
    assert RULES["appearance_overdue"].title in html
    assert reverse("justice:timeline", args=[justice_case.pk]) in html
    entry = AuditEntry.objects.filter(object_type="justice_record", case_id=justice_case.pk,
                                      action="view").latest("id")
    assert entry.detail == {"violations": 1, "via": "case_page"}


def test_a_respected_detention_shows_the_next_deadline_and_no_breach(people, justice_case,
                                                                     jakarta, client):
    services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                            data=episode_data(jakarta, ago(hours=5)))
    summary = selectors.justice_summary(actor=people.supervisor, case=justice_case)
    assert summary is not None and summary.violations == []
    assert summary.held_in == jakarta.name and summary.days_held == 0
    assert summary.next_deadline is not None and summary.next_deadline.status == "pending"
    html = _page(client, people.supervisor, justice_case)
    assert 'id="justice-no-violation"' in html and 'id="justice-next-deadline"' in html
    assert summary.next_deadline.title in html


def test_released_child_is_not_shown_as_held(people, justice_case, jakarta):
    episode = services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                                      data=episode_data(jakarta, ago(days=3)))
    services.detention_release(actor=people.caseworker, episode_id=episode.pk,
                               released_at=ago(days=1).isoformat())
    summary = selectors.justice_summary(actor=people.caseworker, case=justice_case)
    assert summary is not None and (summary.held_in, summary.days_held) == ("", None)
    assert summary.episodes == 1


def test_involved_police_see_the_card_too(people, justice_case, jayapura, client):
    arrest_and_hold(people, justice_case, jayapura, ago(hours=30))
    summary = selectors.justice_summary(actor=people.police_officer, case=justice_case)
    assert summary is not None and [v.code for v in summary.violations] == [
        "appearance_overdue"]


@pytest.mark.parametrize("who", ["outsider", "health_worker", "analyst", "other_caseworker"])
def test_nobody_else_gets_the_summary_and_nothing_is_audited(people, justice_case, jayapura,
                                                           who):
    arrest_and_hold(people, justice_case, jayapura, ago(hours=30))
    before = AuditEntry.objects.filter(object_type="justice_record").count()
    assert selectors.justice_summary(actor=getattr(people, who), case=justice_case) is None
    assert AuditEntry.objects.filter(object_type="justice_record").count() == before


def test_no_card_without_a_justice_record(people, register, client):
    case = register()
    before = AuditEntry.objects.filter(object_type="justice_record").count()
    assert 'id="justice-safeguards"' not in _page(client, people.caseworker, case)
    assert AuditEntry.objects.filter(object_type="justice_record").count() == before


def test_a_sealed_record_is_not_summarised_on_the_case_page(people, register, jakarta,
                                                            client):
    from datetime import UTC, datetime

    from bridgeway.justice import retention
    from tests.justice.test_retention import close, rule_set, with_justice_record

    rule_set(people, "ID", sealing=3, expungement=8)
    case = close(people, with_justice_record(people, register(), jakarta),
                 datetime(2035, 6, 15, 12, 0, tzinfo=UTC))
    assert selectors.justice_summary(actor=people.supervisor, case=case) is not None
    retention.run_retention(now=datetime(2038, 7, 1, tzinfo=UTC))
    for user in (people.supervisor, people.caseworker):
        assert selectors.justice_summary(actor=user, case=case) is None
    assert 'id="justice-safeguards"' not in _page(client, people.supervisor, case)
