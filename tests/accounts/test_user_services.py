"""The audited user services on their own (the admin is one caller): who may change whom,
separation of duties held to what the access policy grants, bad input refused."""

from __future__ import annotations

from typing import Any

import pytest

from bridgeway.access import policy
from bridgeway.accounts.models import Role, User
from bridgeway.accounts.services import (
    CHILD_RECORD_ROLES,
    user_create_as_admin,
    user_set_password_as_admin,
    user_update_as_admin,
)
from bridgeway.audit.models import AuditEntry
from bridgeway.audit.services import audit_verify
from bridgeway.core.errors import NotAllowed, ValidationFailed

pytestmark = pytest.mark.django_db


def _state(user: User) -> tuple[Any, ...]:
    fresh = User.objects.get(pk=user.pk)
    return (fresh.role, fresh.agency_id, fresh.is_active, fresh.is_staff, fresh.is_superuser)


@pytest.mark.parametrize("role", Role.values)
def test_child_record_roles_are_the_roles_the_access_policy_grants_cases_to(people, role):
    """If the policy starts granting child records to another role, separation of duties
    must cover it: this test fails until ``CHILD_RECORD_ROLES`` says so."""
    agency = None if role in ("system_admin", "auditor") else people.agency_a.pk
    user = user_create_as_admin(actor=people.sysadmin, password=None,
                                data={"username": f"probe_{role}", "role": role,
                                      "agency": agency})
    if agency is None:  # the same role inside an agency, as the policy would see it
        user.agency_id = people.agency_a.pk
    assert (policy.case_filter(user) is not None) is (role in CHILD_RECORD_ROLES)


def test_a_system_admin_change_is_audited_and_the_chain_verifies(people):
    user_update_as_admin(actor=people.sysadmin, user_id=people.analyst.pk,
                         data={"role": "supervisor", "agency": people.agency_b.pk})
    entry = AuditEntry.objects.get(action="update")
    assert entry.detail["changed"] == {
        "role": {"old": "analyst", "new": "supervisor"},
        "agency": {"old": "agency-a", "new": "agency-b"}}
    assert audit_verify(record=False).ok


@pytest.mark.parametrize("data", [{"role": "supervisor", "agency": "A"},
                                  {"is_staff": True}, {"is_superuser": True},
                                  {"is_active": False}])
def test_nobody_changes_their_own_privileges(people, data):
    me = people.agency_admin
    data = {k: (people.agency_a.pk if v == "A" else v) for k, v in data.items()}
    before = _state(me)
    with pytest.raises(NotAllowed, match="four eyes"):
        user_update_as_admin(actor=me, user_id=me.pk, data=data)
    assert _state(me) == before
    assert AuditEntry.objects.get(action="refused").detail["rule"] == "four_eyes"


def test_only_administrators_change_users(people):
    before = _state(people.caseworker)
    for actor in (people.supervisor, people.auditor, people.analyst):
        with pytest.raises(NotAllowed):
            user_update_as_admin(actor=actor, user_id=people.caseworker.pk,
                                 data={"role": "supervisor"})
    assert _state(people.caseworker) == before


@pytest.mark.parametrize(("data", "field"), [
    ({"role": "child_soldier"}, "role"), ({"role": None}, "role"),
    ({"agency": "nope"}, "agency"), ({"agency": 999999}, "agency"),
    ({"agency": None}, "agency"), ({"is_staff": "yes"}, "is_staff"),
    ({"username": ""}, "username"), ({"username": "supervisor"}, "username"),
    ({"language": "xx"}, "language")])
def test_bad_input_is_refused_field_by_field(people, data, field):
    before = _state(people.caseworker)
    with pytest.raises(ValidationFailed) as exc:
        user_update_as_admin(actor=people.sysadmin, user_id=people.caseworker.pk, data=data)
    assert field in exc.value.errors
    assert _state(people.caseworker) == before
    assert not AuditEntry.objects.filter(action__in=["update", "refused"]).exists()


def test_an_agency_admin_stays_within_their_agency(people):
    admin = people.agency_admin
    before = _state(people.outsider)
    with pytest.raises(NotAllowed, match="own agency"):
        user_update_as_admin(actor=admin, user_id=people.outsider.pk,
                             data={"role": "supervisor"})
    with pytest.raises(NotAllowed, match="own agency"):
        user_update_as_admin(actor=admin, user_id=people.caseworker.pk,
                             data={"agency": people.agency_b.pk})
    with pytest.raises(NotAllowed, match="system administrator does"):
        user_update_as_admin(actor=admin, user_id=people.analyst.pk,
                             data={"role": "auditor", "agency": None})
    with pytest.raises(NotAllowed, match="administrator powers"):
        user_update_as_admin(actor=admin, user_id=people.other_caseworker.pk,
                             data={"role": "agency_admin", "is_staff": True})
    assert _state(people.outsider) == before
    assert AuditEntry.objects.filter(action="refused").count() == 4
    # Within the agency, to a role of the agency: done and audited.
    user_update_as_admin(actor=admin, user_id=people.caseworker.pk,
                         data={"role": "supervisor"})
    assert _state(people.caseworker)[0] == "supervisor"


def test_creation_checks_like_a_change(people):
    with pytest.raises(NotAllowed, match="separation of duties"):
        user_create_as_admin(actor=people.sysadmin, password=None, data={
            "username": "x", "role": "supervisor", "agency": people.agency_a.pk,
            "is_superuser": True})
    with pytest.raises(ValidationFailed) as exc:
        user_create_as_admin(actor=people.sysadmin, password="short", data={
            "username": "x", "role": "supervisor", "agency": people.agency_a.pk})
    assert "password" in exc.value.errors
    assert not User.objects.filter(username="x").exists()


def test_a_password_reset_is_audited_without_the_password(people):
    user_set_password_as_admin(actor=people.sysadmin, user_id=people.supervisor.pk,
                               password="a long pass phrase 41")
    entry = AuditEntry.objects.get(action="update")
    assert entry.detail == {"username": "supervisor", "profile": ["password"],
                            "usable": True}
    with pytest.raises(NotAllowed):
        user_set_password_as_admin(actor=people.sysadmin, user_id=people.sysadmin.pk,
                                   password="a long pass phrase 41")


def test_a_username_is_refused_when_another_user_holds_it_in_any_letter_case(people):
    """The same rule as an agency's code: another user's name, whatever its letter case,
    is refused naming the field; a user keeping their own name is not."""
    for taken in ("caseworker", "CaseWorker"):
        with pytest.raises(ValidationFailed) as exc:
            user_create_as_admin(actor=people.sysadmin, password="a long pass phrase 41",
                                 data={"username": taken, "role": "caseworker",
                                       "agency": people.agency_a.pk})
        assert exc.value.errors["username"] == ["A user with that username already exists."]
    with pytest.raises(ValidationFailed) as exc:
        user_update_as_admin(actor=people.sysadmin, user_id=people.supervisor.pk,
                             data={"username": "CASEWORKER"})
    assert "username" in exc.value.errors
    user_update_as_admin(actor=people.sysadmin, user_id=people.caseworker.pk,
                         data={"username": "caseworker"})
    assert User.objects.filter(username__iexact="caseworker").count() == 1
