"""form_version_upload: good workbooks become immutable versions; bad ones are refused
with the row and construct named, and nothing is stored."""

from __future__ import annotations

import hashlib
import io
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from bridgeway.audit.models import AuditEntry
from bridgeway.core.errors import NotAllowed, ValidationFailed
from bridgeway.forms.models import FormDefinition, FormVersion, ImmutableError
from bridgeway.forms.services import form_version_upload
from bridgeway.forms.xlsform import FormRejected
from tests.forms.odk_support import (
    make_xlsx,
    row,
    visit_choices,
    visit_settings,
    visit_survey,
    visit_xlsx,
)

pytestmark = pytest.mark.django_db
NEW = len(visit_survey()) + 1  # the row number of a row appended to the test survey


def upload(people: Any, data: bytes, purpose: str = "follow_up") -> Any:
    return form_version_upload(actor=people.sysadmin, file_bytes=data, purpose=purpose)


def rejected(people: Any, data: bytes) -> FormRejected:
    with pytest.raises(FormRejected) as caught:
        upload(people, data)
    assert FormDefinition.objects.count() == 0
    assert FormVersion.objects.count() == 0
    return caught.value


def with_rows(*extra: list[str], at: int | None = None) -> bytes:
    survey = visit_survey()
    position = len(survey) if at is None else at
    survey[position:position] = list(extra)
    return make_xlsx(survey, visit_choices(), visit_settings())


def one_problem(error: FormRejected) -> Any:
    assert len(error.problems) == 1, error.problems
    return error.problems[0]


# --------------------------------------------------------------------------
# Good uploads


def test_upload_stores_an_immutable_version_with_schema(people: Any) -> None:
    data = visit_xlsx()
    result = upload(people, data)
    version = result.version
    assert result.created and result.warnings == []
    assert (version.form.form_id, version.version, version.form.purpose) == (
        "bw_test_visit", "1", "follow_up")
    assert bytes(version.xlsx) == data
    assert version.sha256 == hashlib.sha256(data).hexdigest()
    assert "<h:html" in version.xform and len(version.xform_md5) == 32
    fields = {f["name"]: f for f in version.schema["fields"]}
    assert fields["age"]["label"]["Arabic (ar)"] == "العمر"
    assert fields["age"]["constraint_message"]["English (en)"] == "Age must be 0 to 17."
    assert fields["age"]["category"] == "identity"
    assert fields["in_school"]["choices"][0] == {
        "name": "yes", "label": {"English (en)": "Yes", "Arabic (ar)": "نعم"}}
    assert fields["school_name"]["relevant"] == "${in_school} = 'yes'"
    assert fields["needs_count"]["calculation"] == "count-selected(${needs})"
    assert [c["name"] for c in fields["family"]["children"]] == ["siblings", "distance_km"]
    goal = fields["goal"]
    assert goal["kind"] == "repeat" and goal["row"] == 14
    assert goal["children"][2]["default"] == "open"
    assert version.schema["languages"] == ["English (en)", "Arabic (ar)"]
    assert AuditEntry.objects.filter(object_type="form_version",
                                     object_id="bw_test_visit:1").exists()
    with pytest.raises(ImmutableError):
        version.title = "changed"
        version.save()


def test_same_workbook_twice_adds_nothing(people: Any) -> None:
    first = upload(people, visit_xlsx())
    again = upload(people, visit_xlsx())
    assert not again.created and again.version.pk == first.version.pk
    assert FormVersion.objects.count() == 1


def test_same_form_saved_again_with_other_file_bytes_adds_nothing(people: Any) -> None:
    # Spreadsheet programs rewrite timestamps and metadata on every save; the form is the
    # same, so the upload must be recognised as the stored version, not refused.
    first = upload(people, visit_xlsx())
    book = load_workbook(io.BytesIO(visit_xlsx()))
    book.properties.creator = "someone else"
    book.properties.title = "re-saved"
    out = io.BytesIO()
    book.save(out)
    resaved = out.getvalue()
    assert hashlib.sha256(resaved).hexdigest() != first.version.sha256
    again = upload(people, resaved)
    assert not again.created and again.version.pk == first.version.pk
    assert FormVersion.objects.count() == 1


def test_a_new_version_keeps_the_old_one(people: Any) -> None:
    first = upload(people, visit_xlsx("1")).version
    second = upload(people, visit_xlsx("2")).version
    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.version == "1" and first.form.current_version() == second


def test_same_version_with_other_content_is_refused(people: Any) -> None:
    upload(people, visit_xlsx("1"))
    survey = visit_survey()
    survey.append(row("text", "extra", "Extra"))
    with pytest.raises(ValidationFailed, match="already exists with different content"):
        upload(people, make_xlsx(survey, visit_choices(), visit_settings("1")))
    assert FormVersion.objects.count() == 1


def test_only_administrators_upload(people: Any) -> None:
    for user in (people.caseworker, people.supervisor, people.analyst):
        with pytest.raises(NotAllowed):
            upload_as(user, visit_xlsx())
    assert FormVersion.objects.count() == 0


def upload_as(user: Any, data: bytes) -> Any:
    return form_version_upload(actor=user, file_bytes=data, purpose="follow_up")


def test_unknown_purpose_and_purpose_change_are_refused(people: Any) -> None:
    with pytest.raises(ValidationFailed, match="Unknown purpose"):
        upload(people, visit_xlsx(), purpose="something")
    upload(people, visit_xlsx("1"), purpose="follow_up")
    with pytest.raises(ValidationFailed, match="registered for 'follow_up'"):
        upload(people, visit_xlsx("2"), purpose="closure")


def test_or_other_adds_the_other_choice_and_its_text(people: Any) -> None:
    data = with_rows(row("select_one yes_no or_other", "attends", "Attends?"))
    result = upload(people, data)
    fields = {f["name"]: f for f in result.version.schema["fields"]}
    assert [c["name"] for c in fields["attends"]["choices"]] == ["yes", "no", "other"]
    assert fields["attends"]["or_other"] is True
    assert fields["attends_other"]["relevant"] == "selected(${attends}, 'other')"
    # pyxform adds "other" to the shared list; other questions using it do not get it.
    assert [c["name"] for c in fields["in_school"]["choices"]] == ["yes", "no"]
    assert any("other" in w.lower() for w in result.warnings)  # untranslated "Other"


# --------------------------------------------------------------------------
# Bad workbooks, one at a time


def test_malformed_workbook(people: Any) -> None:
    problem = one_problem(rejected(people, b"PK\x03\x04 definitely not a workbook"))
    assert "Not an XLSForm .xlsx workbook" in problem.message
    problem = one_problem(rejected(people, b"type,name\ntext,a\n"))
    assert problem.sheet == "workbook"


def test_missing_survey_sheet(people: Any) -> None:
    data = make_xlsx([["nothing"]], visit_choices(), visit_settings())
    book = load_workbook(io.BytesIO(data))
    book["survey"].title = "questions"
    out = io.BytesIO()
    book.save(out)
    problem = one_problem(rejected(people, out.getvalue()))
    assert problem.construct == "survey" and "no 'survey' sheet" in problem.message


def test_pyxform_error_is_reported_with_its_row(people: Any) -> None:
    survey = visit_survey()
    survey.append(row("begin_group", "unclosed", "Unclosed"))
    problem = one_problem(rejected(people, make_xlsx(survey, visit_choices(),
                                                     visit_settings())))
    assert problem.row == NEW and problem.construct == "pyxform"
    assert "XLSForm error" in problem.message and "end_group" in problem.message


def test_missing_choice_list_is_a_pyxform_error(people: Any) -> None:
    problem = one_problem(rejected(people, with_rows(row("select_one nolist", "x", "X"))))
    assert "XLSForm error" in problem.message and "nolist" in problem.message


def test_duplicate_field_names(people: Any) -> None:
    error = rejected(people, with_rows(row("integer", "age", "Age again")))
    problem = one_problem(error)
    assert (problem.row, problem.construct) == (NEW, "age")
    assert "duplicate name 'age' (also on row 5)" in problem.message
    assert f"survey row {NEW}" in str(error)


def test_duplicate_names_in_different_groups_are_refused_too(people: Any) -> None:
    data = with_rows(row("begin_group", "g2", "G2"), row("integer", "siblings", "S"),
                     row("end_group"))
    problem = one_problem(rejected(people, data))
    assert problem.construct == "siblings" and problem.row == NEW + 1


@pytest.mark.parametrize("type_", ["geopoint", "image", "audio", "range", "rank yes_no",
                                   "select_one_from_file schools.csv", "begin_loop",
                                   "datetime", "barcode"])
def test_unsupported_question_types(people: Any, type_: str) -> None:
    problem = one_problem(rejected(people, with_rows(row(type_, "thing", "Thing"))))
    assert (problem.row, problem.construct) == (NEW, type_)
    assert f"question type '{type_}' is not supported" in problem.message


def test_unknown_question_type(people: Any) -> None:
    problem = one_problem(rejected(people, with_rows(row("textt", "thing", "Thing"))))
    assert problem.row == NEW and "unknown question type 'textt'" in problem.message


@pytest.mark.parametrize(("column", "value", "feature"), [
    ("choice_filter", "${in_school} = 'yes'", "choice filters"),
    ("repeat_count", "3", "repeat counts"),
    ("trigger", "${age}", "triggers"),
    ("media::image::English (en)", "a.png", "media labels"),
    ("parameters", "randomize=true", "question parameters"),
])
def test_unsupported_columns(people: Any, column: str, value: str, feature: str) -> None:
    survey = visit_survey()
    survey[0] = [*survey[0], column]
    for r in survey[1:]:
        r.append("")
    survey[4][-1] = value  # the "age" row
    problem = one_problem(rejected(people, make_xlsx(survey, visit_choices(),
                                                     visit_settings())))
    assert (problem.row, problem.construct) == (5, column)
    assert feature in problem.message


def test_entities_sheet_is_refused(people: Any) -> None:
    data = make_xlsx(visit_survey(), visit_choices(), visit_settings(),
                     extra={"entities": [["list_name", "label"], ["people", "${age}"]]})
    problem = one_problem(rejected(people, data))
    assert problem.construct == "entities"


def test_unknown_data_category(people: Any) -> None:
    problem = one_problem(rejected(people, with_rows(row("text", "nick", "Nick",
                                                         category="gossip"))))
    assert (problem.row, problem.construct) == (NEW, "bind::bw:category")
    assert "unknown data category 'gossip'" in problem.message


def test_cyclic_calculations(people: Any) -> None:
    data = with_rows(row("calculate", "a", calculation="${b} + 1"),
                     row("calculate", "b", calculation="${a} * 2"))
    problem = one_problem(rejected(people, data))
    assert problem.row == NEW
    assert problem.construct == "${a} -> ${b} -> ${a}"
    assert "cycle" in problem.message


def test_self_referencing_calculation(people: Any) -> None:
    problem = one_problem(rejected(people, with_rows(row("calculate", "a",
                                                         calculation=". + 1"))))
    assert problem.row == NEW and "cycle" in problem.message


def test_relevance_cycle(people: Any) -> None:
    data = with_rows(row("text", "p", "P", relevant="${q} = ''"),
                     row("text", "q", "Q", relevant="${p} = ''"))
    problem = one_problem(rejected(people, data))
    assert (problem.row, problem.construct) == (NEW, "${p} -> ${q} -> ${p}")
    assert "relevance and calculations form a cycle" in problem.message


@pytest.mark.parametrize(("column", "expression", "construct"), [
    ("relevant", "${age} >", "${age} >"),
    ("constraint", ". > (3", "(3"),
    ("relevant", "${age} = = 3", "${age} = = 3"),
])
def test_expression_syntax_errors(people: Any, column: str, expression: str,
                                  construct: str) -> None:
    data = with_rows(row("integer", "n", "N", **{column: expression}))
    problem = one_problem(rejected(people, data))
    assert problem.row == NEW
    assert f"{column} of 'n'" in problem.message and "syntax error" in problem.message
    assert expression in problem.message


@pytest.mark.parametrize(("expression", "construct"), [
    ("pulldata('people', 'age', 'id', ${case_number})", "pulldata"),
    ("/data/age > 3", "/"),
    ("count(${needs}) > 1", "count"),
    ("instance('yes_no')/root/item", "instance"),
])
def test_unsupported_functions_and_paths(people: Any, expression: str, construct: str
                                         ) -> None:
    data = with_rows(row("calculate", "c", calculation=expression))
    problem = one_problem(rejected(people, data))
    assert (problem.row, problem.construct) == (NEW, construct)
    assert "unsupported construct" in problem.message


def test_reference_to_an_unknown_field(people: Any) -> None:
    # pyxform finds this one itself; either way the row and the name are given
    data = with_rows(row("integer", "n", "N", constraint=". < ${nope}"))
    problem = one_problem(rejected(people, data))
    assert problem.row == NEW and "nope" in problem.message


def test_reference_into_a_repeat_from_outside(people: Any) -> None:
    data = with_rows(row("text", "summary", "Summary", relevant="${goal_text} != ''"))
    problem = one_problem(rejected(people, data))
    assert (problem.row, problem.construct) == (NEW, "${goal_text}")
    assert "inside repeat 'goal'" in problem.message


def test_dynamic_default_is_refused(people: Any) -> None:
    problem = one_problem(rejected(people, with_rows(row("date", "d", "D",
                                                         default="today()"))))
    assert (problem.row, problem.construct) == (NEW, "default")


def test_case_number_field_is_required(people: Any) -> None:
    survey = [r for r in visit_survey() if r[1] not in ("case_number", "thanks")]
    problem = one_problem(rejected(people, make_xlsx(survey, visit_choices(),
                                                     visit_settings())))
    assert problem.construct == "case_number"


def test_settings_must_give_form_id_and_version(people: Any) -> None:
    settings = [["form_title"], ["No id"]]
    error = rejected(people, make_xlsx(visit_survey(), visit_choices(), settings))
    assert {p.construct for p in error.problems} == {"form_id", "version"}


def test_every_problem_is_listed(people: Any) -> None:
    data = with_rows(row("geopoint", "where", "Where"), row("integer", "age", "Again"))
    error = rejected(people, data)
    assert [p.row for p in error.problems] == [NEW, NEW + 1]
    assert len(error.errors["file"]) == 2


# --------------------------------------------------------------------------
# Built-in forms


def test_forms_load_builtin_is_idempotent(db: Any) -> None:
    from bridgeway.forms.builtin import BUILTIN_FORMS

    out = StringIO()
    call_command("forms_load_builtin", stdout=out)
    assert FormVersion.objects.count() == len(BUILTIN_FORMS)
    assert "warning" not in out.getvalue()
    assert out.getvalue().count(": loaded") == len(BUILTIN_FORMS)
    out = StringIO()
    call_command("forms_load_builtin", stdout=out)
    assert FormVersion.objects.count() == len(BUILTIN_FORMS)
    assert out.getvalue().count(": unchanged") == len(BUILTIN_FORMS)
    purposes = dict(FormDefinition.objects.values_list("form_id", "purpose"))
    assert purposes["bw_psychosocial_assessment"] == "psychosocial_assessment"
    assert purposes["bw_follow_up_visit"] == "follow_up"
    assert purposes["bw_case_closure"] == "closure"


def test_absurdly_long_sheet_is_refused(people: Any, monkeypatch: Any) -> None:
    from bridgeway.forms import xlsform

    monkeypatch.setattr(xlsform, "MAX_SHEET_ROWS", 10)
    problem = one_problem(rejected(people, visit_xlsx()))
    assert (problem.sheet, problem.row) == ("survey", 11) and "more than 10 rows" in problem.message
