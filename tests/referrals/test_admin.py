"""The referrals app in the Django admin: nothing. Consents (the child's views), referrals,
transfers, break-glass accesses, notifications and correction requests are child data; a
system administrator sees configuration but no child records, and an admin page would be
a way in to them past the access policy and the audit log."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client

from bridgeway.audit.models import AuditEntry
from tests.referrals.conftest import child_consent, make_referral

pytestmark = pytest.mark.django_db

MARK_VIEWS = "VIEWS-MARKER-5521: I want to see the nurse with my mother."
REFERRAL_MODELS = ("consent", "referral", "servicereport", "transfer", "transferevent",
                   "breakglass", "notification", "correctionrequest")


def test_no_model_of_the_referrals_app_is_in_the_admin() -> None:
    assert not [model for model in admin.site._registry
                if model._meta.app_label == "referrals"]


def test_consents_and_referrals_are_not_reachable_in_the_admin(
        people: Any, sensitive_case: Any, admin_client: Client) -> None:
    consent = child_consent(people.caseworker, sensitive_case, people.agency_health,
                            ["identity", "health"], child_views=MARK_VIEWS)
    referral = make_referral(people.caseworker, sensitive_case, consent,
                             ["identity", "health"])
    before = AuditEntry.objects.count()

    index = admin_client.get("/admin/")
    assert index.status_code == 200
    body = index.content.decode()
    assert "/admin/accounts/agency/" in body  # configuration is there
    assert "/admin/referrals/" not in body
    pks = {"consent": consent.pk, "referral": referral.pk}
    for name in REFERRAL_MODELS:
        for url in (f"/admin/referrals/{name}/",
                    f"/admin/referrals/{name}/{pks.get(name, 1)}/change/"):
            response = admin_client.get(url, follow=True)
            assert response.status_code == 404, url
            assert "VIEWS-MARKER" not in response.content.decode(), url
    assert admin_client.get("/admin/referrals/").status_code == 404
    assert AuditEntry.objects.count() == before  # nothing of a child was read
