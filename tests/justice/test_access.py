"""Who sees a justice record: the owning agency, and justice agencies involved in the case
in its jurisdiction — identity and justice only. Everyone else gets 404. Every read and
write is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.access.policy import Category, Perm
from bridgeway.accounts.models import Agency, User
from bridgeway.audit.models import AuditEntry
from bridgeway.core.errors import NotAllowed, NotFound
from bridgeway.justice import models as m
from bridgeway.justice import selectors, services
from tests.justice.conftest import ago, episode_data, iso

pytestmark = pytest.mark.django_db


def make_user(username: str, agency: Agency, role: str = "caseworker") -> User:
    return User.objects.create_user(username=username, password="pw-" + username,
                                    agency=agency, role=role)


@pytest.fixture
def other_police(people: Any) -> User:
    """A police officer of another unit in the same country, not involved in the case."""
    unit = Agency.objects.create(code="police-other", name="Other unit", sector="police",
                                 country="ID")
    return make_user("other_officer", unit)


@pytest.fixture
def foreign_court(people: Any, justice_case: Any) -> User:
    """A court in another country, linked to the case anyway (the service refuses such a
    link; the row stands for a link made before a reorganisation moved the agency)."""
    court = Agency.objects.create(code="court-ph", name="Manila court", sector="court",
                                  country="PH")
    m.JusticeInvolvement.objects.create(case=justice_case, agency=court,
                                        added_by=people.supervisor, added_at=timezone.now())
    return make_user("foreign_judge", court)


@pytest.fixture
def held(people: Any, justice_case: Any, jakarta: Any) -> Any:
    return services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data=episode_data(jakarta, ago(days=2), health_problems="asthma, needs inhaler"))


def test_policy_gives_involved_police_identity_and_justice_only(people, justice_case):
    assert policy.categories_for(people.police_officer, justice_case) == frozenset(
        {Category.IDENTITY, Category.JUSTICE})
    assert policy.perms_for(people.police_officer, justice_case) == frozenset({Perm.VIEW})
    assert justice_case in policy.cases_visible_to(people.police_officer)
    # The owning agency keeps everything.
    assert Category.PSYCHOSOCIAL in policy.categories_for(people.supervisor, justice_case)


def test_uninvolved_and_foreign_justice_users_see_nothing(people, justice_case,
                                                          other_police, foreign_court):
    for user in (other_police, foreign_court, people.health_worker, people.outsider):
        assert policy.categories_for(user, justice_case) == frozenset()
        assert justice_case not in policy.cases_visible_to(user)
        with pytest.raises(NotFound):
            selectors.justice_record(actor=user, case_id=justice_case.pk)


def test_only_caseworker_and_supervisor_roles_of_a_justice_agency_get_the_grant(
        people, justice_case):
    analyst = make_user("police_analyst", people.agency_police, role="analyst")
    admin = make_user("police_admin", people.agency_police, role="agency_admin")
    for user in (analyst, admin):
        assert justice_case not in policy.cases_visible_to(user)


def test_ending_the_involvement_ends_access(people, justice_case):
    link = m.JusticeInvolvement.objects.get(case=justice_case, agency=people.agency_police)
    services.justice_involvement_end(actor=people.supervisor, involvement_id=link.pk,
                                     reason="case transferred to the prosecutor")
    with pytest.raises(NotFound):
        selectors.justice_record(actor=people.police_officer, case_id=justice_case.pk)


def test_involved_police_sees_the_justice_pages(people, justice_case, held, login):
    client = login(people.police_officer)
    page = client.get(f"/justice/cases/{justice_case.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "LPKA Jakarta" in body and "Victim status" in body
    # Health problems noted in the register are not shown to the police.
    assert "asthma" not in body
    assert client.get(f"/justice/cases/{justice_case.pk}/events/new/").status_code == 200
    assert client.get(f"/justice/episodes/{held.pk}/release/").status_code == 200
    assert client.get("/justice/deprived-of-liberty/").status_code == 200
    assert justice_case.case_number in client.get("/justice/deprived-of-liberty/").content.decode()


def test_owning_supervisor_sees_health_problems(people, justice_case, held, login):
    body = login(people.supervisor).get(f"/justice/cases/{justice_case.pk}/").content.decode()
    assert "asthma" in body


@pytest.mark.parametrize("who", ["other_police", "foreign_court", "health", "outsider"])
def test_everyone_else_gets_404_on_every_justice_page(people, justice_case, held, login,
                                                      other_police, foreign_court, who):
    user = {"other_police": other_police, "foreign_court": foreign_court,
            "health": people.health_worker, "outsider": people.outsider}[who]
    client = login(user)
    for url in (f"/justice/cases/{justice_case.pk}/",
                f"/justice/cases/{justice_case.pk}/events/new/",
                f"/justice/cases/{justice_case.pk}/episodes/new/",
                f"/justice/episodes/{held.pk}/release/",
                f"/justice/episodes/{held.pk}/transfer/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/justice/episodes/{held.pk}/release/",
                       {"released_at": "2025-01-01T10:00"}).status_code == 404
    assert justice_case.case_number not in client.get(
        "/justice/deprived-of-liberty/").content.decode()
    held.refresh_from_db()
    assert held.released_at is None


def test_involved_police_may_record_but_not_outsiders(people, justice_case, other_police,
                                                      jayapura):
    services.detention_open(actor=people.police_officer, case_id=justice_case.pk,
                            data=episode_data(jayapura, ago(hours=3), kind="police_custody",
                                              commitment_order_ref="POLRES/CUSTODY/031"))
    with pytest.raises(NotFound):
        services.justice_event_record(actor=other_police, case_id=justice_case.pk,
                                      data={"kind": "arrest", "at": iso(ago(hours=4))})


def test_analyst_of_the_owning_agency_may_not_record(people, justice_case):
    with pytest.raises(NotFound):
        services.justice_event_record(actor=people.analyst, case_id=justice_case.pk,
                                      data={"kind": "arrest", "at": iso(ago(hours=4))})
    assert not m.JusticeEvent.objects.exists()


def test_justice_user_recording_does_not_gain_other_categories(people, justice_case):
    services.justice_event_record(actor=people.police_officer, case_id=justice_case.pk,
                                  data={"kind": "arrest", "at": iso(ago(hours=4))})
    assert policy.categories_for(people.police_officer, justice_case) == frozenset(
        {Category.IDENTITY, Category.JUSTICE})
    with pytest.raises((NotFound, NotAllowed)):
        policy.case_for(people.police_officer, pk=justice_case.pk, perm=Perm.EDIT)


def test_every_justice_read_and_write_is_audited(people, justice_case, jakarta, login):
    client = login(people.police_officer)
    start = AuditEntry.objects.count()
    client.get(f"/justice/cases/{justice_case.pk}/")
    view = AuditEntry.objects.filter(seq__gt=start).get()
    assert (view.action, view.object_type, view.actor_id, view.case_id) == (
        "view", "justice_record", people.police_officer.pk, justice_case.pk)
    client.get("/justice/deprived-of-liberty/")
    listing = AuditEntry.objects.filter(object_type="deprived_of_liberty").get()
    assert listing.action == "list"
    services.justice_event_record(actor=people.police_officer, case_id=justice_case.pk,
                                  data={"kind": "arrest", "at": iso(ago(hours=4))})
    episode = services.detention_open(actor=people.police_officer, case_id=justice_case.pk,
                                      data=episode_data(jakarta, ago(hours=3)))
    services.detention_release(actor=people.police_officer, episode_id=episode.pk,
                               released_at=iso(ago(hours=1)))
    kinds = list(AuditEntry.objects.filter(actor=people.police_officer).values_list(
        "action", "object_type"))
    assert ("create", "justice_event") in kinds
    assert ("create", "detention_episode") in kinds
    assert ("update", "detention_episode") in kinds


def test_only_those_who_may_see_the_case_page_get_a_link_to_it(people, justice_case, login):
    link = f'href="/cases/{justice_case.pk}/"'
    assert link not in login(people.police_officer).get(
        f"/justice/cases/{justice_case.pk}/").content.decode()
    assert link in login(people.supervisor).get(
        f"/justice/cases/{justice_case.pk}/").content.decode()


def test_notifications_page_shows_ones_own_and_is_audited(people, justice_case, jakarta,
                                                          login):
    services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                            data=episode_data(jakarta, ago(days=1),
                                              separated_from_adults="no"))
    assert m.Notification.objects.filter(recipient=people.police_officer).exists()
    body = login(people.police_officer).get("/justice/notifications/").content.decode()
    assert "Held with adults" in body and justice_case.case_number in body
    assert AuditEntry.objects.filter(object_type="safeguard_notifications",
                                     actor=people.police_officer).exists()
    # Once the link ends, the notification about that case is no longer shown.
    link = m.JusticeInvolvement.objects.get(case=justice_case, agency=people.agency_police)
    services.justice_involvement_end(actor=people.supervisor, involvement_id=link.pk)
    body = login(people.police_officer).get("/justice/notifications/").content.decode()
    assert justice_case.case_number not in body
    assert "Held with adults" not in login(people.outsider).get(
        "/justice/notifications/").content.decode()
