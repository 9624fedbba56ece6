"""Times are stored in UTC and shown on the facility's own clock, with the zone named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bridgeway.core.errors import ValidationFailed
from bridgeway.justice import models as m
from bridgeway.justice import selectors, services
from bridgeway.justice.inputs import local_parts, local_to_aware
from tests.justice.conftest import ago, episode_data

pytestmark = pytest.mark.django_db


def test_local_time_with_offset_is_stored_as_utc(people, justice_case, jakarta):
    # 09:30 in Jakarta (UTC+7) two days ago is 02:30 UTC.
    day = ago(days=2).date()
    local = f"{day.isoformat()}T09:30:00+07:00"
    episode = services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                                      data=episode_data(jakarta, ago(days=2),
                                                        admitted_at=local))
    stored = m.DetentionEpisode.objects.get(pk=episode.pk).admitted_at
    assert stored == datetime(day.year, day.month, day.day, 2, 30, tzinfo=UTC)
    assert stored.utcoffset().total_seconds() == 0


def test_page_shows_the_facility_clock_and_zone(people, justice_case, jakarta, jayapura,
                                                login):
    day = ago(days=3).date()
    services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                            data=episode_data(jakarta, ago(days=3),
                                              admitted_at=f"{day}T01:15:00Z",
                                              released_at=f"{day}T05:00:00Z"))
    services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                            data=episode_data(jayapura, ago(days=2),
                                              admitted_at=f"{day}T05:00:00Z"))
    body = login(people.supervisor).get(f"/justice/cases/{justice_case.pk}/").content.decode()
    # 01:15 UTC = 08:15 in Jakarta (UTC+7); 05:00 UTC = 14:00 in Jayapura (UTC+9).
    assert f"{day} 08:15 Asia/Jakarta (UTC+07:00)" in body
    assert f"{day} 12:00 Asia/Jakarta (UTC+07:00)" in body  # its release
    assert f"{day} 14:00 Asia/Jayapura (UTC+09:00)" in body


def test_form_takes_the_facility_local_time(people, justice_case, jayapura, login):
    client = login(people.caseworker)
    day = ago(days=1).date()
    response = client.post(f"/justice/cases/{justice_case.pk}/episodes/new/", {
        "kind": "police_custody", "facility": jayapura.pk, "admitted_at": f"{day}T14:00",
        "commitment_order_ref": "POLRES/CUSTODY/031", "separated_from_adults": "yes"})
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = m.DetentionEpisode.objects.get().admitted_at
    assert stored == datetime(day.year, day.month, day.day, 5, 0, tzinfo=UTC)


def test_event_form_uses_the_chosen_zone(people, justice_case, login):
    client = login(people.caseworker)
    day = ago(days=1).date()
    response = client.post(f"/justice/cases/{justice_case.pk}/events/new/", {
        "kind": "arrest", "at": f"{day}T23:30", "time_zone": "America/Bogota"})
    assert response.status_code == 302
    event = m.JusticeEvent.objects.get()
    assert event.time_zone == "America/Bogota"
    # 23:30 in Bogotá (UTC-5) is 04:30 UTC the next day.
    assert event.at.astimezone(UTC).strftime("%H:%M") == "04:30"
    record = selectors.justice_record(actor=people.caseworker, case_id=justice_case.pk)
    assert record.events[0].at["label"] == f"{day} 23:30 America/Bogota (UTC-05:00)"


def test_a_time_skipped_by_daylight_saving_is_refused():
    # 02:30 on 30 March 2025 does not exist in Paris: the clocks went from 02:00 to 03:00.
    with pytest.raises(ValidationFailed) as exc:
        local_to_aware("2025-03-30T02:30", "Europe/Paris", field="at")
    assert "does not exist" in exc.value.errors["at"][0]
    # 02:30 on 26 October 2025 happened twice: the earlier (summer time) is taken.
    assert local_to_aware("2025-10-26T02:30", "Europe/Paris", field="at").endswith("+02:00")


def test_deadline_hours_are_real_hours_across_a_clock_change(people, justice_case):
    """An arrest at 01:30 Paris time on the night the clocks go forward: the 24-hour
    appearance deadline is 24 real hours later, i.e. 02:30 local the next day."""
    from bridgeway.justice.models import Facility

    paris = Facility.objects.create(name="Paris", kind="police_station", country="FR",
                                    time_zone="Europe/Paris")
    arrest = local_to_aware("2025-03-30T01:30", "Europe/Paris", field="at")
    services.justice_event_record(actor=people.caseworker, case_id=justice_case.pk,
                                  data={"kind": "arrest", "at": arrest,
                                        "time_zone": "Europe/Paris"})
    record = selectors.justice_record(actor=people.caseworker, case_id=justice_case.pk)
    due = next(d for d in record.deadlines if d.code == "appearance_due")
    assert due.due["label"] == "2025-03-31 02:30 Europe/Paris (UTC+02:00)"
    assert paris.time_zone == "Europe/Paris"


def test_local_parts_names_zone_and_offset():
    at = datetime(2025, 1, 15, 20, 0, tzinfo=UTC)
    assert local_parts(at, "Asia/Kolkata")["label"] == "2025-01-16 01:30 Asia/Kolkata (UTC+05:30)"
    assert local_parts(at, "Asia/Kolkata")["input"] == "2025-01-16T01:30"
