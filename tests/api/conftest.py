"""API test helpers: a client per persona (real bearer tokens), record counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from bridgeway.accounts.services import api_token_issue


@pytest.fixture(autouse=True)
def _fresh_throttle_counters() -> None:
    # The throttle history lives in the cache, which outlives a test's database.
    cache.clear()


def client_with_token(user: Any) -> APIClient:
    """An API client authenticated the way real clients are: a bearer token."""
    client = APIClient()
    _, raw = api_token_issue(user=user, name="tests")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def api(people: Any) -> Any:
    """api(user) -> APIClient with a bearer token for ``user``; api() -> anonymous."""

    def _api(user: Any = None) -> APIClient:
        return client_with_token(user) if user is not None else APIClient()

    return _api


def record_counts() -> dict[str, int]:
    from bridgeway.cases.models import Case, CaseNote
    from bridgeway.registry.models import (
        AgeAssessment,
        Alias,
        Child,
        ChildName,
        FamilyMember,
        Identifier,
        NameKey,
    )

    models = (Child, ChildName, Alias, NameKey, AgeAssessment, Identifier, FamilyMember,
              Case, CaseNote)
    return {m.__name__: m.objects.count() for m in models}
