"""The case page shows only the data categories the user's grant covers."""

from __future__ import annotations

import pytest
from django.db.models import Q
from django.urls import reverse

from bridgeway.access import policy
from bridgeway.access.policy import Category, Grant, GrantSource, Perm

pytestmark = pytest.mark.django_db


@pytest.fixture
def identity_and_justice_only(people):
    """A grant like the justice sector's: identity and justice, read only."""
    def applies(user):
        return user.username == "police_officer"

    source = GrantSource(
        "test-justice-like",
        lambda user: Q() if applies(user) else None,
        lambda user, case: Grant(frozenset({Perm.VIEW}),
                                 frozenset({Category.IDENTITY, Category.JUSTICE}), "test")
        if applies(user) else None)
    policy.register_grant_source(source)
    yield
    policy.GRANT_SOURCES.remove(source)


def test_limited_grant_hides_other_categories(people, register, client,
                                              identity_and_justice_only):
    from bridgeway.cases.services import case_add_note

    case = register(case={"risk_level": "high", "association_place": "PLACE-MARKER",
                          "alleged_offence": "OFFENCE-MARKER", "victim_status": "recognized"},
                    family=[{"relationship": "mother", "name": "FAMILY-MARKER",
                             "phone": "+62 811 999"}])
    case_add_note(actor=people.caseworker, case_id=case.pk, body="NOTE-MARKER")
    client.force_login(people.police_officer)
    html = client.get(reverse("web:case_detail", args=[case.pk])).content.decode()
    assert "Aisyah" in html  # identity
    assert "OFFENCE-MARKER" in html  # justice
    assert "Recognized as a victim" in html  # justice category: beside the offence
    for marker in ("PLACE-MARKER", "FAMILY-MARKER", "NOTE-MARKER", "+62 811 999"):
        assert marker not in html, marker
    # No edit or note controls on a read-only grant.
    assert reverse("web:case_note", args=[case.pk]) not in html
