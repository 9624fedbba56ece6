"""The validation engine against XLSForm semantics (pure: no database)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest

from bridgeway.forms.engine import evaluate_record, validate_record
from bridgeway.forms.xlsform import convert_xlsform
from tests.forms.conftest import good_values
from tests.forms.odk_support import (
    HEADER,
    make_xlsx,
    row,
    visit_choices,
    visit_settings,
    visit_xlsx,
)

TODAY = dt.date(2025, 1, 20)


@cache
def visit_schema() -> dict[str, Any]:
    return convert_xlsform(visit_xlsx()).schema


@cache
def nested_schema() -> dict[str, Any]:
    """Group relevance, relevance on a calculation, a nested repeat, required expression."""
    survey = [
        HEADER,
        row("text", "case_number", "Case", required="yes"),
        row("integer", "age", "Age"),
        row("calculate", "is_teen", calculation="if(${age} >= 13, 'yes', 'no')"),
        row("begin_group", "teen", "Teen questions", relevant="${is_teen} = 'yes'"),
        row("text", "phone", "Phone", required="yes"),
        row("begin_group", "inner", "Inner"),
        row("text", "inner_q", "Inner question", required="${age} > 15"),
        row("end_group"),
        row("end_group"),
        row("begin_repeat", "goal", "Goal"),
        row("text", "goal_text", "Goal", required="yes"),
        row("begin_repeat", "action", "Action"),
        row("text", "action_text", "Action", required="yes",
            constraint="string-length(.) <= 10", msg_en="Ten letters at most."),
        row("text", "action_note", "Note", relevant="${goal_text} = 'school'"),
        row("end_repeat"),
        row("end_repeat"),
    ]
    return convert_xlsform(make_xlsx(survey, [["list_name", "name", "label"]],
                                     visit_settings(form_id="bw_nested"))).schema


def check(values: dict[str, Any], **kwargs: Any) -> dict[str, list[str]]:
    return validate_record(visit_schema(), values, today=TODAY, **kwargs)


def values(**overrides: Any) -> dict[str, Any]:
    found = good_values("BW-2025-000001")
    found.update(overrides)
    return found


def test_good_values_pass_and_are_normalized() -> None:
    result = evaluate_record(visit_schema(), values(age="014", needs=" health  food "),
                             today=TODAY)
    assert result.errors == {}
    assert result.values["age"] == "14"
    assert result.values["needs"] == "health food"
    assert result.values["goal"][1] == {"goal_text": "See family weekly",
                                        "due_date": "2025-02-01", "goal_status": "done"}
    assert result.values["start"] == "2025-01-10T09:00:00.000+07:00"


def test_calculation_is_computed_not_taken_from_input() -> None:
    result = evaluate_record(visit_schema(), values(needs="food school health",
                                                    needs_count="99"), today=TODAY)
    assert result.values["needs_count"] == "3"


def test_required_field_missing() -> None:
    # As in ODK Collect, a comparison with an empty date is false: the goals' constraint
    # ". >= ${visit_date}" fails too while the visit date is missing.
    assert check(values(visit_date="")) == {"visit_date": ["This field is required."],
                                            "goal[1].due_date": ["Due after the visit."],
                                            "goal[2].due_date": ["Due after the visit."]}
    assert check(values(visit_date="", goal=[])) == {
        "visit_date": ["This field is required."]}
    data = values()
    del data["in_school"], data["school_name"]
    assert check(data) == {"in_school": ["This field is required."]}


def test_non_relevant_field_is_cleared_and_not_validated() -> None:
    result = evaluate_record(visit_schema(), values(in_school="no", school_name="x" * 20000),
                             today=TODAY)
    assert result.errors == {}
    assert result.values["school_name"] == ""
    assert "school_name" not in result.relevant and "in_school" in result.relevant


def test_required_only_when_relevant() -> None:
    assert check(values(in_school="yes", school_name="")) == {
        "school_name": ["This field is required."]}
    assert check(values(in_school="no", school_name="")) == {}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("age", "abc", "Enter a whole number."),
    ("age", "3.5", "Enter a whole number."),
    ("age", "99999999999", "Enter a whole number between -2147483647 and 2147483647."),
    ("distance_km", "1,5", "Enter a number."),
    ("distance_km", "1e3", "Enter a number."),
    ("visit_date", "2025-13-01", "Enter a date as YYYY-MM-DD."),
    ("visit_date", "10/01/2025", "Enter a date as YYYY-MM-DD."),
    ("in_school", "maybe", "'maybe' is not one of the choices."),
    ("needs", "food drink", "'drink' is not one of the choices."),
    ("needs", "food food", "A choice is selected more than once."),
    ("age", True, "Not a valid answer."),
    ("siblings", "1\x00", "Contains control characters."),
])
def test_type_checks(field: str, value: Any, message: str) -> None:
    assert check(values(goal=[], **{field: value})) == {field: [message]}


def test_numbers_given_as_numbers_are_accepted() -> None:
    result = evaluate_record(visit_schema(), values(age=12, distance_km=2.5), today=TODAY)
    assert result.errors == {}
    assert (result.values["age"], result.values["distance_km"]) == ("12", "2.5")


def test_constraint_message_in_the_users_language() -> None:
    assert check(values(age="20")) == {"age": ["Age must be 0 to 17."]}
    assert check(values(age="20"), language="ar") == {
        "age": ["يجب أن يكون العمر من 0 إلى 17."]}
    assert check(values(age="20"), language="Arabic (ar)") == {
        "age": ["يجب أن يكون العمر من 0 إلى 17."]}
    # an unknown language falls back to the form's default language
    assert check(values(age="20"), language="fr") == {"age": ["Age must be 0 to 17."]}


def test_constraint_not_checked_for_an_empty_answer() -> None:
    assert check(values(age="")) == {}


def test_constraint_reads_the_typed_value() -> None:
    # "9" > "17" as text, but 9 < 17 as numbers: the integer field compares as a number
    assert check(values(age="9")) == {}
    assert check(values(age="-1")) == {"age": ["Age must be 0 to 17."]}


def test_constraint_with_today() -> None:
    assert check(values(visit_date="2025-01-21")) == {"visit_date": ["Not in the future."]}
    assert validate_record(visit_schema(), values(visit_date="2025-01-21"),
                           today=dt.date(2025, 1, 21)) == {}


def test_select_multiple_constraint() -> None:
    assert check(values(needs="none food")) == {"needs": ["'None' excludes the others."]}
    assert check(values(needs="none")) == {}


def test_repeat_paths_and_constraints_reading_outside_the_repeat() -> None:
    data = values()
    data["goal"][1]["due_date"] = "2025-01-01"  # before the visit
    data["goal"][0]["goal_text"] = ""
    assert check(data) == {"goal[1].goal_text": ["This field is required."],
                           "goal[2].due_date": ["Due after the visit."]}


def test_repeat_must_be_a_list_of_rows() -> None:
    assert check(values(goal="not rows")) == {"goal": ["Expected a list of rows."]}
    assert check(values(goal=[])) == {}


def test_unknown_fields_are_errors() -> None:
    assert check(values(nickname="x")) == {"nickname": ["Unknown field."]}
    data = values()
    data["goal"][0]["extra"] = "x"
    assert check(data) == {"goal[1].extra": ["Unknown field."]}


def test_not_an_object() -> None:
    assert list(check(["a"])) == ["__all__"]  # type: ignore[arg-type]


def test_text_length_limit(settings: Any) -> None:
    settings.BRIDGEWAY_MAX_TEXT = 20
    assert check(values(school_name="x" * 21, goal=[])) == {
        "school_name": ["At most 20 characters (got 21)."]}
    assert check(values(school_name="x" * 20, goal=[])) == {}


def test_drafts_skip_required_but_not_constraints() -> None:
    result = evaluate_record(visit_schema(), {"case_number": "BW-1", "age": "30"},
                             today=TODAY, require=False)
    assert result.errors == {"age": ["Age must be 0 to 17."]}


def test_group_relevance_follows_a_calculation() -> None:
    schema = nested_schema()
    young = evaluate_record(schema, {"case_number": "c", "age": "10", "phone": "123"},
                            today=TODAY)
    assert young.errors == {}
    assert young.values["is_teen"] == "no" and young.values["phone"] == ""
    assert "teen" not in young.relevant and "phone" not in young.relevant
    teen = evaluate_record(schema, {"case_number": "c", "age": "14"}, today=TODAY)
    assert teen.values["is_teen"] == "yes"
    assert teen.errors == {"phone": ["This field is required."]}


def test_required_expression() -> None:
    schema = nested_schema()
    assert validate_record(schema, {"case_number": "c", "age": "14", "phone": "1"},
                           today=TODAY) == {}
    assert validate_record(schema, {"case_number": "c", "age": "16", "phone": "1"},
                           today=TODAY) == {"inner_q": ["This field is required."]}


def test_nested_repeat_reads_its_parent_row() -> None:
    schema = nested_schema()
    data = {"case_number": "c", "age": "1", "goal": [
        {"goal_text": "school", "action": [{"action_text": "enrol", "action_note": "n"},
                                           {"action_text": "a very long action"}]},
        {"goal_text": "family", "action": [{"action_text": "visit", "action_note": "dropped"}]},
    ]}
    result = evaluate_record(schema, data, today=TODAY)
    assert result.errors == {"goal[1].action[2].action_text": ["Ten letters at most."]}
    assert result.values["goal"][0]["action"][0]["action_note"] == "n"
    assert result.values["goal"][1]["action"][0]["action_note"] == ""  # not relevant
    assert "goal[1].action[1].action_note" in result.relevant
    assert "goal[2].action[1].action_note" not in result.relevant


def test_or_other_text_is_relevant_only_for_other() -> None:
    survey = [HEADER, row("text", "case_number", "Case", required="yes"),
              row("select_one yes_no or_other", "attends", "Attends?", required="yes")]
    schema = convert_xlsform(make_xlsx(survey, visit_choices(), visit_settings())).schema
    result = evaluate_record(schema, {"case_number": "c", "attends": "other",
                                      "attends_other": "sometimes"}, today=TODAY)
    assert result.errors == {} and result.values["attends_other"] == "sometimes"
    result = evaluate_record(schema, {"case_number": "c", "attends": "yes",
                                      "attends_other": "sometimes"}, today=TODAY)
    assert result.values["attends_other"] == ""


def test_generic_messages_follow_the_form_language() -> None:
    errors = check(values(visit_date="", goal=[]), language="ar")
    assert errors == {"visit_date": ["هذا الحقل مطلوب."]}
