"""Referrals: consent is required, the receiving agency sees exactly what was granted for
as long as it was granted, and nothing before it accepts or after access ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.access.policy import Category, Perm
from bridgeway.audit.models import AuditEntry
from bridgeway.core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.referrals import selectors as sel
from bridgeway.referrals import services as svc
from bridgeway.referrals.models import Notification, ReferralStatus
from tests.referrals.conftest import (
    MARK_ASSOC,
    MARK_FAMILY,
    MARK_OFFENCE,
    MARK_PHONE,
    child_consent,
    make_referral,
)

pytestmark = pytest.mark.django_db

HEALTH_SCOPE = ["identity", "health", "psychosocial"]


def sees(user, case) -> bool:
    return policy.cases_visible_to(user).filter(pk=case.pk).exists()


@pytest.fixture
def consent(people, sensitive_case):
    return child_consent(people.caseworker, sensitive_case, people.agency_health, HEALTH_SCOPE)


@pytest.fixture
def referral(people, sensitive_case, consent):
    return make_referral(people.caseworker, sensitive_case, consent, ["identity", "health"])


def accepted(people, referral, actor=None):
    return svc.referral_accept(actor=actor or people.health_worker, referral_id=referral.pk)


# --- making a referral -------------------------------------------------------------------------

def test_referral_without_consent_is_refused(people, sensitive_case):
    with pytest.raises(ValidationFailed) as exc:
        svc.referral_create(actor=people.caseworker, case_id=sensitive_case.pk,
                            data=svc.ReferralInput(consent_id=None, categories=["health"],
                                                   purpose="care",
                                                   receiving_agency_id=people.agency_health.pk))
    assert "consent" in exc.value.errors["consent_id"][0]
    assert not sensitive_case.referrals.exists()


def test_consent_of_another_case_or_for_a_transfer_does_not_count(people, register,
                                                                  sensitive_case):
    other = register(actor=people.caseworker, names=[{"kind": "given", "value": "Lain"}])
    foreign = child_consent(people.caseworker, other, people.agency_health, ["health"])
    with pytest.raises(ValidationFailed) as exc:
        make_referral(people.caseworker, sensitive_case, foreign, ["health"])
    assert exc.value.errors["consent_id"] == ["No such consent for this case."]
    transfer_consent = child_consent(people.supervisor, sensitive_case, people.agency_b,
                                     None, kind="transfer")
    with pytest.raises(ValidationFailed) as kind:
        make_referral(people.caseworker, sensitive_case, transfer_consent, ["identity"])
    assert "transfer" in kind.value.errors["consent_id"][0]


def test_categories_beyond_the_consent_or_another_receiver_are_refused(people, sensitive_case,
                                                                      consent):
    with pytest.raises(ValidationFailed) as exc:
        make_referral(people.caseworker, sensitive_case, consent, ["health", "family"])
    assert "family" in exc.value.errors["categories"][0]
    with pytest.raises(ValidationFailed) as receiver:
        make_referral(people.caseworker, sensitive_case, consent, ["health"],
                      receiving_agency_id=people.agency_b.pk)
    assert "does not cover" in receiver.value.errors["receiving_agency_id"][0]
    with pytest.raises(ValidationFailed) as later:
        make_referral(people.caseworker, sensitive_case, consent, ["health"],
                      access_until=(consent.valid_until + timedelta(days=1)).isoformat())
    assert "access_until" in later.value.errors


def test_withdrawn_consent_cannot_back_a_new_referral(people, sensitive_case, consent):
    svc.consent_withdraw(actor=people.caseworker, consent_id=consent.pk, reason="changed mind")
    with pytest.raises(ValidationFailed) as exc:
        make_referral(people.caseworker, sensitive_case, consent, ["health"])
    assert "withdrawn" in exc.value.errors["consent_id"][0]


def test_only_the_owning_agency_refers(people, sensitive_case, consent):
    for actor in (people.outsider_supervisor, people.health_worker, people.police_officer):
        with pytest.raises(NotFound):
            make_referral(actor, sensitive_case, consent, ["health"])
    assert not sensitive_case.referrals.exists()


def test_referral_notifies_the_receiving_supervisors_without_child_data(people, more,
                                                                       referral):
    notes = Notification.objects.filter(kind="referral_received")
    assert {n.recipient for n in notes} == {more.health_supervisor}
    for note in notes:
        assert "Aisyah" not in note.message and MARK_FAMILY not in note.message
    assert AuditEntry.objects.filter(object_type="referral", action="create").count() == 1


def test_referral_to_a_named_service_outside_bridgeway_grants_nobody(people, sensitive_case,
                                                                    more):
    consent = child_consent(people.caseworker, sensitive_case, None, ["identity", "health"],
                            receiving_service="Dr Rahma's clinic")
    referral = make_referral(people.caseworker, sensitive_case, consent, ["health"],
                             service_name="dr rahma's clinic")
    assert referral.receiving_agency is None and referral.service_name == "dr rahma's clinic"
    for user in (people.health_worker, more.health_supervisor, people.outsider_supervisor):
        assert not sees(user, sensitive_case)


def _plan_actions(case):
    from bridgeway.care.selectors import current_goals

    return [a for g in current_goals(case.pk) for a in g.actions.all()]


def test_referral_from_a_service_line_of_the_plan(people, register, sensitive_case, consent,
                                                   fill):
    """A referral may name the plan's service line it delivers: an action of the child's
    plan in force (by its lineage id, kept across plan versions) — anything else is a field
    error and nothing is stored."""
    from bridgeway.referrals.models import Referral

    fill("bw_psychosocial_assessment", sensitive_case)
    fill("bw_reintegration_plan", sensitive_case)
    line = _plan_actions(sensitive_case)[0]
    other = register(actor=people.caseworker, date_of_birth="2012-01-01")
    fill("bw_psychosocial_assessment", other)
    fill("bw_reintegration_plan", other)
    foreign = _plan_actions(other)[0]
    for bad in ("plan-7:svc-2", "0", str(10**9), str(foreign.lineage_id), "-1", " 1x"):
        with pytest.raises(ValidationFailed) as caught:
            make_referral(people.caseworker, sensitive_case, consent, ["health"],
                          plan_action_id=bad)
        assert list(caught.value.errors) == ["plan_action_id"], bad
    assert not Referral.objects.exists()
    referral = make_referral(people.caseworker, sensitive_case, consent, ["health"],
                             plan_action_id=str(line.lineage_id))
    assert referral.plan_action_id == str(line.lineage_id)


# --- the receiving side --------------------------------------------------------------------------

def test_pending_referral_shows_no_child_data_and_no_case(people, more, sensitive_case,
                                                          referral):
    for user in (people.health_worker, more.health_supervisor):
        assert not sees(user, sensitive_case)
        with pytest.raises(NotFound):
            policy.case_for(user, pk=sensitive_case.pk)
        incoming = sel.referrals_incoming(actor=user)
        assert [r.id for r in incoming] == [referral.pk]
        assert incoming[0].case_number is None
        assert MARK_FAMILY not in repr(incoming) and "Aisyah" not in repr(incoming)


def test_accept_gives_exactly_the_granted_categories(people, more, sensitive_case, referral):
    accepted(people, referral)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.assigned_to == people.health_worker
    for user in (people.health_worker, more.health_supervisor):
        assert sees(user, sensitive_case)
        assert policy.categories_for(user, sensitive_case) == {Category.IDENTITY,
                                                               Category.HEALTH}
        assert policy.perms_for(user, sensitive_case) == {Perm.VIEW}
        with pytest.raises(NotAllowed):
            policy.case_for(user, pk=sensitive_case.pk, perm=Perm.EDIT)
    # another caseworker of the clinic, not assigned, sees nothing
    assert not sees(more.health_worker_2, sensitive_case)
    assert policy.categories_for(more.health_worker_2, sensitive_case) == frozenset()


def test_a_receiving_user_cannot_read_a_category_not_granted(people, sensitive_case, referral):
    accepted(people, referral)
    record = sel.shared_case_record(actor=people.health_worker, case_id=sensitive_case.pk)
    assert record.categories == {Category.IDENTITY, Category.HEALTH}
    assert set(record.sections) == {Category.IDENTITY}  # health detail lives in forms
    assert record.via == (f"referral:{referral.pk}",)
    dumped = repr(record)
    for marker in (MARK_FAMILY, MARK_PHONE, MARK_ASSOC, MARK_OFFENCE):
        assert marker not in dumped
    assert "Aisyah" in dumped  # identity was granted
    # the owner's supervisor, for contrast, sees every section with the markers
    full = repr(sel.shared_case_record(actor=people.supervisor, case_id=sensitive_case.pk))
    for marker in (MARK_FAMILY, MARK_PHONE, MARK_ASSOC, MARK_OFFENCE):
        assert marker in full
    # the owner-only consent records stay with the owner
    with pytest.raises(NotAllowed):
        sel.consents_for_case(actor=people.health_worker, case_id=sensitive_case.pk)
    entry = AuditEntry.objects.filter(actor=people.health_worker, action="view").last()
    assert entry.detail["categories"] == ["health", "identity"]


def test_accepting_twice_is_a_clear_error(people, more, referral):
    accepted(people, referral)
    with pytest.raises(DomainError, match="already accepted"):
        accepted(people, referral, actor=more.health_supervisor)
    with pytest.raises(DomainError, match="already accepted"):
        svc.referral_decline(actor=more.health_supervisor, referral_id=referral.pk,
                             reason="too late")


def test_ids_guessed_across_agencies_are_not_found(people, more, sensitive_case, referral):
    for actor in (people.police_officer, people.outsider_supervisor, more.teacher,
                  people.auditor):
        for call in (
            lambda a: svc.referral_accept(actor=a, referral_id=referral.pk),
            lambda a: svc.referral_decline(actor=a, referral_id=referral.pk, reason="x"),
            lambda a: sel.referral_detail(actor=a, referral_id=referral.pk),
            lambda a: svc.referral_withdraw(actor=a, referral_id=referral.pk, reason="x"),
            lambda a: sel.shared_case_record(actor=a, case_id=sensitive_case.pk),
        ):
            with pytest.raises(NotFound):
                call(actor)
    for bad in (10**9, "abc", None, True, 1.5):
        with pytest.raises(NotFound):
            svc.referral_accept(actor=people.health_worker, referral_id=bad)


def test_supervisor_accepts_and_assigns_a_caseworker(people, more, sensitive_case, referral):
    with pytest.raises(NotAllowed):
        svc.referral_accept(actor=people.health_worker, referral_id=referral.pk,
                            assign_to_id=more.health_worker_2.pk)
    with pytest.raises(ValidationFailed):
        svc.referral_accept(actor=more.health_supervisor, referral_id=referral.pk,
                            assign_to_id=people.caseworker.pk)  # not of this agency
    svc.referral_accept(actor=more.health_supervisor, referral_id=referral.pk,
                        assign_to_id=more.health_worker_2.pk)
    assert sees(more.health_worker_2, sensitive_case)
    assert not sees(people.health_worker, sensitive_case)
    svc.referral_assign(actor=more.health_supervisor, referral_id=referral.pk,
                        user_id=people.health_worker.pk)
    assert sees(people.health_worker, sensitive_case)
    assert not sees(more.health_worker_2, sensitive_case)


def test_decline_needs_a_reason_and_grants_nothing(people, more, sensitive_case, referral):
    with pytest.raises(ValidationFailed):
        svc.referral_decline(actor=more.health_supervisor, referral_id=referral.pk, reason="")
    svc.referral_decline(actor=more.health_supervisor, referral_id=referral.pk,
                         reason="No capacity this month.")
    assert not sees(more.health_supervisor, sensitive_case)
    with pytest.raises(DomainError, match="declined"):
        accepted(people, referral)
    assert Notification.objects.filter(kind="referral_declined",
                                       recipient=people.caseworker).exists()


def test_service_report_and_close(people, more, sensitive_case, referral):
    with pytest.raises(DomainError):  # not accepted yet
        svc.referral_report_service(actor=more.health_supervisor, referral_id=referral.pk,
                                    service_type="check-up", delivered_on=None, outcome="ok")
    accepted(people, referral)
    with pytest.raises(NotAllowed):
        svc.referral_report_service(actor=more.health_worker_2, referral_id=referral.pk,
                                    service_type="check-up",
                                    delivered_on=timezone.localdate(), outcome="ok")
    with pytest.raises(ValidationFailed) as bad:
        svc.referral_report_service(actor=people.health_worker, referral_id=referral.pk,
                                    service_type="", delivered_on="2999-01-01", outcome="")
    assert {"service_type", "delivered_on", "outcome"} <= set(bad.value.errors)
    with pytest.raises(ValidationFailed):  # nothing reported: closing needs a note
        svc.referral_close(actor=people.health_worker, referral_id=referral.pk)
    report = svc.referral_report_service(actor=people.health_worker, referral_id=referral.pk,
                                         service_type="Medical check-up",
                                         delivered_on=timezone.localdate(),
                                         outcome="Healthy; follow-up in 3 months.")
    assert report.referral_id == referral.pk
    detail = sel.referral_detail(actor=people.caseworker, referral_id=referral.pk)
    assert [r.service_type for r in detail.service_reports] == ["Medical check-up"]
    assert detail.may_withdraw and not detail.may_accept
    svc.referral_close(actor=people.health_worker, referral_id=referral.pk)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED
    assert not sees(people.health_worker, sensitive_case)
    with pytest.raises(NotFound):
        policy.case_for(people.health_worker, pk=sensitive_case.pk)


def test_withdrawn_consent_ends_access_at_once(people, more, sensitive_case, consent,
                                               referral):
    accepted(people, referral)
    assert sees(people.health_worker, sensitive_case)
    svc.consent_withdraw(actor=people.caseworker, consent_id=consent.pk,
                         reason="The child no longer agrees.")
    for user in (people.health_worker, more.health_supervisor):
        assert not sees(user, sensitive_case)
        assert policy.categories_for(user, sensitive_case) == frozenset()
        with pytest.raises(NotFound):
            sel.shared_case_record(actor=user, case_id=sensitive_case.pk)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WITHDRAWN
    assert Notification.objects.filter(kind="referral_withdrawn",
                                       recipient=people.health_worker).exists()
    with pytest.raises(DomainError):
        svc.referral_report_service(actor=people.health_worker, referral_id=referral.pk,
                                    service_type="x", delivered_on=timezone.localdate(),
                                    outcome="x")


def test_the_child_may_withdraw_through_the_receiving_agency(people, sensitive_case, consent,
                                                              referral):
    accepted(people, referral)
    svc.consent_withdraw(actor=people.health_worker, consent_id=consent.pk,
                         reason="Told the nurse she wants to stop.")
    assert not sees(people.health_worker, sensitive_case)
    assert sensitive_case.tasks.filter(source_key=f"consent_withdrawal:{consent.pk}").exists()


def test_referring_agency_withdraws_the_referral(people, sensitive_case, referral):
    accepted(people, referral)
    with pytest.raises(NotAllowed):  # the receiver sees the case but does not own it
        svc.referral_withdraw(actor=people.health_worker, referral_id=referral.pk,
                              reason="x")
    svc.referral_withdraw(actor=people.caseworker, referral_id=referral.pk,
                          reason="Service no longer needed.")
    assert not sees(people.health_worker, sensitive_case)
    with pytest.raises(DomainError, match="withdrawn"):
        svc.referral_withdraw(actor=people.caseworker, referral_id=referral.pk, reason="x")


def test_access_ends_when_the_period_ends_even_before_the_sweep(people, sensitive_case,
                                                                consent, clock):
    referral = make_referral(people.caseworker, sensitive_case, consent, ["health"],
                             access_until=(timezone.localdate() + timedelta(days=5))
                             .isoformat())
    accepted(people, referral)
    clock.advance(days=5)
    assert sees(people.health_worker, sensitive_case)  # the last day is included
    clock.advance(days=1)
    assert not sees(people.health_worker, sensitive_case)
    assert policy.categories_for(people.health_worker, sensitive_case) == frozenset()
    first = svc.referrals_sweep()
    second = svc.referrals_sweep()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.EXPIRED
    assert (first.expired, second.expired) == (1, 0)


def test_consent_expiry_ends_access(people, sensitive_case, consent, referral, clock):
    accepted(people, referral)
    clock.advance(days=(consent.valid_until - timezone.localdate()).days + 1)
    assert not sees(people.health_worker, sensitive_case)


def test_overdue_response_becomes_a_task_and_goes_when_answered(people, more,
                                                                sensitive_case, referral,
                                                                clock):
    key = f"referral_response:{referral.pk}"
    assert not sensitive_case.tasks.filter(source_key=key).exists()
    clock.advance(hours=71)
    svc.referrals_sweep()
    assert not sensitive_case.tasks.filter(source_key=key).exists()
    clock.advance(hours=2)
    svc.referrals_sweep()
    svc.referrals_sweep()  # idempotent
    task = sensitive_case.tasks.get(source_key=key)
    assert task.status == "open" and task.due_at == referral.respond_by
    assert task.assigned_to == people.caseworker
    svc.referral_accept(actor=more.health_supervisor, referral_id=referral.pk)
    task.refresh_from_db()
    assert task.status == "done"


def test_response_deadline_is_configurable(people, sensitive_case, consent, settings):
    settings.BRIDGEWAY_REFERRAL_RESPONSE_HOURS = 24
    before = timezone.now()
    referral = make_referral(people.caseworker, sensitive_case, consent, ["health"])
    assert timedelta(hours=23, minutes=59) < referral.respond_by - before <= timedelta(
        hours=24, seconds=5)
    with pytest.raises(ValidationFailed):
        make_referral(people.caseworker, sensitive_case, consent, ["health"],
                      respond_by=(timezone.now() - timedelta(hours=1)).isoformat())


def test_health_may_receive_psychosocial_only_by_consent(people, sensitive_case, consent):
    referral = make_referral(people.caseworker, sensitive_case, consent,
                             ["identity", "psychosocial"])
    accepted(people, referral)
    assert policy.categories_for(people.health_worker, sensitive_case) == {
        Category.IDENTITY, Category.PSYCHOSOCIAL}


def test_referral_lists_for_each_side(people, more, sensitive_case, referral):
    accepted(people, referral)
    assert [r.id for r in sel.referrals_for_case(actor=people.caseworker,
                                                 case_id=sensitive_case.pk)] == [referral.pk]
    outgoing = sel.referrals_outgoing(actor=people.supervisor)
    assert [r.id for r in outgoing] == [referral.pk]
    incoming = sel.referrals_incoming(actor=more.health_supervisor, status="accepted")
    assert incoming[0].case_number == sensitive_case.case_number
    assert sel.referrals_incoming(actor=more.health_worker_2) == []
    assert sel.referrals_incoming(actor=people.police_officer) == []


def test_grant_rechecks_the_consent_itself(people, sensitive_case, consent, referral):
    """Defence in depth: withdrawal also ends the referral, but the grant reads the consent
    on every call, so a consent made invalid by any other path (here: written directly, as
    a restore from backup or a future code path might) still ends access."""
    from bridgeway.referrals.models import Consent

    accepted(people, referral)
    Consent.objects.filter(pk=consent.pk).update(withdrawn_at=timezone.now())
    assert not sees(people.health_worker, sensitive_case)
    assert policy.grants_for(people.health_worker, sensitive_case) == []
