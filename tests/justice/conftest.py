"""Justice test helpers: facilities on different clocks, a case the police unit is
involved in, aware times relative to now, and a URL configuration that mounts the
justice API (the lead adds it to ``bridgeway.api.urls``; the tests do not wait)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone


def ago(**delta: float) -> datetime:
    """An aware UTC time ``delta`` before now (``ago(hours=3)``)."""
    return timezone.now().astimezone(UTC) - timedelta(**delta)


def born_years_ago(years: int) -> str:
    return (date.today() - timedelta(days=round(365.25 * years) + 10)).isoformat()


def iso(at: datetime) -> str:
    return at.isoformat()


def episode_data(facility: Any, admitted: datetime, **overrides: Any) -> dict[str, Any]:
    """A register entry that respects every safeguard; tests switch one off."""
    data: dict[str, Any] = {
        "kind": "pretrial", "facility": facility.pk, "commitment_order_ref": "PN-2025-17",
        "reason": "remanded pending trial", "authority": "District court",
        "admitted_at": iso(admitted), "separated_from_adults": "yes",
        "family_notified_at": iso(admitted), "legal_counsel_access_at": iso(admitted),
        "last_resort_justification": "no family placement; risk to the child",
        "alternatives_considered": ["family supervision", "community placement"],
    }
    data.update(overrides)
    return data


def arrest_and_hold(people: Any, case: Any, facility: Any, arrest: datetime) -> None:
    """Arrested at ``arrest`` and in police custody since, parent notified at once: every
    safeguard respected until the first appearance falls due (24 hours)."""
    from bridgeway.justice import services

    services.justice_event_record(actor=people.police_officer, case_id=case.pk,
                                  data={"kind": "arrest", "at": iso(arrest),
                                        "parent_notified_at": iso(arrest)})
    services.detention_open(actor=people.police_officer, case_id=case.pk,
                            data=episode_data(facility, arrest, kind="police_custody",
                                              commitment_order_ref="POLRES/CUSTODY/031"))


@pytest.fixture
def jakarta(people: Any) -> Any:
    from bridgeway.accounts.models import Agency
    from bridgeway.justice.models import Facility

    detention = Agency.objects.create(code="lpka-jakarta", name="LPKA Jakarta",
                                      sector="detention", country="ID")
    return Facility.objects.create(name="LPKA Jakarta", kind="juvenile_facility",
                                   country="ID", time_zone="Asia/Jakarta", agency=detention)


@pytest.fixture
def jayapura(people: Any) -> Any:
    from bridgeway.justice.models import Facility

    return Facility.objects.create(name="Polres Jayapura", kind="police_station",
                                   country="ID", time_zone="Asia/Jayapura")


@pytest.fixture
def justice_case(people: Any, register: Any) -> Any:
    """A case of agency A that the police unit is involved in (linked by the caseworker)."""
    from bridgeway.justice.services import justice_involvement_add

    case = register(date_of_birth=born_years_ago(16))
    justice_involvement_add(actor=people.caseworker, case_id=case.pk,
                            agency_id=people.agency_police.pk, reason="arresting unit")
    return case


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def justice_api_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.justice.urls"


@pytest.fixture
def login(client: Any) -> Any:
    def _login(user: Any) -> Any:
        client.force_login(user)
        return client

    return _login
