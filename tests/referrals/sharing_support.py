"""Helpers for the sharing pages and API tests: a consent and a referral to the health
clinic on the marked case, a logged-in client per user, and the text of a response."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bridgeway.audit.models import AuditEntry
from bridgeway.referrals import services as svc
from tests.api.conftest import client_with_token
from tests.referrals.conftest import child_consent, make_referral

HEALTH_SCOPE = ["identity", "health", "psychosocial"]
REASON = "Child brought unconscious to our emergency unit; need known allergies."


@pytest.fixture(name="consent")
def consent_fixture(people: Any, sensitive_case: Any) -> Any:
    return child_consent(people.caseworker, sensitive_case, people.agency_health, HEALTH_SCOPE)


@pytest.fixture(name="referral")
def referral_fixture(people: Any, sensitive_case: Any, consent: Any) -> Any:
    return make_referral(people.caseworker, sensitive_case, consent, ["identity", "health"])


@pytest.fixture(name="accepted")
def accepted_fixture(people: Any, referral: Any) -> Any:
    svc.referral_accept(actor=people.health_worker, referral_id=referral.pk)
    referral.refresh_from_db()
    return referral


@pytest.fixture(name="web")
def web_fixture(db: Any) -> Any:
    """web(user) -> a Django test client logged in as ``user`` (one client per user)."""
    clients: dict[int, Client] = {}

    def _web(user: Any) -> Client:
        if user.pk not in clients:
            client = Client()
            client.force_login(user)
            clients[user.pk] = client
        return clients[user.pk]

    return _web


@pytest.fixture(name="api_as")
def api_as_fixture(db: Any) -> Any:
    """api_as(user) -> an API client with a bearer token for ``user``."""
    clients: dict[int, Any] = {}

    def _api(user: Any) -> Any:
        if user.pk not in clients:
            clients[user.pk] = client_with_token(user)
        return clients[user.pk]

    return _api


def text(response: Any) -> str:
    return response.content.decode()


def last_seq() -> int:
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def entries_since(seq: int, **filters: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(seq__gt=seq, **filters).order_by("seq"))
