"""Bad input through the API: 400 with field-level messages, and nothing stored."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bridgeway.audit.models import AuditEntry
from bridgeway.cases.models import Case
from tests.api.conftest import record_counts
from tests.conftest import child_payload

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"
NAME = {"kind": "given", "value": "Aisyah"}


def _years_ago(years: int, days: int = 0) -> str:
    return (date.today() - timedelta(days=365 * years + years // 4 + days)).isoformat()


def _register_refused(client, body, field: str, *, raw: bool = False) -> dict:
    before = record_counts()
    creates = AuditEntry.objects.filter(action="create").count()
    if raw:
        response = client.generic("POST", CASES, body, content_type="application/json")
    else:
        response = client.post(CASES, body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors, errors
    assert all(isinstance(m, str) and m for m in errors[field])
    assert record_counts() == before
    assert AuditEntry.objects.filter(action="create").count() == creates
    return errors


@pytest.mark.parametrize("child_overrides,field", [
    # wrong JSON types
    ({"names": "Aisyah Rahman"}, "child.names"),
    ({"names": ["Aisyah"]}, "child.names[0]"),
    ({"names": [{"kind": "given", "value": 42}]}, "child.names[0].value"),
    ({"date_of_birth": 20100101}, "child.date_of_birth"),
    ({"date_of_birth_estimated": "maybe"}, "child.date_of_birth_estimated"),
    ({"born_abroad": 1}, "child.born_abroad"),
    ({"nationalities": "ID"}, "child.nationalities"),
    ({"nationalities": ["ID", 7]}, "child.nationalities[1]"),
    ({"age_assessments": [{"claimed_age_years": "15"}]}, "child.age_assessments[0]."
                                                         "claimed_age_years"),
    ({"age_assessments": [{"assessed_min_years": True}]}, "child.age_assessments[0]."
                                                          "assessed_min_years"),
    ({"family": [{"relationship": "mother", "name": "Siti", "is_caregiver": "yes"}]},
     "child.family[0].is_caregiver"),
    ({"sex": ["female"]}, "child.sex"),
    # missing names and parts
    ({"names": []}, "child.names"),
    ({"names": None}, "child.names"),
    ({"names": [{"kind": "given"}]}, "child.names[0].value"),
    ({"names": [{"kind": "given", "value": "   "}]}, "child.names[0].value"),
    ({"names": [{"value": "Aisyah"}]}, "child.names[0].kind"),
    # impossible or out-of-range dates
    ({"date_of_birth": "2010-02-30"}, "child.date_of_birth"),
    ({"date_of_birth": "30/01/2010"}, "child.date_of_birth"),
    ({"date_of_birth": (date.today() + timedelta(days=3)).isoformat()},
     "child.date_of_birth"),
    ({"age_assessments": [{"claimed_date_of_birth": "2012-13-01"}]},
     "child.age_assessments[0].claimed_date_of_birth"),
    # 18 or over by the lowest plausible age
    ({"date_of_birth": _years_ago(19)}, "__all__"),
    ({"date_of_birth": None, "age_assessments": [{"method": "claimed",
                                                  "claimed_age_years": 21}]}, "__all__"),
    # unknown scripts
    ({"names": [{**NAME, "script": "Zzzz"}]}, "child.names[0].script"),
    ({"names": [{"kind": "given", "value": "ნინო"}]}, "child.names[0].value"),
    ({"names": [{"kind": "given", "value": "Ali محمد"}]}, "child.names[0].value"),
    # oversized text
    ({"names": [{"kind": "given", "value": "A" * 201}]}, "child.names[0].value"),
    ({"place_of_birth": "x" * 201}, "child.place_of_birth"),
    ({"names": [NAME] * 51}, "child.names"),
    # unknown values
    ({"sex": "boy"}, "child.sex"),
    ({"nationalities": ["XX"]}, "child.nationalities[0]"),
    # unknown fields, at every level
    ({"nickname": "Ais"}, "child.nickname"),
    ({"names": [{**NAME, "position": 1}]}, "child.names[0].position"),
])
def test_bad_child_is_refused_with_its_field_path(people, api, child_overrides, field):
    body = {"child": child_payload(**child_overrides), "case": {"risk_level": "high"}}
    _register_refused(api(people.caseworker), body, field)


def test_eighteen_plus_message_explains_the_benefit_of_the_doubt(people, api):
    errors = _register_refused(api(people.caseworker),
                               {"child": child_payload(date_of_birth=_years_ago(20))},
                               "__all__")
    assert "under 18" in errors["__all__"][0]
    assert "lowest" in errors["__all__"][0]


def test_a_child_assessed_below_18_is_registered_even_if_older_claimed(people, api):
    child = child_payload(date_of_birth=None, age_assessments=[
        {"method": "claimed", "claimed_age_years": 19},
        {"method": "medical", "assessed_min_years": 16.5, "assessed_max_years": 20}])
    response = api(people.caseworker).post(CASES, {"child": child}, format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("case,field", [
    ({"risk_level": 3}, "case.risk_level"),
    ({"risk_level": "extreme"}, "case.risk_level"),
    ({"association_from": "2020-01-01", "association_to": "2019-01-01"},
     "case.association_to"),
    ({"alleged_offence": "x" * 2001}, "case.alleged_offence"),
    ({"assigned_to": "caseworker"}, "case.assigned_to"),
    ({"assigned_to": 999_999}, "case.assigned_to"),
    ({"status": "closed"}, "case.status"),
    ("high", "case"),
])
def test_bad_case_details_are_refused(people, api, case, field):
    _register_refused(api(people.supervisor), {"child": child_payload(), "case": case}, field)


def test_every_problem_is_reported_at_once(people, api):
    body = {"child": child_payload(names=[{"kind": "given", "value": "A" * 201}],
                                   date_of_birth="2010-02-30", sex="boy"),
            "case": {"risk_level": "extreme"}}
    errors = _register_refused(api(people.caseworker), body, "child.names[0].value")
    assert {"child.date_of_birth", "child.sex", "case.risk_level"} <= set(errors)


@pytest.mark.parametrize("raw", [
    b'{"child": ', b"not json", b'{"child": NaN}', b"\xff\xfe", b'{"child": {"names": [}}'])
def test_malformed_json_is_a_400(people, api, raw):
    _register_refused(api(people.caseworker), raw, "__all__", raw=True)


@pytest.mark.parametrize("body,field", [
    ([], "__all__"),
    ("child", "__all__"),
    ({}, "child"),
    ({"child": child_payload(), "extra": 1}, "extra"),
    ({"child": None}, "child"),
])
def test_wrong_top_level_shape_is_a_400(people, api, body, field):
    _register_refused(api(people.caseworker), body, field)


def test_form_posts_are_not_accepted(people, api):
    before = record_counts()
    response = api(people.caseworker).post(CASES, {"child": "x"})  # multipart
    assert response.status_code == 415
    assert record_counts() == before


def test_oversized_body_is_refused(people, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    before = record_counts()
    body = {"child": child_payload(place_of_birth="x" * 3_000)}
    response = api(people.caseworker).post(CASES, body, format="json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}
    assert record_counts() == before


# --- edits -------------------------------------------------------------------------------

@pytest.mark.parametrize("body,field", [
    ({"risk_level": "low"}, "version"),
    ({"version": "1", "risk_level": "low"}, "version"),
    ({"version": 0, "risk_level": "low"}, "version"),
    ({"version": 1, "risk_level": "extreme"}, "risk_level"),
    ({"version": 1, "risk_level": None, "status": "closed"}, "status"),
    ({"version": 1, "case_number": "BW-1"}, "case_number"),
    ({"version": 1, "victim_recognized_on": "2024-02-31"}, "victim_recognized_on"),
    ({"version": 1, "victim_status": True}, "victim_status"),
])
def test_bad_case_edit_changes_nothing(people, api, register, body, field):
    case = register()
    response = api(people.caseworker).patch(f"{CASES}{case.pk}/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.version, fresh.risk_level) == (1, "high")


@pytest.mark.parametrize("overrides,field", [
    ({"names": []}, "names"),
    ({"names": "Aisyah"}, "names"),
    ({"date_of_birth": "2010-02-30"}, "date_of_birth"),
    ({"date_of_birth": _years_ago(25)}, "__all__"),
    ({"version": "1"}, "version"),
    ({"version": None}, "version"),
    ({"public_id": "x"}, "public_id"),
])
def test_bad_child_edit_changes_nothing(people, api, register, overrides, field):
    case = register()
    before = record_counts()
    body = {**child_payload(), "version": 1, **overrides}
    response = api(people.caseworker).put(f"{CASES}{case.pk}/child/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    case.child.refresh_from_db()
    assert case.child.version == 1
    assert record_counts() == before


@pytest.mark.parametrize("path,body,field", [
    ("notes/", {}, "body"),
    ("notes/", {"body": ""}, "body"),
    ("notes/", {"body": 5}, "body"),
    ("notes/", {"body": "x" * 10_001}, "body"),
    ("notes/", {"body": "ok", "pinned": True}, "pinned"),
    ("status/", {"status": "closed", "version": 1}, "status"),
    ("status/", {"status": "assessment"}, "version"),
    ("closure/", {"reason": "bored"}, "reason"),
    ("closure/", {"reason": "other"}, "note"),
    ("closure/decision/", {"decision": "maybe"}, "decision"),
    ("closure/decision/", {"decision": True}, "decision"),
    ("reopen/", {}, "reason"),
    ("assign/", {"assigned_to": "other_caseworker"}, "assigned_to"),
    ("assign/", {"assigned_to": 2**70}, "assigned_to"),
])
def test_bad_workflow_input_changes_nothing(people, api, register, path, body, field):
    case = register()
    before = record_counts()
    response = api(people.supervisor).post(f"{CASES}{case.pk}/{path}", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.version, fresh.status) == (1, "registration")
    assert record_counts() == before


@pytest.mark.parametrize("params,field", [
    ({"status": "bogus"}, "status"),
    ({"risk": "extreme"}, "risk"),
    ({"assigned_to": "me"}, "assigned_to"),
    ({"overdue": "maybe"}, "overdue"),
    ({"cursor": "!!not-a-cursor!!"}, "cursor"),
    ({"page": "2"}, "page"),
])
def test_bad_list_parameters_are_a_400(people, api, params, field):
    response = api(people.caseworker).get(CASES, params)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_duplicates_check_validates_shape_and_stores_nothing(people, api, register):
    register()
    before = record_counts()
    response = api(people.caseworker).post(f"{CASES}duplicates/", {"names": "Aisyah"},
                                           format="json")
    assert response.status_code == 400
    assert "names" in response.json()["errors"]
    ok = api(people.caseworker).post(f"{CASES}duplicates/", child_payload(), format="json")
    assert ok.status_code == 200
    assert record_counts() == before


def test_parser_caps_a_body_read_straight_from_the_stream(settings):
    import io

    from rest_framework.exceptions import ParseError

    from bridgeway.api.parsers import BodyTooLarge, BoundedJSONParser

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    parser = BoundedJSONParser()
    assert parser.parse(io.BytesIO(b'{"a": "' + b"x" * 80 + b'"}')) == {"a": "x" * 80}
    with pytest.raises(BodyTooLarge):
        parser.parse(io.BytesIO(b'{"a": "' + b"x" * 200 + b'"}'))
    with pytest.raises(ParseError):
        parser.parse(io.BytesIO(b'{"a": Infinity}'))
