"""The audit chain detects any edited, deleted or inserted row, and the application cannot
change entries."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from bridgeway.audit.models import AuditEntry, IntegrityCheck
from bridgeway.audit.services import audit_record, audit_verify

pytestmark = pytest.mark.django_db


def _entries(people, n=5):
    for i in range(n):
        audit_record(actor=people.caseworker, action="view", object_type="case",
                     object_id=str(i), case_id=i)


def _without_triggers(sql: str, params=()) -> None:
    """Simulate someone with direct database access: bypass the append-only triggers."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
            cur.execute(sql, params)
            cur.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
        else:
            cur.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
            cur.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")
            cur.execute(sql, params)


def test_untouched_chain_verifies(people):
    _entries(people)
    result = audit_verify()
    assert result.ok and result.checked == 5
    assert IntegrityCheck.objects.filter(ok=True).exists()
    call_command("audit_verify")


def test_edited_row_is_detected(people):
    _entries(people)
    _without_triggers("UPDATE audit_auditentry SET actor_username = 'someone' WHERE seq = 3")
    result = audit_verify()
    assert not result.ok and result.first_bad_seq == 3
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_deleted_row_is_detected(people):
    _entries(people)
    _without_triggers("DELETE FROM audit_auditentry WHERE seq = 2")
    result = audit_verify()
    assert not result.ok and result.first_bad_seq == 3


def test_deleted_last_row_is_detected(people):
    _entries(people)
    _without_triggers("DELETE FROM audit_auditentry WHERE seq = 5")
    result = audit_verify()
    assert not result.ok and "removed from the end" in result.message


def test_inserted_row_is_detected(people):
    _entries(people)
    first = AuditEntry.objects.get(seq=1)
    # Shift later rows up and insert a forged row copying a real one's hashes.
    _without_triggers("UPDATE audit_auditentry SET seq = seq + 100 WHERE seq >= 3")
    _without_triggers(
        "INSERT INTO audit_auditentry (seq, at, actor_username, agency_code, action, "
        "object_type, object_id, channel, ip, reason, detail, prev_hash, hash) "
        "VALUES (3, %s, 'forger', '', 'view', 'case', '99', '', '', '', '{}', %s, %s)",
        (first.at, first.hash, first.hash))
    result = audit_verify()
    assert not result.ok


def test_application_cannot_update_or_delete_entries(people):
    _entries(people, 1)
    entry = AuditEntry.objects.get()
    entry.reason = "changed"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()


def test_database_triggers_refuse_update_and_delete(people):
    _entries(people, 1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(reason="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=1).delete()
    assert AuditEntry.objects.get(seq=1).reason == ""


def test_entry_records_who_what_where(people, register):
    case = register()
    entry = AuditEntry.objects.filter(object_type="case", action="create").get()
    assert entry.actor_username == "caseworker"
    assert entry.agency_code == "agency-a"
    assert entry.case_id == case.pk and entry.child_id == case.child_id
