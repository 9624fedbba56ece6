"""Justice services: each bad input is refused with a clear field message and stores
nothing; good input is stored with its case event, audit entry and evaluation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.cases.models import CaseEvent
from bridgeway.core.errors import Conflict, NotAllowed, ValidationFailed
from bridgeway.justice import models as m
from bridgeway.justice import services
from tests.justice.conftest import ago, episode_data, iso

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {"events": m.JusticeEvent.objects.count(),
            "episodes": m.DetentionEpisode.objects.count(),
            "case_events": CaseEvent.objects.count(), "audit": AuditEntry.objects.count(),
            "alerts": m.SafeguardAlert.objects.count(),
            "evaluations": m.SafeguardEvaluation.objects.count()}


def refused(fn: Any, field: str, contains: str = "") -> ValidationFailed:
    """Run ``fn``, expect ValidationFailed naming ``field``, and nothing stored."""
    before = counts()
    with pytest.raises(ValidationFailed) as exc:
        fn()
    assert field in exc.value.errors, exc.value.errors
    if contains:
        assert contains in " ".join(exc.value.errors[field]), exc.value.errors
    assert counts() == before
    return exc.value


# ------------------------------------------------------------------ good input


def test_open_episode_stores_utc_event_audit_and_evaluation(people, justice_case, jakarta):
    admitted = ago(hours=5)
    episode = services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                                      data=episode_data(jakarta, admitted))
    episode.refresh_from_db()
    assert episode.admitted_at == admitted
    assert episode.recorded_by == people.caseworker
    assert CaseEvent.objects.filter(case=justice_case, kind="detention_opened").exists()
    entry = AuditEntry.objects.filter(object_type="detention_episode").get()
    assert (entry.action, entry.case_id, entry.object_id) == ("create", justice_case.pk,
                                                              str(episode.pk))
    evaluation = m.SafeguardEvaluation.objects.get(case=justice_case)
    assert evaluation.needs_attention and evaluation.held_since == admitted
    assert evaluation.violations == []
    # The facility's detention agency is now involved (it runs the place).
    assert m.JusticeInvolvement.objects.filter(case=justice_case,
                                               agency=jakarta.agency).exists()


def test_record_event_by_involved_police_officer(people, justice_case):
    event = services.justice_event_record(
        actor=people.police_officer, case_id=justice_case.pk,
        data={"kind": "arrest", "at": iso(ago(hours=2)), "authority": "Polres",
              "parent_notified_at": iso(ago(hours=1)), "time_zone": "Asia/Jakarta"})
    assert event.recording_agency == people.agency_police
    assert AuditEntry.objects.filter(object_type="justice_event", action="create",
                                     actor=people.police_officer).exists()


def test_transfer_closes_and_opens_at_the_same_instant(people, justice_case, jakarta,
                                                       jayapura):
    first = services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                                    data=episode_data(jakarta, ago(days=3)))
    moment = ago(days=1)
    new = services.detention_transfer(actor=people.caseworker, episode_id=first.pk,
                                      data={"at": iso(moment), "facility": jayapura.pk,
                                            "separated_from_adults": "yes",
                                            "family_notified_at": iso(moment)})
    first.refresh_from_db()
    assert first.released_at == moment == new.admitted_at
    assert new.transferred_from_id == first.pk and new.released_at is None
    # The legal basis and its justification are carried over.
    assert new.commitment_order_ref == first.commitment_order_ref
    assert new.alternatives_considered == first.alternatives_considered
    assert new.kind == first.kind


def test_release_closes_the_episode(people, justice_case, jakarta):
    episode = services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                                      data=episode_data(jakarta, ago(days=2)))
    at = ago(hours=1)
    services.detention_release(actor=people.police_officer, episode_id=episode.pk,
                               released_at=iso(at), note="bail")
    episode.refresh_from_db()
    assert episode.released_at == at and episode.version == 2


# ------------------------------------------------------------------- bad input


def test_release_before_admission_is_refused(people, justice_case, jakarta):
    episode = services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                                      data=episode_data(jakarta, ago(days=2)))
    refused(lambda: services.detention_release(actor=people.caseworker, episode_id=episode.pk,
                                               released_at=iso(ago(days=3))),
            "released_at", "before admission")
    episode.refresh_from_db()
    assert episode.released_at is None


def test_release_before_admission_in_one_entry_is_refused(people, justice_case, jakarta):
    refused(lambda: services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data=episode_data(jakarta, ago(days=2), released_at=iso(ago(days=3)))),
        "released_at", "before admission")


def test_overlapping_episodes_in_two_facilities_are_refused(people, justice_case, jakarta,
                                                            jayapura):
    services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                            data=episode_data(jakarta, ago(days=5)))
    refused(lambda: services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data=episode_data(jayapura, ago(days=1), kind="police_custody")),
        "admitted_at", "two places at once")


def test_overlap_with_a_closed_stay_is_refused_but_adjacent_is_fine(people, justice_case,
                                                                    jakarta, jayapura):
    services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                            data=episode_data(jakarta, ago(days=10),
                                              released_at=iso(ago(days=6))))
    # An open stay that began before the closed one ended.
    refused(lambda: services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data=episode_data(jayapura, ago(days=7))), "admitted_at")
    # An open stay that began earlier still runs across it.
    refused(lambda: services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data=episode_data(jayapura, ago(days=12))), "admitted_at")
    # Admission at the very instant of the release: not an overlap (half-open intervals).
    closed = m.DetentionEpisode.objects.get()
    services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                            data=episode_data(jayapura, closed.released_at))
    assert m.DetentionEpisode.objects.count() == 2


def test_overlap_across_the_childs_cases_does_not_leak_details(people, justice_case,
                                                               jakarta, jayapura):
    from django.utils import timezone

    from bridgeway.cases.services import CaseFields, case_open
    from bridgeway.justice.services import justice_involvement_add

    services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                            data=episode_data(jakarta, ago(days=5)))
    # The same child has a case in agency B too, which cannot see agency A's case.
    other = case_open(actor=people.outsider_supervisor, child=justice_case.child,
                      fields=CaseFields(), opened_at=timezone.now())
    justice_involvement_add(actor=people.outsider_supervisor, case_id=other.pk,
                            agency_id=people.agency_police.pk)
    error = refused(lambda: services.detention_open(
        actor=people.outsider_supervisor, case_id=other.pk,
        data=episode_data(jayapura, ago(days=1))), "admitted_at", "elsewhere")
    assert "LPKA" not in str(error.errors)


def test_events_and_admissions_in_the_future_are_refused(people, justice_case, jakarta):
    refused(lambda: services.justice_event_record(
        actor=people.caseworker, case_id=justice_case.pk,
        data={"kind": "arrest", "at": iso(ago(hours=-2))}), "at", "future")
    refused(lambda: services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data=episode_data(jakarta, ago(hours=-2))), "admitted_at", "future")
    episode = services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                                      data=episode_data(jakarta, ago(days=1)))
    refused(lambda: services.detention_release(actor=people.caseworker, episode_id=episode.pk,
                                               released_at=iso(ago(hours=-1))),
            "released_at", "future")


EPISODE_KINDS = ("police_custody", "pretrial", "sentence", "administrative", "immigration",
                 "security", "closed_rehabilitation")


@pytest.mark.parametrize("kind", EPISODE_KINDS)
def test_episode_without_commitment_order_is_refused_whatever_its_kind(
        people, justice_case, jakarta, kind):
    """Issue 4: "commitment order reference (no episode without one)": police custody too
    (the custody order or record the child is held under). Blank, spaces or absent."""
    for ref in ("", "   ", None):
        data = episode_data(jakarta, ago(days=1), kind=kind, commitment_order_ref=ref)
        refused(lambda data=data: services.detention_open(
            actor=people.police_officer, case_id=justice_case.pk, data=data),
            "commitment_order_ref", "commitment order")
    data = episode_data(jakarta, ago(days=1), kind=kind)
    del data["commitment_order_ref"]
    refused(lambda: services.detention_open(actor=people.police_officer,
                                            case_id=justice_case.pk, data=data),
            "commitment_order_ref", "commitment order")
    assert not m.JusticeInvolvement.objects.filter(case=justice_case,
                                                   agency=jakarta.agency).exists()


def test_police_custody_with_its_custody_record_is_admitted(people, justice_case, jayapura):
    episode = services.detention_open(
        actor=people.police_officer, case_id=justice_case.pk,
        data=episode_data(jayapura, ago(hours=3), kind="police_custody",
                          commitment_order_ref=" POLRES/CUSTODY/031 "))
    episode.refresh_from_db()
    assert episode.commitment_order_ref == "POLRES/CUSTODY/031"
    codes = {v["code"] for v in m.SafeguardEvaluation.objects.get(case=justice_case).violations}
    assert "no_commitment_order" not in codes


def test_correction_cannot_blank_the_commitment_order(people, justice_case, jakarta):
    episode = services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                                      data=episode_data(jakarta, ago(days=1)))
    for blank in ("", "  "):
        refused(lambda blank=blank: services.detention_correct(
            actor=people.caseworker, episode_id=episode.pk, expected_version=episode.version,
            changes={"commitment_order_ref": blank}, reason="typo"),
            "commitment_order_ref", "commitment order")
    episode.refresh_from_db()
    assert (episode.commitment_order_ref, episode.version) == ("PN-2025-17", 1)


def _legacy_police_custody(people: Any, case: Any, facility: Any) -> m.DetentionEpisode:
    """An entry recorded before every episode needed an order (the service now refuses
    it, so it is written as the old code wrote it, to stand for existing rows)."""
    return m.DetentionEpisode.objects.create(
        case=case, kind="police_custody", facility=facility, commitment_order_ref="",
        admitted_at=ago(hours=10), recorded_by=people.police_officer,
        recorded_at=ago(hours=10), last_resort_justification="no other place",
        alternatives_considered=["release to parents"], separated_from_adults="yes")


def test_transfer_needs_an_order_for_the_new_episode(people, justice_case, jakarta, jayapura):
    legacy = _legacy_police_custody(people, justice_case, jayapura)
    for given in ({}, {"commitment_order_ref": "   "}):
        refused(lambda given=given: services.detention_transfer(
            actor=people.police_officer, episode_id=legacy.pk,
            data={"at": iso(ago(hours=2)), "facility": jakarta.pk, "kind": "pretrial",
                  **given}), "commitment_order_ref", "commitment order")
    legacy.refresh_from_db()
    assert legacy.released_at is None
    new = services.detention_transfer(
        actor=people.police_officer, episode_id=legacy.pk,
        data={"at": iso(ago(hours=2)), "facility": jakarta.pk, "kind": "pretrial",
              "commitment_order_ref": "PN-2025-18"})
    assert new.commitment_order_ref == "PN-2025-18"


def test_an_old_entry_without_order_is_flagged_and_can_still_be_released(
        people, justice_case, jayapura):
    legacy = _legacy_police_custody(people, justice_case, jayapura)
    services.detention_release(actor=people.police_officer, episode_id=legacy.pk,
                               released_at=iso(ago(hours=1)))
    legacy.refresh_from_db()
    assert legacy.released_at is not None
    codes = {v["code"] for v in m.SafeguardEvaluation.objects.get(case=justice_case).violations}
    assert "no_commitment_order" in codes
    # Correcting it is how the register is put right: the order must then be given.
    refused(lambda: services.detention_correct(
        actor=people.police_officer, episode_id=legacy.pk, expected_version=legacy.version,
        changes={"separated_from_adults": "yes"}, reason="checked"),
        "commitment_order_ref", "commitment order")
    services.detention_correct(actor=people.police_officer, episode_id=legacy.pk,
                               expected_version=legacy.version,
                               changes={"commitment_order_ref": "POLRES/CUSTODY/030"},
                               reason="custody record found")
    codes = {v["code"] for v in m.SafeguardEvaluation.objects.get(case=justice_case).violations}
    assert "no_commitment_order" not in codes


def test_naive_datetimes_are_refused(people, justice_case, jakarta):
    naive = datetime.now() - timedelta(hours=3)
    refused(lambda: services.justice_event_record(
        actor=people.caseworker, case_id=justice_case.pk,
        data={"kind": "arrest", "at": naive.isoformat()}), "at", "time zone")
    refused(lambda: services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data=episode_data(jakarta, ago(hours=3), admitted_at=naive)), "admitted_at",
        "time zone")
    refused(lambda: services.justice_event_record(
        actor=people.caseworker, case_id=justice_case.pk,
        data={"kind": "arrest", "at": iso(ago(hours=3)),
              "parent_notified_at": "2025-03-01T08:00"}), "parent_notified_at")


def test_unknown_or_inactive_facility_is_refused(people, justice_case, jakarta):
    refused(lambda: services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data={**episode_data(jakarta, ago(hours=3)), "facility": 999_999}),
        "facility", "Unknown facility")
    m.Facility.objects.filter(pk=jakarta.pk).update(active=False)
    refused(lambda: services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data=episode_data(jakarta, ago(hours=3))), "facility")
    refused(lambda: services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data={**episode_data(jakarta, ago(hours=3)), "facility": "abc"}), "facility")


def test_several_problems_are_reported_together(people, justice_case, jakarta):
    error = refused(lambda: services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data={"kind": "prison", "facility": "", "admitted_at": ""}), "kind")
    assert {"kind", "facility", "admitted_at"} <= set(error.errors)


def test_transfer_bad_input(people, justice_case, jakarta, jayapura):
    first = services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                                    data=episode_data(jakarta, ago(days=3)))
    refused(lambda: services.detention_transfer(
        actor=people.caseworker, episode_id=first.pk,
        data={"at": iso(ago(days=4)), "facility": jayapura.pk}), "at", "before the admission")
    refused(lambda: services.detention_transfer(
        actor=people.caseworker, episode_id=first.pk,
        data={"at": iso(ago(days=1)), "facility": jakarta.pk}), "facility",
        "another facility")
    refused(lambda: services.detention_transfer(
        actor=people.caseworker, episode_id=first.pk,
        data={"at": iso(ago(days=1)), "facility": 424242}), "facility")
    refused(lambda: services.detention_transfer(
        actor=people.caseworker, episode_id=first.pk,
        data={"at": iso(ago(hours=-3)), "facility": jayapura.pk}), "at", "future")


def test_release_of_a_closed_episode_is_refused(people, justice_case, jakarta):
    episode = services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data=episode_data(jakarta, ago(days=3), released_at=iso(ago(days=2))))
    refused(lambda: services.detention_release(actor=people.caseworker, episode_id=episode.pk,
                                               released_at=iso(ago(days=1))), "__all__",
            "already closed")


def test_diversion_type_must_exist_in_the_jurisdiction(people, justice_case):
    refused(lambda: services.justice_event_record(
        actor=people.caseworker, case_id=justice_case.pk,
        data={"kind": "diversion_offered", "at": iso(ago(days=1))}), "diversion_type")
    refused(lambda: services.justice_event_record(
        actor=people.caseworker, case_id=justice_case.pk,
        data={"kind": "diversion_offered", "at": iso(ago(days=1)),
              "diversion_type": "boot_camp"}), "diversion_type", "jurisdiction")
    services.justice_event_record(
        actor=people.caseworker, case_id=justice_case.pk,
        data={"kind": "diversion_offered", "at": iso(ago(days=1)),
              "diversion_type": "restorative_justice"})


def test_event_cross_field_checks(people, justice_case):
    refused(lambda: services.justice_event_record(
        actor=people.caseworker, case_id=justice_case.pk,
        data={"kind": "arrest", "at": iso(ago(days=1)),
              "parent_notified_at": iso(ago(days=2))}), "parent_notified_at", "before")
    refused(lambda: services.justice_event_record(
        actor=people.caseworker, case_id=justice_case.pk,
        data={"kind": "charge", "at": iso(ago(days=3)),
              "alleged_offence_on": ago(days=1).date().isoformat()}), "alleged_offence_on")
    refused(lambda: services.justice_event_record(
        actor=people.caseworker, case_id=justice_case.pk,
        data={"kind": "hrearing", "at": iso(ago(days=1))}), "kind")


# ----------------------------------------------------------------- corrections


def test_episode_correction_revalidates_and_keeps_the_reason(people, justice_case, jakarta):
    episode = services.detention_open(
        actor=people.caseworker, case_id=justice_case.pk,
        data=episode_data(jakarta, ago(days=3), separated_from_adults="no"))
    assert m.SafeguardAlert.objects.filter(code="held_with_adults", status="open").exists()
    refused(lambda: services.detention_correct(
        actor=people.caseworker, episode_id=episode.pk, expected_version=1,
        changes={"released_at": iso(ago(days=4))}, reason="typo"), "released_at")
    refused(lambda: services.detention_correct(
        actor=people.caseworker, episode_id=episode.pk, expected_version=1,
        changes={"separated_from_adults": "yes"}, reason=""), "reason")
    services.detention_correct(actor=people.caseworker, episode_id=episode.pk,
                               expected_version=1, changes={"separated_from_adults": "yes"},
                               reason="the register was wrong: separate wing since admission")
    entry = AuditEntry.objects.filter(object_type="detention_episode", action="update").get()
    assert entry.detail == {"fields": ["separated_from_adults"]}
    assert entry.reason.startswith("the register was wrong")
    alert = m.SafeguardAlert.objects.get(code="held_with_adults")
    assert alert.status == "resolved"
    with pytest.raises(Conflict):
        services.detention_correct(actor=people.caseworker, episode_id=episode.pk,
                                   expected_version=1, changes={"reason": "x"}, reason="y")


def test_event_correction(people, justice_case):
    event = services.justice_event_record(actor=people.caseworker, case_id=justice_case.pk,
                                          data={"kind": "hearing", "at": iso(ago(days=1))})
    corrected = services.justice_event_correct(
        actor=people.police_officer, event_id=event.pk, expected_version=1,
        changes={"legal_representation_present": "yes"}, reason="counsel was present")
    assert corrected.legal_representation_present is True and corrected.version == 2
    refused(lambda: services.justice_event_correct(
        actor=people.caseworker, event_id=event.pk, expected_version=2,
        changes={"colour": "blue"}, reason="x"), "__all__", "colour")


# ----------------------------------------------------------------- who records


def test_only_the_owning_agency_links_justice_agencies(people, justice_case):
    from bridgeway.core.errors import NotFound
    from bridgeway.justice.services import justice_involvement_add

    # The involved police officer sees the case but may not widen who else sees it.
    with pytest.raises(NotAllowed):
        justice_involvement_add(actor=people.police_officer, case_id=justice_case.pk,
                                agency_id=people.agency_police.pk)
    with pytest.raises(NotFound):
        justice_involvement_add(actor=people.outsider, case_id=justice_case.pk,
                                agency_id=people.agency_police.pk)


def test_linking_refuses_non_justice_and_foreign_agencies(people, register):
    from bridgeway.accounts.models import Agency
    from bridgeway.justice.services import justice_involvement_add

    case = register()
    refused(lambda: justice_involvement_add(actor=people.caseworker, case_id=case.pk,
                                            agency_id=people.agency_health.pk),
            "agency", "Not a justice agency")
    foreign = Agency.objects.create(code="police-ph", name="PNP", sector="police",
                                    country="PH")
    refused(lambda: justice_involvement_add(actor=people.caseworker, case_id=case.pk,
                                            agency_id=foreign.pk), "agency", "jurisdiction")
    link = justice_involvement_add(actor=people.caseworker, case_id=case.pk,
                                   agency_id=people.agency_police.pk)
    again = justice_involvement_add(actor=people.supervisor, case_id=case.pk,
                                    agency_id=people.agency_police.pk)
    assert link.pk == again.pk


def test_closed_case_caseworker_may_not_record(people, justice_case, jakarta):
    from bridgeway.cases.models import Case

    Case.objects.filter(pk=justice_case.pk).update(status="closed")
    with pytest.raises(NotAllowed):
        services.detention_open(actor=people.caseworker, case_id=justice_case.pk,
                                data=episode_data(jakarta, ago(hours=3)))
