"""``manage.py createsuperuser`` makes a system administrator with no agency (a superuser
with a role that reads child records would break separation of duties), audited like a
user created in the admin; another role, or an agency, is refused and nothing is created."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from bridgeway.accounts.models import Role, User
from bridgeway.audit.models import AuditEntry
from bridgeway.audit.services import audit_verify

pytestmark = pytest.mark.django_db


def test_createsuperuser_makes_a_system_administrator_and_audits_it(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long pass phrase 42")
    call_command("createsuperuser", interactive=False, username="root",
                 email="root@example.org", verbosity=0)
    user = User.objects.get(username="root")
    assert (user.role, user.agency_id, user.is_staff, user.is_superuser) == (
        "system_admin", None, True, True)
    assert user.check_password("a long pass phrase 42")
    entry = AuditEntry.objects.get(action="create", object_type="user")
    assert entry.actor_id is None and entry.object_id == str(user.pk)
    assert entry.detail == {"username": "root", "role": "system_admin", "agency": "",
                            "is_active": True, "is_staff": True, "is_superuser": True,
                            "via": "create_superuser"}
    assert audit_verify(record=False).ok


@pytest.mark.parametrize("role", [r for r in Role.values if r != "system_admin"])
def test_a_superuser_with_another_role_is_refused(db, role):
    with pytest.raises(ValueError, match="separation of duties"):
        User.objects.create_superuser("root", "root@example.org", "a long pass phrase 42",
                                      role=role)
    assert not User.objects.filter(username="root").exists()
    assert not AuditEntry.objects.exists()


def test_a_superuser_in_an_agency_is_refused(people: Any):
    for extra in ({"agency": people.agency_a}, {"agency_id": people.agency_a.pk}):
        with pytest.raises(ValueError, match="belongs to no agency"):
            User.objects.create_superuser("root", "root@example.org",
                                          "a long pass phrase 42", **extra)
    assert not User.objects.filter(username="root").exists()
    assert not AuditEntry.objects.filter(object_type="user").exists()


def test_ordinary_users_keep_the_default_role(db):
    user = User.objects.create_user("plain", password="a long pass phrase 42")
    assert (user.role, user.is_superuser) == ("caseworker", False)
