"""The demo loader writes the same derived data the services would."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from bridgeway.cases.models import Case
from bridgeway.cases.selectors import CaseFilters, case_list
from bridgeway.registry.models import Child, NameKey
from bridgeway.registry.services import compute_name_keys

pytestmark = pytest.mark.django_db


def test_demo_data_loads_once_and_is_searchable(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("demo_data", children=60, seed=7)
    out = capsys.readouterr().out
    assert "supervisor1" in out and "Loaded 60" in out
    assert Child.objects.count() == 60 and Case.objects.count() == 60
    call_command("demo_data", children=60, seed=7, quiet_logins=True)
    assert Child.objects.count() == 60  # not loaded twice

    child = Child.objects.filter(names__script="Arab").first() or Child.objects.first()
    expected = compute_name_keys([(n.value, n.latin) for n in child.names.all()],
                                 [(a.value, a.latin) for a in child.aliases.all()])
    stored = set(NameKey.objects.filter(child=child).values_list("kind", "key"))
    assert stored == set(expected)

    from bridgeway.accounts.models import User
    supervisor = User.objects.get(username=Case.objects.get(child=child)
                                  .owning_agency.users.filter(role="supervisor")[0].username)
    name = child.names.first()
    found = case_list(actor=supervisor, filters=CaseFilters(q=name.value)).cases
    assert child.pk in {c.child_id for c in found}


def test_demo_loader_encrypts_family_contacts(settings, tmp_path):
    """The loader bypasses the model fields (``COPY`` on PostgreSQL): family members'
    phone numbers must still reach the table encrypted, and read back as numbers."""
    from django.db import connection

    from bridgeway.core import crypto
    from bridgeway.registry.models import FamilyMember

    settings.VAR_DIR = tmp_path
    call_command("demo_data", children=40, seed=11, quiet_logins=True)
    phones = [p for p in FamilyMember.objects.values_list("phone", flat=True) if p]
    assert phones and all(p.startswith("+") and p[1:].isdigit() for p in phones)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, address, notes FROM registry_familymember")
        rows = cursor.fetchall()
    stored = [p for p, _, _ in rows if p]
    assert len(stored) == len(phones) and all(crypto.is_token(p) for p in stored)
    dump = " ".join(str(cell) for row in rows for cell in row)
    assert not any(p in dump or p[1:] in dump for p in phones)
    assert all(a == "" and n == "" for _, a, n in rows)  # the generator writes neither
