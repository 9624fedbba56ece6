"""The access policy: who sees and may do what, at the service layer."""

from __future__ import annotations

import pytest

from bridgeway.access import policy
from bridgeway.access.policy import Perm
from bridgeway.core.errors import NotAllowed, NotFound

pytestmark = pytest.mark.django_db

EXPECTED_VIEW = {
    # persona: (assigned own-agency case, unassigned own-agency case, other-agency case)
    "caseworker": (True, False, False),
    "other_caseworker": (False, False, False),
    "supervisor": (True, True, False),
    "outsider": (False, False, False),
    "outsider_supervisor": (False, False, True),
    "health_worker": (False, False, False),
    "police_officer": (False, False, False),
    "analyst": (False, False, False),
    "auditor": (False, False, False),
    "sysadmin": (False, False, False),
    "agency_admin": (False, False, False),
}


@pytest.fixture
def three_cases(people, register):
    assigned = register(actor=people.caseworker)
    unassigned = register(actor=people.supervisor, names=[{"kind": "given", "value": "Budi"}])
    other = register(actor=people.outsider_supervisor,
                     names=[{"kind": "given", "value": "Rina"}])
    return assigned, unassigned, other


@pytest.mark.parametrize("persona", sorted(EXPECTED_VIEW))
def test_view_matrix(people, three_cases, persona):
    user = getattr(people, persona)
    visible = set(policy.cases_visible_to(user).values_list("pk", flat=True))
    for case, expected in zip(three_cases, EXPECTED_VIEW[persona], strict=True):
        assert (case.pk in visible) is expected, (persona, case.case_number)
        assert policy.can(user, Perm.VIEW, case) is expected
        if expected:
            assert policy.case_for(user, pk=case.pk).pk == case.pk
        else:
            with pytest.raises(NotFound):
                policy.case_for(user, pk=case.pk)
        children = set(policy.children_visible_to(user).values_list("pk", flat=True))
        assert (case.child_id in children) is expected


def test_caseworker_cannot_approve_closure_or_assign(people, three_cases):
    assigned = three_cases[0]
    with pytest.raises(NotAllowed):
        policy.case_for(people.caseworker, pk=assigned.pk, perm=Perm.APPROVE_CLOSURE)
    with pytest.raises(NotAllowed):
        policy.case_for(people.caseworker, pk=assigned.pk, perm=Perm.ASSIGN)


def test_nonexistent_and_hidden_cases_are_indistinguishable(people, three_cases):
    other = three_cases[2]
    with pytest.raises(NotFound) as hidden:
        policy.case_for(people.caseworker, pk=other.pk)
    with pytest.raises(NotFound) as missing:
        policy.case_for(people.caseworker, pk=10**9)
    assert str(hidden.value) == str(missing.value)


def test_deactivated_user_sees_nothing(people, three_cases):
    people.supervisor.is_active = False
    people.supervisor.save()
    assert not policy.cases_visible_to(people.supervisor).exists()


def test_grant_sources_are_extensible(people, three_cases):
    """A later capability adds a grant source; callers see it without change."""
    from django.db.models import Q

    other = three_cases[2]
    source = policy.GrantSource(
        "test-extra",
        lambda user: Q(pk=other.pk) if user.username == "health_worker" else None,
        lambda user, case: policy.Grant(frozenset({Perm.VIEW}),
                                        frozenset({policy.Category.HEALTH}), "test")
        if user.username == "health_worker" and case.pk == other.pk else None)
    policy.register_grant_source(source)
    try:
        assert list(policy.cases_visible_to(people.health_worker)) == [other]
        assert policy.categories_for(people.health_worker, other) == {policy.Category.HEALTH}
        with pytest.raises(NotAllowed):
            policy.case_for(people.health_worker, pk=other.pk, perm=Perm.EDIT)
    finally:
        policy.GRANT_SOURCES.remove(source)
