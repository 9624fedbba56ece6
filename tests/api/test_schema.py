"""The OpenAPI 3 schema is complete and valid: every operation declares its request body
and its responses, and drf-spectacular's validation passes with warnings as errors."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

BODY_METHODS = {"post", "put", "patch"}
EXPECTED_OPERATIONS = {
    ("get", "/api/v1/cases/"), ("post", "/api/v1/cases/"),
    ("post", "/api/v1/cases/duplicates/"),
    ("get", "/api/v1/cases/{case_id}/"), ("patch", "/api/v1/cases/{case_id}/"),
    ("put", "/api/v1/cases/{case_id}/child/"),
    ("post", "/api/v1/cases/{case_id}/notes/"), ("post", "/api/v1/cases/{case_id}/status/"),
    ("post", "/api/v1/cases/{case_id}/closure/"),
    ("post", "/api/v1/cases/{case_id}/closure/decision/"),
    ("post", "/api/v1/cases/{case_id}/reopen/"), ("post", "/api/v1/cases/{case_id}/assign/"),
    ("get", "/api/v1/auth/tokens/"), ("post", "/api/v1/auth/tokens/"),
    ("delete", "/api/v1/auth/tokens/{token_id}/"),
    # care: assessments, plans, services, reviews, decisions
    ("get", "/api/v1/care/cases/{case_id}/assessments/"),
    ("post", "/api/v1/care/cases/{case_id}/assessments/"),
    ("get", "/api/v1/care/assessments/{record_id}/"),
    ("post", "/api/v1/care/assessments/{record_id}/decision/"),
    ("post", "/api/v1/care/assessments/{record_id}/approval-request/"),
    ("get", "/api/v1/care/cases/{case_id}/plan/"),
    ("patch", "/api/v1/care/plan-goals/{goal_id}/"),
    ("patch", "/api/v1/care/plan-actions/{action_id}/"),
    ("get", "/api/v1/care/cases/{case_id}/services/"),
    ("post", "/api/v1/care/cases/{case_id}/services/"),
    ("get", "/api/v1/care/cases/{case_id}/reviews/"),
    ("post", "/api/v1/care/cases/{case_id}/reviews/"),
    # sharing: consent, referrals, shared record, transfers, break-glass, notifications,
    # data-subject requests
    ("get", "/api/v1/sharing/cases/{case_id}/consents/"),
    ("post", "/api/v1/sharing/cases/{case_id}/consents/"),
    ("post", "/api/v1/sharing/consents/{consent_id}/withdrawal/"),
    ("post", "/api/v1/sharing/consents/{consent_id}/withdrawal-review/"),
    ("get", "/api/v1/sharing/cases/{case_id}/referrals/"),
    ("post", "/api/v1/sharing/cases/{case_id}/referrals/"),
    ("get", "/api/v1/sharing/referrals/incoming/"),
    ("get", "/api/v1/sharing/referrals/outgoing/"),
    ("get", "/api/v1/sharing/referrals/{referral_id}/"),
    ("post", "/api/v1/sharing/referrals/{referral_id}/accept/"),
    ("post", "/api/v1/sharing/referrals/{referral_id}/decline/"),
    ("post", "/api/v1/sharing/referrals/{referral_id}/assign/"),
    ("post", "/api/v1/sharing/referrals/{referral_id}/service-reports/"),
    ("post", "/api/v1/sharing/referrals/{referral_id}/close/"),
    ("post", "/api/v1/sharing/referrals/{referral_id}/withdraw/"),
    ("get", "/api/v1/sharing/cases/{case_id}/shared-record/"),
    ("get", "/api/v1/sharing/cases/{case_id}/transfers/"),
    ("post", "/api/v1/sharing/cases/{case_id}/transfers/"),
    ("get", "/api/v1/sharing/transfers/incoming/"),
    ("post", "/api/v1/sharing/transfers/{transfer_id}/accept/"),
    ("post", "/api/v1/sharing/transfers/{transfer_id}/decline/"),
    ("post", "/api/v1/sharing/transfers/{transfer_id}/cancel/"),
    ("get", "/api/v1/sharing/break-glass/"), ("post", "/api/v1/sharing/break-glass/"),
    ("delete", "/api/v1/sharing/break-glass/{break_glass_id}/"),
    ("get", "/api/v1/sharing/break-glass/review/"),
    ("post", "/api/v1/sharing/break-glass/{break_glass_id}/review/"),
    ("get", "/api/v1/sharing/notifications/"),
    ("post", "/api/v1/sharing/notifications/read/"),
    ("get", "/api/v1/sharing/cases/{case_id}/export/"),
    ("get", "/api/v1/sharing/cases/{case_id}/corrections/"),
    ("post", "/api/v1/sharing/cases/{case_id}/corrections/"),
    ("post", "/api/v1/sharing/corrections/{correction_id}/decision/"),
}

JUSTICE_OPERATIONS = {
    ("get", "/api/v1/justice/cases/{id}/timeline/"),
    ("post", "/api/v1/justice/cases/{id}/timeline/sealed/"),
    ("get", "/api/v1/justice/deprived-of-liberty/"),
    ("get", "/api/v1/justice/facilities/"),
    ("get", "/api/v1/justice/rules/"),
    ("post", "/api/v1/justice/cases/{id}/agencies/"),
    ("post", "/api/v1/justice/cases/{id}/episodes/"),
    ("post", "/api/v1/justice/cases/{id}/events/"),
    ("post", "/api/v1/justice/episodes/{id}/correction/"),
    ("post", "/api/v1/justice/episodes/{id}/release/"),
    ("post", "/api/v1/justice/episodes/{id}/transfer/"),
    ("post", "/api/v1/justice/events/{id}/correction/"),
    ("post", "/api/v1/justice/rules/"),
}
EXPECTED_OPERATIONS |= JUSTICE_OPERATIONS


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker) -> dict:
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    with django_db_blocker.unblock():
        # Raises (SystemExit) on any warning or any OpenAPI validation error.
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_is_openapi_3_and_lists_every_endpoint(schema):
    assert schema["openapi"].startswith("3.")
    operations = {(method, path) for path, item in schema["paths"].items()
                  for method in item if method in {"get", "post", "put", "patch", "delete"}}
    assert operations == EXPECTED_OPERATIONS


def test_every_operation_declares_request_and_responses(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            if method in BODY_METHODS:
                content = op["requestBody"]["content"]
                assert list(content) == ["application/json"], where
                assert "$ref" in content["application/json"]["schema"], where
            ok = [code for code in op["responses"] if code.startswith("2")]
            assert len(ok) == 1, where
            if ok != ["204"]:
                assert op["responses"][ok[0]]["content"]["application/json"]["schema"], where
            assert "401" in op["responses"], where
            if "{case_id}" in path:
                assert "404" in op["responses"], where
            if method in BODY_METHODS:
                assert "400" in op["responses"], where


def test_versioned_edits_require_the_version(schema):
    components = schema["components"]["schemas"]
    for name in ("CaseUpdateInRequest", "ChildReplaceInRequest", "StatusInRequest"):
        assert "version" in components[name]["required"], name
    assert "409" in schema["paths"]["/api/v1/cases/{case_id}/"]["patch"]["responses"]


def test_both_authentications_are_described(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http",
                                     "scheme": "bearer"}
    assert "cookieAuth" in schemes


def test_schema_is_served_without_logging_in():
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Bridgeway API"
