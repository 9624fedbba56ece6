"""A case reopened after its justice record was sealed (``justice.retention``, decision
"A sealed record whose case is reopened"): the sealed part stays sealed — named roles
with a reason only, no justice grant, not corrected — while what is recorded after
reopening is recorded, shown and notified as in any justice record; closing again seals
it too on the new schedule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.audit.models import AuditEntry
from bridgeway.cases import selectors as case_selectors
from bridgeway.cases.models import Case
from bridgeway.cases.services import case_decide_closure, case_reopen, case_request_closure
from bridgeway.core.errors import NotFound
from bridgeway.justice import models as m
from bridgeway.justice import retention, selectors, services
from tests.justice.conftest import ago, iso
from tests.justice.test_retention import REASON, close, rule_set, with_justice_record

pytestmark = pytest.mark.django_db
OLD = "MARKER-OFFENCE"  # in the sealed part (``with_justice_record``)
NEW = "AFTER-REOPENING"


@pytest.fixture
def reopened(people: Any, register: Any, jakarta: Any) -> Any:
    """Closed four years ago, sealed by the job today (3-year sealing), then reopened."""
    rule_set(people, "ID", sealing=3, expungement=8)
    case = with_justice_record(people, register(), jakarta)
    close(people, case, ago(days=4 * 366))
    assert retention.run_retention()["counts"]["seal"] == 1
    case_reopen(actor=people.supervisor, case_id=case.pk, reason="New protection concern")
    return Case.objects.get(pk=case.pk)


def _record_new_arrest(people: Any, case: Any) -> Any:
    # No parent notification: a safeguard is missed, so an alert is raised and notified.
    return services.justice_event_record(actor=people.caseworker, case_id=case.pk, data={
        "kind": "arrest", "at": iso(ago(hours=30)), "time_zone": "Asia/Jakarta",
        "alleged_offence": NEW})


def test_reopening_keeps_the_seal_and_hides_nothing_new(people, reopened, client):
    seal = m.JusticeSeal.objects.get(case=reopened)  # reopening did not lift it
    assert reopened.status != "closed" and retention.sealed_until(reopened) == seal.sealed_at

    # The owning caseworker: the sealed part does not exist for them; the open part does.
    record = selectors.justice_record(actor=people.caseworker, case_id=reopened.pk)
    assert (record.events, record.episodes, record.involvements) == ([], [], [])
    assert record.sealed_part is False and record.may_record
    event = _record_new_arrest(people, reopened)
    record = selectors.justice_record(actor=people.caseworker, case_id=reopened.pk)
    assert [v.event.pk for v in record.events] == [event.pk]
    assert record.violations  # the safeguards are evaluated on the open part
    client.force_login(people.caseworker)
    page = client.get(f"/justice/cases/{reopened.pk}/")
    body = page.content.decode()
    assert page.status_code == 200 and NEW in body and OLD not in body
    assert "sealed-part" not in body  # not told that there is a sealed part

    # A named role sees the open part at once, told of the sealed part; with a reason,
    # everything, audited with the reason.
    record = selectors.justice_record(actor=people.supervisor, case_id=reopened.pk)
    assert [v.event.pk for v in record.events] == [event.pk] and record.sealed_part
    client.force_login(people.supervisor)
    body = client.get(f"/justice/cases/{reopened.pk}/").content.decode()
    assert NEW in body and OLD not in body and "sealed-part" in body
    full = client.post(f"/justice/cases/{reopened.pk}/sealed/", {"reason": REASON})
    assert full.status_code == 200 and OLD in full.content.decode()
    assert NEW in full.content.decode()
    assert AuditEntry.objects.filter(object_type="sealed_justice_record", reason=REASON,
                                     case_id=reopened.pk).count() == 1
    with pytest.raises(NotFound):  # the caseworker is not a named role
        selectors.justice_record(actor=people.caseworker, case_id=reopened.pk,
                                 sealed_reason=REASON)


def test_sealed_part_grants_nothing_and_is_not_written_in(people, reopened):
    sealed_event = m.JusticeEvent.objects.get(case=reopened, alleged_offence__isnull=False)
    sealed_episode = m.DetentionEpisode.objects.get(case=reopened)
    # The police unit involved before the seal gains nothing from the reopening.
    assert not policy.cases_visible_to(people.police_officer).filter(pk=reopened.pk).exists()
    with pytest.raises(NotFound):
        selectors.justice_record(actor=people.police_officer, case_id=reopened.pk)
    # Nobody corrects the sealed part, the owning agency and named roles included.
    for actor in (people.caseworker, people.supervisor):
        with pytest.raises(NotFound):
            services.justice_event_correct(actor=actor, event_id=sealed_event.pk,
                                           expected_version=sealed_event.version,
                                           changes={"notes": "x"}, reason=REASON)
        with pytest.raises(NotFound):
            services.detention_correct(actor=actor, episode_id=sealed_episode.pk,
                                       expected_version=sealed_episode.version,
                                       changes={"authority": "x"}, reason=REASON)
    # Linked again after reopening, the police see the open part only.
    old_link = m.JusticeInvolvement.objects.get(case=reopened, agency=people.agency_police)
    services.justice_involvement_add(actor=people.caseworker, case_id=reopened.pk,
                                     agency_id=people.agency_police.pk, reason="new arrest")
    old_link.refresh_from_db()
    assert old_link.ended_at is not None
    assert policy.cases_visible_to(people.police_officer).filter(pk=reopened.pk).exists()
    event = _record_new_arrest(people, reopened)
    record = selectors.justice_record(actor=people.police_officer, case_id=reopened.pk)
    assert [v.event.pk for v in record.events] == [event.pk] and record.episodes == []
    assert [i.agency_id for i in record.involvements] == [people.agency_police.pk]
    assert record.sealed_part is False
    # ...and may correct what was recorded after reopening.
    services.justice_event_correct(actor=people.police_officer, event_id=event.pk,
                                   expected_version=1, changes={"notes": "corrected"},
                                   reason="typing error in the notes")


def test_timeline_and_notifications_show_the_open_part_only(people, reopened):
    sealed_at = m.JusticeSeal.objects.get(case=reopened).sealed_at
    sealed_alerts = set(m.SafeguardAlert.objects.filter(case=reopened)
                        .values_list("pk", flat=True))
    assert sealed_alerts  # the fixture's record missed safeguards (notified then)
    assert not [n for n in selectors.notifications_for(actor=people.supervisor)
                if n.case_id == reopened.pk]
    event = _record_new_arrest(people, reopened)
    notified = [n for n in selectors.notifications_for(actor=people.supervisor)
                if n.case_id == reopened.pk]
    assert notified and all(n.alert_id not in sealed_alerts for n in notified)

    detail = case_selectors.case_detail(actor=people.caseworker, case_id=reopened.pk)
    justice = [e for e in detail.events if e.kind in retention.JUSTICE_CASE_EVENT_KINDS]
    assert [e.params for e in justice] == [{"event_id": event.pk}]
    assert all(e.at > sealed_at for e in justice)
    assert any(e.kind == "reopened" for e in detail.events)


def test_closing_again_seals_the_open_part_on_the_new_schedule(people, reopened):
    _record_new_arrest(people, reopened)
    first = m.JusticeSeal.objects.get(case=reopened).sealed_at
    case_request_closure(actor=people.caseworker, case_id=reopened.pk, reason="goals_met")
    case_decide_closure(actor=people.supervisor, case_id=reopened.pk, approve=True)
    closed = Case.objects.get(pk=reopened.pk)
    # Closed again: the open part is visible as in any closed case until it is due.
    record = selectors.justice_record(actor=people.supervisor, case_id=closed.pk)
    assert len(record.events) == 1 and record.sealed_part
    later = retention.add_years(closed.closed_at, 3) + timedelta(days=1)
    assert [p.action for p in retention.plan_justice(now=later - timedelta(days=2))] == []
    assert [p.action for p in retention.plan_justice(now=later)] == ["seal"]
    assert retention.run_retention(now=later)["counts"]["seal"] == 1
    assert retention.run_retention(now=later)["counts"]["seal"] == 0  # idempotent
    seal = m.JusticeSeal.objects.get(case=closed)
    assert seal.sealed_at == later > first
    # The whole record is sealed again: "not found" for the caseworker, a reason for
    # the named roles, both parts behind it.
    with pytest.raises(NotFound):
        selectors.justice_record(actor=people.caseworker, case_id=closed.pk)
    with pytest.raises(retention.SealedRecord):
        selectors.justice_record(actor=people.supervisor, case_id=closed.pk)
    record = selectors.justice_record(actor=people.supervisor, case_id=closed.pk,
                                      sealed_reason=REASON)
    assert len(record.events) == 2
    # Expungement follows the latest closure and removes both parts.
    gone = retention.add_years(closed.closed_at, 8) + timedelta(days=1)
    assert [p.action for p in retention.plan_justice(now=gone)] == ["expunge"]
    retention.run_retention(now=gone)
    assert sum(retention.justice_row_counts(closed.pk).values()) == 0


def test_reopening_an_unsealed_closed_case_changes_nothing(people, register, jakarta):
    rule_set(people, "ID", sealing=3, expungement=8)
    case = with_justice_record(people, register(), jakarta)
    close(people, case, timezone.now() - timedelta(days=30))
    case_reopen(actor=people.supervisor, case_id=case.pk, reason="New protection concern")
    record = selectors.justice_record(actor=people.caseworker, case_id=case.pk)
    assert len(record.events) == 1 and len(record.episodes) == 1
    assert record.sealed_part is False
    assert selectors.justice_record(actor=people.police_officer, case_id=case.pk)
