"""Break-glass: who may, with what reason, for how long, who is told, and the review
list."""

from __future__ import annotations

import pytest

from bridgeway.access import policy
from bridgeway.access.policy import ALL_CATEGORIES, Category, Perm
from bridgeway.audit.models import AuditEntry
from bridgeway.core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from bridgeway.referrals import selectors as sel
from bridgeway.referrals import services as svc
from bridgeway.referrals.models import Notification

pytestmark = pytest.mark.django_db

REASON = "Child brought unconscious to our emergency unit; need known allergies."


def sees(user, case) -> bool:
    return policy.cases_visible_to(user).filter(pk=case.pk).exists()


def open_glass(user, case, reason=REASON):
    return svc.break_glass_open(actor=user, case_id=case.pk, reason=reason)


def test_roles_without_break_glass_are_refused(people, more, sensitive_case):
    for user in (people.outsider, people.police_officer, more.police_supervisor,
                 more.teacher, more.community_supervisor, people.analyst, people.auditor,
                 people.sysadmin, people.health_worker):
        with pytest.raises(NotAllowed):
            open_glass(user, sensitive_case)
        assert not sees(user, sensitive_case)


def test_reason_is_required_and_substantial(people, sensitive_case):
    for reason in ("", "   ", "urgent", None, 42):
        with pytest.raises(ValidationFailed) as exc:
            open_glass(people.outsider_supervisor, sensitive_case, reason=reason)
        assert "reason" in exc.value.errors
    assert not sees(people.outsider_supervisor, sensitive_case)


def test_missing_case_is_not_found_and_own_case_needs_no_glass(people, sensitive_case):
    with pytest.raises(NotFound):
        svc.break_glass_open(actor=people.outsider_supervisor, case_id=10**9, reason=REASON)
    with pytest.raises(NotFound):
        svc.break_glass_open(actor=people.outsider_supervisor, case_number="BW-0000-000000",
                             reason=REASON)
    with pytest.raises(DomainError, match="already see"):
        open_glass(people.supervisor, sensitive_case)


def test_break_glass_gives_time_limited_read_access_with_the_sector_categories(
        people, more, sensitive_case, clock):
    use = svc.break_glass_open(actor=people.outsider_supervisor,
                               case_number=sensitive_case.case_number, reason=REASON)
    assert sees(people.outsider_supervisor, sensitive_case)
    assert policy.perms_for(people.outsider_supervisor, sensitive_case) == {Perm.VIEW}
    assert policy.categories_for(people.outsider_supervisor, sensitive_case) == ALL_CATEGORIES
    with pytest.raises(NotAllowed):
        policy.case_for(people.outsider_supervisor, pk=sensitive_case.pk, perm=Perm.EDIT)
    open_glass(more.health_supervisor, sensitive_case)
    assert policy.categories_for(more.health_supervisor, sensitive_case) == {
        Category.IDENTITY, Category.HEALTH}
    assert (use.expires_at - use.started_at).total_seconds() == 3 * 3600
    clock.advance(hours=2, minutes=59)
    assert sees(people.outsider_supervisor, sensitive_case)
    clock.advance(minutes=1)
    for user in (people.outsider_supervisor, more.health_supervisor):
        assert not sees(user, sensitive_case)
        assert policy.categories_for(user, sensitive_case) == frozenset()
        with pytest.raises(NotFound):
            policy.case_for(user, pk=sensitive_case.pk)


def test_duration_is_configurable(people, sensitive_case, clock, settings):
    settings.BRIDGEWAY_BREAK_GLASS_HOURS = 1
    open_glass(people.outsider_supervisor, sensitive_case)
    clock.advance(minutes=61)
    assert not sees(people.outsider_supervisor, sensitive_case)


def test_use_is_audited_with_the_reason_and_notified(people, more, sensitive_case):
    use = open_glass(people.outsider_supervisor, sensitive_case)
    entry = AuditEntry.objects.get(action="break_glass")
    assert entry.reason == REASON and entry.case_id == sensitive_case.pk
    assert entry.actor == people.outsider_supervisor
    assert entry.detail["break_glass"] == use.pk
    recipients = set(Notification.objects.filter(kind="break_glass")
                     .values_list("recipient__username", flat=True))
    assert recipients == {"supervisor", "auditor"}  # owning supervisors and auditors
    for note in Notification.objects.filter(kind="break_glass"):
        assert sensitive_case.case_number in note.message
        assert "Aisyah" not in note.message and REASON not in note.message
    assert sensitive_case.events.filter(kind="break_glass").exists()


def test_every_use_is_listed_for_review(people, more, sensitive_case, register):
    other = register(actor=people.outsider_supervisor,
                     names=[{"kind": "given", "value": "Rina"}])
    mine = open_glass(people.outsider_supervisor, sensitive_case)
    theirs = open_glass(people.supervisor, other)
    health = open_glass(more.health_supervisor, other)
    assert [u.pk for u in sel.break_glass_uses(actor=people.auditor)] == [
        health.pk, theirs.pk, mine.pk]
    assert [u.pk for u in sel.break_glass_uses(actor=people.supervisor)] == [mine.pk]
    assert [u.pk for u in sel.break_glass_uses(actor=people.outsider_supervisor)] == [
        health.pk, theirs.pk]
    for user in (people.caseworker, people.analyst, people.health_worker, people.sysadmin):
        with pytest.raises(NotAllowed):
            sel.break_glass_uses(actor=user)
    svc.break_glass_review(actor=people.auditor, break_glass_id=mine.pk,
                           note="Justified: emergency admission.")
    assert [u.pk for u in sel.break_glass_uses(actor=people.auditor,
                                               unreviewed_only=True)] == [health.pk, theirs.pk]
    with pytest.raises(NotFound):
        svc.break_glass_review(actor=people.supervisor, break_glass_id=mine.pk, note="x")


def test_user_may_end_it_early(people, sensitive_case):
    use = open_glass(people.outsider_supervisor, sensitive_case)
    with pytest.raises(NotFound):
        svc.break_glass_end(actor=people.supervisor, break_glass_id=use.pk)
    svc.break_glass_end(actor=people.outsider_supervisor, break_glass_id=use.pk)
    assert not sees(people.outsider_supervisor, sensitive_case)
    assert list(sel.break_glass_uses(actor=people.auditor, active_only=True)) == []


def test_roles_are_configurable(people, more, sensitive_case, settings):
    settings.BRIDGEWAY_BREAK_GLASS_ROLES = {"police": ["supervisor"]}
    with pytest.raises(NotAllowed):
        open_glass(people.outsider_supervisor, sensitive_case)
    open_glass(more.police_supervisor, sensitive_case)
    assert policy.categories_for(more.police_supervisor, sensitive_case) == {
        Category.IDENTITY, Category.JUSTICE}


def test_a_partial_view_does_not_rule_out_an_emergency(people, more, sensitive_case):
    from tests.referrals.conftest import child_consent, make_referral

    consent = child_consent(people.caseworker, sensitive_case, people.agency_health,
                            ["identity"])
    referral = make_referral(people.caseworker, sensitive_case, consent, ["identity"])
    svc.referral_accept(actor=more.health_supervisor, referral_id=referral.pk)
    assert policy.categories_for(more.health_supervisor, sensitive_case) == {Category.IDENTITY}
    open_glass(more.health_supervisor, sensitive_case)
    assert policy.categories_for(more.health_supervisor, sensitive_case) == {
        Category.IDENTITY, Category.HEALTH}
    with pytest.raises(DomainError, match="already see"):
        open_glass(more.health_supervisor, sensitive_case)


def test_misconfigured_roles_are_reported(settings):
    from bridgeway.referrals.checks import sharing_settings

    settings.BRIDGEWAY_BREAK_GLASS_ROLES = {"astrology": ["supervisor"], "health": "boss"}
    settings.BRIDGEWAY_BREAK_GLASS_HOURS = 0
    ids = [e.id for e in sharing_settings()]
    assert ids.count("bridgeway.E_BREAK_GLASS") == 2 and "bridgeway.E_SHARING" in ids
