"""Shared test setup: named personas used by every test module.

State is changed through services (never ``.save()``) so audit entries and case events stay
true. The network is blocked: tests talk only to loopback services.
"""

from __future__ import annotations

import os
import socket
from datetime import date, timedelta
from typing import Any

import pytest

os.environ.setdefault("BRIDGEWAY_INSECURE_DEV_KEY", "1")
os.environ.setdefault("BRIDGEWAY_TESTING", "1")


# --- network guard: only loopback ---------------------------------------------------------

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")
                                      or host.startswith("/")):
        raise OSError(f"Network access blocked in tests: {address!r}")
    return _real_connect(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _fast_settings(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.BRIDGEWAY_REQUIRE_MFA = False
    settings.SECURE_SSL_REDIRECT = False
    settings.AXES_ENABLED = False


# --- personas ----------------------------------------------------------------------------

class Personas:
    """Agencies: ``a`` (child protection, our agency), ``b`` (child protection elsewhere),
    ``health``, ``police``. Users are named after what they are."""

    def __init__(self) -> None:
        from bridgeway.accounts.models import Agency, User

        def agency(code: str, sector: str, country: str = "ID") -> Agency:
            return Agency.objects.create(code=code, name=code.replace("-", " ").title(),
                                         sector=sector, country=country)

        def user(username: str, agency_: Agency | None, role: str) -> User:
            u = User.objects.create_user(username=username, password="pw-" + username,
                                         agency=agency_, role=role,
                                         first_name=username.title())
            return u

        self.agency_a = agency("agency-a", "child_protection")
        self.agency_b = agency("agency-b", "child_protection")
        self.agency_health = agency("health-clinic", "health")
        self.agency_police = agency("police-unit", "police")
        self.caseworker = user("caseworker", self.agency_a, "caseworker")
        self.other_caseworker = user("other_caseworker", self.agency_a, "caseworker")
        self.supervisor = user("supervisor", self.agency_a, "supervisor")
        self.outsider = user("outsider", self.agency_b, "caseworker")
        self.outsider_supervisor = user("outsider_supervisor", self.agency_b, "supervisor")
        self.health_worker = user("health_worker", self.agency_health, "caseworker")
        self.police_officer = user("police_officer", self.agency_police, "caseworker")
        self.analyst = user("analyst", self.agency_a, "analyst")
        self.auditor = user("auditor", None, "auditor")
        self.sysadmin = user("sysadmin", None, "system_admin")
        self.agency_admin = user("agency_admin", self.agency_a, "agency_admin")

    def all_users(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items()
                if hasattr(value, "role")}


@pytest.fixture
def people(db: Any) -> Personas:
    return Personas()


@pytest.fixture
def admin_client(people: Personas, settings: Any) -> Any:
    """The system admin signed in to the Django admin, staff and superuser as the demo and
    ``createsuperuser`` make them (replaces pytest-django's fixture of the same name)."""
    from django.test import Client

    settings.BRIDGEWAY_REQUIRE_MFA = False
    sysadmin = people.sysadmin
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save(update_fields=["is_staff", "is_superuser"])
    client = Client()
    assert client.login(username="sysadmin", password="pw-sysadmin")
    return client


def child_payload(**overrides: Any) -> dict[str, Any]:
    """A valid registration payload; tests override what they exercise."""
    data: dict[str, Any] = {
        "sex": "female",
        "date_of_birth": (date.today() - timedelta(days=365 * 14)).isoformat(),
        "names": [
            {"kind": "given", "value": "Aisyah"},
            {"kind": "family", "value": "Rahman"},
        ],
        "aliases": [{"alias_type": "nickname", "value": "عائشة", "latin": "Aisha"}],
        "nationalities": ["ID"],
        "country_of_birth": "ID",
        "languages": ["id"],
        "identifiers": [{"id_type": "national_id", "value": "3201-1234-5678"}],
        "family": [{"relationship": "mother", "name": "Siti Rahman", "is_caregiver": True,
                    "is_legal_guardian": True, "phone": "+62 812 000 0000"}],
    }
    data.update(overrides)
    return data


@pytest.fixture
def register(people: Personas) -> Any:
    """register(actor=people.caseworker, child=..., case=...) -> Case, through the service."""
    from bridgeway.registry.services import child_register

    def _register(actor: Any = None, child: dict[str, Any] | None = None,
                  case: dict[str, Any] | None = None, **child_overrides: Any) -> Any:
        return child_register(actor=actor or people.caseworker,
                              child=child or child_payload(**child_overrides),
                              case=case or {"risk_level": "high"})

    return _register


# --- under CI=true a skipped test is a failure -------------------------------------------

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    outcome = yield
    report = outcome.get_result()
    if (os.environ.get("CI") == "true" and report.skipped
            and not hasattr(report, "wasxfail")):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"Skipped under CI=true, which is a failure: {reason}"


@pytest.fixture
def flushable_audit_on_postgresql(django_db_setup: Any, monkeypatch: Any) -> None:
    """Let the transactional test's final flush empty the append-only audit table.

    A PostgreSQL trigger refuses TRUNCATE on audit entries (as it should in production),
    so Django's flush after a transactional test fails and leaves the database dirty.
    Requested BEFORE ``transactional_db``, this fixture is torn down after the flush, and
    wraps the flush so the trigger is off only inside the flush's own transaction.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL (this run uses {connection.vendor}; set DATABASE_URL)")
    ops_class = type(connection.ops)
    original = ops_class.execute_sql_flush

    def execute_sql_flush(self: Any, sql_list: list[str]) -> Any:
        return original(self, ["ALTER TABLE audit_auditentry DISABLE TRIGGER USER",
                               *sql_list,
                               "ALTER TABLE audit_auditentry ENABLE TRIGGER USER"])

    monkeypatch.setattr(ops_class, "execute_sql_flush", execute_sql_flush)
