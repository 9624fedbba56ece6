"""Sharing test helpers: more agencies (one per sector we exercise), a movable clock, and
short-hands that go through the services (never ``.save()``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from bridgeway.referrals import services as svc

# A marker per sensitive field: a leak shows up as the marker in an output.
MARK_FAMILY = "QX-FAMILY-MARKER"
MARK_PHONE = "+62 811 7777 0001"
MARK_ASSOC = "QX-ASSOCIATION-MARKER"
MARK_OFFENCE = "QX-OFFENCE-MARKER"


def born_years_ago(years: int) -> str:
    return (date.today() - timedelta(days=round(365.25 * years) + 10)).isoformat()


class Clock:
    """Moves ``django.utils.timezone.now`` (and with it ``localdate``) forward."""

    def __init__(self, monkeypatch: Any) -> None:
        self._real = timezone.now
        self.offset = timedelta()
        monkeypatch.setattr(timezone, "now", lambda: self._real() + self.offset)

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: Any) -> Clock:
    return Clock(monkeypatch)


class More:
    """Users beyond the shared personas: a second health worker and a health supervisor,
    an education and a community agency, a police supervisor."""

    def __init__(self, people: Any) -> None:
        from bridgeway.accounts.models import Agency, User

        def user(username: str, agency: Any, role: str) -> Any:
            return User.objects.create_user(username=username, password="pw-" + username,
                                            agency=agency, role=role)

        self.health_supervisor = user("health_supervisor", people.agency_health, "supervisor")
        self.health_worker_2 = user("health_worker_2", people.agency_health, "caseworker")
        self.police_supervisor = user("police_supervisor", people.agency_police, "supervisor")
        self.agency_school = Agency.objects.create(code="school", name="School",
                                                   sector="education", country="ID")
        self.teacher = user("teacher", self.agency_school, "caseworker")
        self.agency_community = Agency.objects.create(code="community", name="Community",
                                                      sector="community", country="ID")
        self.community_supervisor = user("community_supervisor", self.agency_community,
                                         "supervisor")


@pytest.fixture
def more(people: Any) -> More:
    return More(people)


@pytest.fixture
def sensitive_case(people: Any, register: Any) -> Any:
    """A 14-year-old's case whose family, contact, association and justice fields carry
    markers."""
    return register(
        actor=people.caseworker, date_of_birth=born_years_ago(14),
        family=[{"relationship": "mother", "name": MARK_FAMILY, "is_caregiver": True,
                 "is_legal_guardian": True, "phone": MARK_PHONE}],
        case={"risk_level": "high", "association_place": MARK_ASSOC,
              "alleged_offence": MARK_OFFENCE})


def child_consent(actor: Any, case: Any, agency: Any, categories: Any = None, **extra: Any
                  ) -> Any:
    """A 13-and-over child's own consent for a referral to ``agency``."""
    data = {"given_by": "child", "categories": categories, "purpose": "health care",
            "valid_until": (timezone.localdate() + timedelta(days=90)).isoformat(),
            "receiving_agency_id": agency.pk if agency else None,
            "caregiver_involvement": "Mother present and supportive."}
    data.update(extra)
    return svc.consent_record(actor=actor, case_id=case.pk, data=svc.ConsentInput(**data))


def make_referral(actor: Any, case: Any, consent: Any, categories: list[str], **extra: Any
                  ) -> Any:
    data = {"consent_id": consent.pk, "categories": categories, "purpose": "assessment",
            "receiving_agency_id": consent.receiving_agency_id}
    data.update(extra)
    return svc.referral_create(actor=actor, case_id=case.pk, data=svc.ReferralInput(**data))


# Fixtures of the sharing pages and API tests, and the care workflow's form fixtures (the
# leak canary and the data-subject export fill in real forms). Imported here so that every
# test module of this folder has them.
from tests.api.conftest import _fresh_throttle_counters  # noqa: E402, F401
from tests.care.conftest import builtin, fill  # noqa: E402, F401
from tests.referrals.sharing_support import (  # noqa: E402, F401
    accepted_fixture,
    api_as_fixture,
    consent_fixture,
    referral_fixture,
    web_fixture,
)
