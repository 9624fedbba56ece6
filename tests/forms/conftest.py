"""Fixtures for the forms tests: an uploaded test form, a case, device tokens."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser_support import browser, chromium_path, live_server  # noqa: F401
from tests.forms.odk_support import basic, collect_submission, visit_xlsx


@pytest.fixture
def visit_form(people: Any) -> Any:
    """The test visit form (every supported construct), uploaded by the system admin."""
    from bridgeway.forms.services import form_version_upload

    return form_version_upload(actor=people.sysadmin, file_bytes=visit_xlsx(),
                               purpose="follow_up").version


@pytest.fixture
def case(register: Any, people: Any) -> Any:
    """A case of agency A, assigned to ``people.caseworker``."""
    return register(actor=people.caseworker)


@pytest.fixture
def media_tmp(settings: Any, tmp_path: Any) -> Any:
    """Attachments go to a temporary folder, not the project's var/."""
    storages = dict(settings.STORAGES)
    storages["default"] = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                           "OPTIONS": {"location": str(tmp_path / "media")}}
    settings.STORAGES = storages
    return tmp_path / "media"


@pytest.fixture
def tokens(people: Any, media_tmp: Any) -> dict[str, str]:
    """Raw API tokens ("app passwords") by username."""
    from bridgeway.accounts.services import api_token_issue

    found = {}
    for user in (people.caseworker, people.supervisor, people.outsider, people.analyst,
                 people.sysadmin, people.other_caseworker):
        found[user.username] = api_token_issue(user=user, name="phone")[1]
    return found


@pytest.fixture
def device(client: Any, tokens: dict[str, str]) -> Any:
    """``device(user)`` -> a callable posting like ODK Collect as that user."""

    class Device:
        def __init__(self, username: str) -> None:
            self.auth = basic(username, tokens[username])

        def get(self, path: str, **params: Any) -> Any:
            return client.get(path, params, HTTP_AUTHORIZATION=self.auth,
                              HTTP_X_OPENROSA_VERSION="1.0")

        def head(self, path: str) -> Any:
            return client.head(path, HTTP_AUTHORIZATION=self.auth,
                               HTTP_X_OPENROSA_VERSION="1.0")

        def submit(self, xml: bytes, files: dict[str, bytes] | None = None) -> Any:
            from django.core.files.uploadedfile import SimpleUploadedFile

            data: dict[str, Any] = {"xml_submission_file": SimpleUploadedFile(
                "submission.xml", xml, "text/xml")}
            for name, content in (files or {}).items():
                data[name] = SimpleUploadedFile(name, content, "image/jpeg")
            return client.post("/odk/submission", data, HTTP_AUTHORIZATION=self.auth,
                               HTTP_X_OPENROSA_VERSION="1.0")

    return Device


def good_values(case_number: str, visit_date: str = "2025-01-10") -> dict[str, Any]:
    return {
        "case_number": case_number, "start": "2025-01-10T09:00:00.000+07:00",
        "visit_date": visit_date, "age": "14", "in_school": "yes",
        "school_name": "SD Negeri 3", "needs": "food health", "needs_count": "2",
        "siblings": "3", "distance_km": "12.5",
        "goal": [{"goal_text": "Back to school", "due_date": "2025-03-01",
                  "goal_status": "open"},
                 {"goal_text": "See family weekly", "due_date": "2025-02-01",
                  "goal_status": "done"}],
    }


@pytest.fixture
def submission(visit_form: Any, case: Any) -> Any:
    """``submission(**overrides)`` -> (xml bytes, instance id) for the visit form."""

    def make(instance_id: str | None = None, deprecated_id: str | None = None,
             **overrides: Any) -> tuple[bytes, str]:
        values = good_values(case.case_number)
        values.update(overrides)
        return collect_submission(visit_form.xform, values, instance_id=instance_id,
                                  deprecated_id=deprecated_id)

    return make
