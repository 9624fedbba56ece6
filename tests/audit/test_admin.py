"""The Django admin is the system administrator's configuration tool: it is no way in to the
audit log (auditors read it on the audited ``/audit/`` page) nor to child records, and an
integrity check's result cannot be edited there."""

from __future__ import annotations

import pytest
from django.contrib import admin

from bridgeway.audit.jobs import audit_integrity_check
from bridgeway.audit.models import AuditEntry, IntegrityCheck
from tests.api.conftest import client_with_token

pytestmark = pytest.mark.django_db

# Apps whose models hold child data and are read only through selectors, the access policy
# and the audit log.
CHILD_DATA_APPS = {"registry", "cases", "forms", "care"}


def test_system_admin_cannot_read_the_audit_log_in_the_admin(people, register, admin_client):
    register()
    client_with_token(people.supervisor).get("/api/v1/cases/", {"q": "Aisyah"})
    search = AuditEntry.objects.filter(action="search").latest("seq")
    before = AuditEntry.objects.count()

    index = admin_client.get("/admin/")
    assert index.status_code == 200
    assert "/admin/audit/auditentry/" not in index.content.decode()
    for url in ("/admin/audit/auditentry/", f"/admin/audit/auditentry/{search.pk}/change/",
                f"/admin/audit/auditentry/{search.pk}/"):
        response = admin_client.get(url, follow=True)
        assert "Aisyah" not in response.content.decode(), url
        assert response.status_code == 404 or response.redirect_chain, url
    assert AuditEntry.objects.count() == before  # nothing was read, so nothing to log


def test_integrity_checks_are_shown_but_never_changed(admin_client):
    audit_integrity_check()
    check = IntegrityCheck.objects.latest("at")
    page = admin_client.get(f"/admin/audit/integritycheck/{check.pk}/change/")
    assert page.status_code == 200  # a read-only view
    admin_client.post(f"/admin/audit/integritycheck/{check.pk}/change/",
                      {"ok": "", "entries_checked": "0", "message": "edited"})
    admin_client.post(f"/admin/audit/integritycheck/{check.pk}/delete/", {"post": "yes"})
    fresh = IntegrityCheck.objects.get(pk=check.pk)
    assert (fresh.ok, fresh.entries_checked, fresh.message) == (
        check.ok, check.entries_checked, check.message)


def test_no_child_data_model_and_no_audit_entry_is_registered_in_the_admin():
    registered = {(m._meta.app_label, m.__name__) for m in admin.site._registry}
    assert ("audit", "AuditEntry") not in registered
    assert not {app for app, _ in registered} & CHILD_DATA_APPS, registered
