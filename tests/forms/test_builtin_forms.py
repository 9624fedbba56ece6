"""The built-in XLSForm workbooks: valid, translated, categorized, up to date.

These tests read the committed ``.xlsx`` files (what an installation ships),
not the Python definitions, except for the up-to-date check which rebuilds
them into a temporary folder.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from defusedxml import ElementTree
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from bridgeway.forms.builtin import (
    BUILTIN_DIR,
    BUILTIN_FORMS,
    CATEGORY_COLUMN,
    CATEGORY_NAMESPACE_URI,
    BuiltinForm,
    FormPurpose,
    builtin_form,
)

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "tools" / "build_builtin_forms.py"

LANGS = ("English (en)", "Arabic (ar)", "Indonesian (id)")
ALLOWED_CATEGORIES = {
    "identity",
    "contact_location",
    "family",
    "health",
    "psychosocial",
    "education",
    "justice",
    "association_history",
    "protection_concerns",
    "case_management",
}
ALLOWED_TYPES = {
    "text",
    "integer",
    "decimal",
    "date",
    "note",
    "calculate",
    "begin_group",
    "end_group",
    "begin_repeat",
    "end_repeat",
}
ALLOWED_COLUMNS = {
    "type",
    "name",
    "required",
    "relevant",
    "constraint",
    "calculation",
    "default",
    "appearance",
    CATEGORY_COLUMN,
    *(f"{prefix}::{lang}" for prefix in ("label", "hint", "constraint_message") for lang in LANGS),
}
ALLOWED_FUNCTIONS = {
    "selected",
    "count-selected",
    "string-length",
    "today",
    "if",
    "not",
    "concat",
    "coalesce",
    "int",
    "number",
    "round",
}
DECISION_PURPOSES = {
    FormPurpose.PSYCHOSOCIAL_ASSESSMENT,
    FormPurpose.BIA_SHORT,
    FormPurpose.BIA_COMPREHENSIVE,
    FormPurpose.BID_PANEL,
    FormPurpose.REINTEGRATION_PLAN,
    FormPurpose.CASE_CLOSURE,
}
# Stigmatizing labels the standards ask us never to use, in the three languages.
FORBIDDEN = (
    "radicali",
    "radicalis",
    "child " + "terrorist",
    "child soldier",
    "radikal",
    "anak teroris",
    "teroris anak",
    "tentara anak",
    "prajurit anak",
    "التطرف",
    "تطرف",
    "اجتثاث",
    "راديكال",
    "الطفل الإرهابي",
    "الأطفال الإرهابيين",
    "جندي طفل",
    "الأطفال الجنود",
)
ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")
FUNCTION_CALL = re.compile(r"([A-Za-z_][\w.-]*)\s*\(")

Sheet = list[dict[str, str]]


def _rows(path: Path, sheet: str) -> Sheet:
    workbook = load_workbook(path, read_only=True)
    try:
        values = list(workbook[sheet].iter_rows(values_only=True))
    finally:
        workbook.close()
    header = [str(cell) for cell in values[0]]
    return [
        {
            column: "" if cell is None else str(cell)
            for column, cell in zip(header, row, strict=True)
        }
        for row in values[1:]
    ]


@cache
def survey(form_id: str) -> Sheet:
    return _rows(builtin_form(form_id=form_id).path, "survey")


@cache
def choices(form_id: str) -> Sheet:
    return _rows(builtin_form(form_id=form_id).path, "choices")


@cache
def settings(form_id: str) -> dict[str, str]:
    (row,) = _rows(builtin_form(form_id=form_id).path, "settings")
    return row


def field(form_id: str, name: str) -> dict[str, str]:
    matches = [row for row in survey(form_id) if row["name"] == name]
    assert len(matches) == 1, f"{form_id} should have exactly one field {name!r}"
    return matches[0]


def choice_names(form_id: str, list_name: str) -> list[str]:
    return [row["name"] for row in choices(form_id) if row["list_name"] == list_name]


def list_of(row: dict[str, str]) -> str:
    kind, list_name = row["type"].split()[:2]
    assert kind in {"select_one", "select_multiple"}
    return list_name


def holds_data(row: dict[str, str]) -> bool:
    return row["type"] != "note" and not row["type"].startswith(("begin_", "end_"))


def form_ids(purposes: set[FormPurpose] | None = None) -> list[str]:
    return [f.form_id for f in BUILTIN_FORMS if purposes is None or f.purpose in purposes]


def load_build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_builtin_forms", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def all_cells(path: Path) -> Iterator[str]:
    workbook = load_workbook(path, read_only=True)
    try:
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows(values_only=True):
                yield from (str(cell) for cell in row if cell is not None)
    finally:
        workbook.close()


@pytest.fixture(autouse=True)
def _fast_settings() -> None:
    """Override the suite-wide Django settings fixture: these tests need no Django,
    so they also run with ``-p no:django``."""


# --------------------------------------------------------------------------
# Registry


def test_registry_and_folder_hold_the_same_workbooks() -> None:
    on_disk = {path.name for path in BUILTIN_DIR.glob("*.xlsx")}
    registered = {form.path.name for form in BUILTIN_FORMS}
    assert on_disk == registered
    assert len({form.form_id for form in BUILTIN_FORMS}) == len(BUILTIN_FORMS)
    assert {form.purpose for form in BUILTIN_FORMS} == set(FormPurpose)


def test_builtin_form_lookup() -> None:
    form = builtin_form(form_id="bw_reintegration_plan")
    assert isinstance(form, BuiltinForm)
    assert form.purpose is FormPurpose.REINTEGRATION_PLAN
    with pytest.raises(KeyError):
        builtin_form(form_id="bw_missing")


# --------------------------------------------------------------------------
# Every form


@pytest.mark.parametrize("form_id", form_ids())
def test_converts_with_pyxform_without_warnings(form_id: str) -> None:
    warnings: list[str] = []
    result = convert(xlsform=str(builtin_form(form_id=form_id).path), warnings=warnings)
    assert warnings == []
    assert f'id="{form_id}"' in result.xform


@pytest.mark.parametrize("form_id", form_ids())
def test_categories_reach_the_xform_binds(form_id: str) -> None:
    xform = convert(xlsform=str(builtin_form(form_id=form_id).path)).xform
    root = ElementTree.fromstring(xform)
    attribute = f"{{{CATEGORY_NAMESPACE_URI}}}category"
    bound = {
        bind.get("nodeset").rsplit("/", 1)[-1]: bind.get(attribute)
        for bind in root.iter("{http://www.w3.org/2002/xforms}bind")
    }
    expected = {row["name"]: row[CATEGORY_COLUMN] for row in survey(form_id) if holds_data(row)}
    assert expected
    assert {name: bound.get(name) for name in expected} == expected


@pytest.mark.parametrize("form_id", form_ids())
def test_xform_has_three_translations(form_id: str) -> None:
    root = ElementTree.fromstring(convert(xlsform=str(builtin_form(form_id=form_id).path)).xform)
    translations = root.iter("{http://www.w3.org/2002/xforms}translation")
    assert sorted(t.get("lang") for t in translations) == sorted(LANGS)


@pytest.mark.parametrize("form_id", form_ids())
def test_settings(form_id: str) -> None:
    form = builtin_form(form_id=form_id)
    row = settings(form_id)
    assert row["form_id"] == form_id
    assert form_id.startswith("bw_")
    assert row["form_title"] == form.title
    assert re.fullmatch(r"\d{10}", row["version"])
    assert row["default_language"] == "English (en)"
    assert f'"{CATEGORY_NAMESPACE_URI}"' in row["namespaces"]


@pytest.mark.parametrize("form_id", form_ids())
def test_starts_with_required_case_number(form_id: str) -> None:
    first = survey(form_id)[0]
    assert (first["type"], first["name"], first["required"]) == ("text", "case_number", "yes")
    assert first["label::English (en)"] == "Case number"


@pytest.mark.parametrize("form_id", form_ids())
def test_labels_hints_and_messages_in_three_languages(form_id: str) -> None:
    labelled = [
        row
        for row in survey(form_id)
        if row["type"] not in {"calculate", "end_group", "end_repeat"}
    ]
    assert labelled
    for row in labelled:
        for prefix in ("label", "hint", "constraint_message"):
            texts = [row[f"{prefix}::{lang}"].strip() for lang in LANGS]
            if prefix == "label" or any(texts):
                assert all(texts), f"{form_id}.{row['name']}: {prefix} missing a language"
                assert ARABIC_LETTER.search(texts[1]), f"{form_id}.{row['name']}: {prefix} ar"
        if row["constraint"]:
            assert row["constraint_message::English (en)"], f"{form_id}.{row['name']}"
    english = [row["label::English (en)"] for row in labelled]
    indonesian = [row["label::Indonesian (id)"] for row in labelled]
    same = sum(en == id_ for en, id_ in zip(english, indonesian, strict=True))
    assert same <= len(labelled) // 10, f"{form_id}: Indonesian labels look untranslated"


@pytest.mark.parametrize("form_id", form_ids())
def test_every_choice_in_three_languages(form_id: str) -> None:
    rows = choices(form_id)
    used = {list_of(row) for row in survey(form_id) if row["type"].startswith("select_")}
    assert {row["list_name"] for row in rows} == used
    for row in rows:
        texts = [row[f"label::{lang}"].strip() for lang in LANGS]
        assert all(texts), f"{form_id} {row['list_name']}.{row['name']}"
        assert ARABIC_LETTER.search(texts[1]), f"{form_id} {row['list_name']}.{row['name']}"


@pytest.mark.parametrize("form_id", form_ids())
def test_every_data_field_has_an_allowed_category(form_id: str) -> None:
    for row in survey(form_id):
        if holds_data(row):
            assert row[CATEGORY_COLUMN] in ALLOWED_CATEGORIES, f"{form_id}.{row['name']}"
        else:
            assert row[CATEGORY_COLUMN] == "", f"{form_id}.{row['name']} is not data"


@pytest.mark.parametrize("form_id", form_ids())
def test_uses_only_the_supported_xlsform_subset(form_id: str) -> None:
    rows = survey(form_id)
    assert set(rows[0]) <= ALLOWED_COLUMNS
    for row in rows:
        kind = row["type"].split()
        if kind[0] in {"select_one", "select_multiple"}:
            assert len(kind) == 2 or kind[2:] == ["or_other"], row["type"]
        else:
            assert row["type"] in ALLOWED_TYPES, row["type"]
        for column in ("relevant", "constraint", "calculation"):
            for function in FUNCTION_CALL.findall(row[column]):
                assert function in ALLOWED_FUNCTIONS, f"{form_id}.{row['name']}: {function}()"
    assert set(choices(form_id)[0]) == {"list_name", "name", *(f"label::{lang}" for lang in LANGS)}


@pytest.mark.parametrize("form_id", form_ids())
def test_no_stigmatizing_words(form_id: str) -> None:
    text = "\n".join(all_cells(builtin_form(form_id=form_id).path)).lower()
    assert [word for word in FORBIDDEN if word in text] == []


def test_build_script_has_no_stigmatizing_words() -> None:
    text = BUILD_SCRIPT.read_text(encoding="utf-8").lower()
    assert [word for word in FORBIDDEN if word in text] == []


# --------------------------------------------------------------------------
# The child's views


@pytest.mark.parametrize("form_id", form_ids(DECISION_PURPOSES))
def test_decision_forms_record_the_childs_views(form_id: str) -> None:
    for name in ("child_views", "child_views_weight"):
        row = field(form_id, name)
        assert (row["type"], row["required"]) == ("text", "yes")
        assert row["relevant"] == "", f"{name} must always be asked"
    heard = field(form_id, "child_heard_how")
    assert heard["type"].startswith("select_one ") and heard["required"] == "yes"
    assert choice_names(form_id, list_of(heard)) == [
        "directly",
        "interpreter",
        "trusted_adult",
        "declined",
        "not_possible",
    ]
    # Only a closure recording the child's death may skip the child's views.
    allowed_skip = {"bw_case_closure": "${closure_reason} != 'died'"}.get(form_id, "")
    assert field(form_id, "child_participation")["relevant"] == allowed_skip
    reason = field(form_id, "child_not_heard_reason")
    assert reason["required"] == "yes"
    assert reason["relevant"] == "${child_heard_how} = 'not_possible'"


def test_every_decision_purpose_has_a_form() -> None:
    assert {form.purpose for form in BUILTIN_FORMS} >= DECISION_PURPOSES


# --------------------------------------------------------------------------
# Form by form


def test_initial_assessment_risk_level() -> None:
    risk = field("bw_initial_assessment", "risk_level")
    assert risk["type"].startswith("select_one ") and risk["required"] == "yes"
    assert choice_names("bw_initial_assessment", list_of(risk)) == ["high", "medium", "low", "none"]
    hint = risk["hint::English (en)"]
    for level in ("High:", "Medium:", "Low:", "No risk:"):
        assert level in hint
    assert "significant harm or death" in hint


def test_psychosocial_assessment_scales_and_scores() -> None:
    form_id = "bw_psychosocial_assessment"
    rows = survey(form_id)
    groups = {row["name"] for row in rows if row["type"] == "begin_group"}
    assert {"resilience", "needs", "vulnerability"} <= groups
    for name in ("res_strengths", "res_relationships", "res_coping", "res_aspirations"):
        assert choice_names(form_id, list_of(field(form_id, name))) == ["0", "1", "2", "3"]
    scales = [
        row
        for row in rows
        if row["type"].startswith("select_one ")
        and choice_names(form_id, list_of(row)) == ["0", "1", "2", "3"]
    ]
    assert len(scales) >= 12
    scores = {row["name"]: row["calculation"] for row in rows if row["type"] == "calculate"}
    assert "summary_score" in scores
    for scale in scales:
        assert any(f"${{{scale['name']}}}" in calc for calc in scores.values()), scale["name"]
    assert any(row["relevant"] for row in rows)
    assert any(row["constraint"] and row["constraint_message::Arabic (ar)"] for row in rows)


def test_reintegration_plan_goals_by_domain_with_actions() -> None:
    form_id = "bw_reintegration_plan"
    rows = survey(form_id)
    names = [row["name"] for row in rows]
    goal = names.index("goal")
    assert rows[goal]["type"] == "begin_repeat"
    domain = field(form_id, "goal_domain")
    assert names.index("goal_domain") > goal
    assert choice_names(form_id, list_of(domain)) == [
        "family",
        "education",
        "health",
        "psychosocial",
        "livelihood",
        "community",
        "legal_documentation",
    ]
    action = names.index("action")
    assert rows[action]["type"] == "begin_repeat" and action > goal
    assert field(form_id, "responsible_agency")["type"] == "text"
    due = field(form_id, "due_date")
    assert (due["type"], due["constraint"]) == ("date", ". >= today()")
    assert field(form_id, "action_status")["type"].startswith("select_one ")
    assert field(form_id, "goal_status")["type"].startswith("select_one ")


def test_bia_short_and_comprehensive_are_two_forms() -> None:
    short = {row["name"] for row in survey("bw_bia_short")}
    comprehensive = {row["name"] for row in survey("bw_bia_comprehensive")}
    assert comprehensive > {"bia_reason", "recommendation", "refer_to_bid"}
    assert len(comprehensive - short) >= 10


def test_bid_panel_record() -> None:
    form_id = "bw_bid_panel"
    assert field(form_id, "panel_member")["type"] == "begin_repeat"
    for name in ("member_name", "member_role", "decision", "decision_reasons"):
        assert field(form_id, name)["required"] == "yes"
    review = field(form_id, "review_date")
    assert (review["type"], review["required"]) == ("date", "yes")


def test_case_closure_reason_and_approval() -> None:
    form_id = "bw_case_closure"
    reason = field(form_id, "closure_reason")
    assert reason["type"].startswith("select_one ") and reason["required"] == "yes"
    assert "goals_achieved" in choice_names(form_id, list_of(reason))
    approval = field(form_id, "approval_note")
    assert approval["type"] == "note"
    assert "supervisor" in approval["label::English (en)"].lower()


def test_follow_up_visit_reassesses_risk() -> None:
    risk = field("bw_follow_up_visit", "risk_level")
    assert risk["required"] == "yes"
    assert choice_names("bw_follow_up_visit", list_of(risk)) == ["high", "medium", "low", "none"]


# --------------------------------------------------------------------------
# The build script


def test_workbooks_are_up_to_date_with_the_build_script(tmp_path: Path) -> None:
    written = load_build_script().build_all(out_dir=tmp_path)
    assert {path.name for path in written} == {form.path.name for form in BUILTIN_FORMS}
    for form in BUILTIN_FORMS:
        for sheet in ("survey", "choices", "settings"):
            assert _rows(tmp_path / form.path.name, sheet) == _rows(form.path, sheet), (
                f"{form.path.name} [{sheet}] is stale: run tools/build_builtin_forms.py"
            )


def test_build_script_rejects_a_field_without_an_allowed_category() -> None:
    build = load_build_script()
    rows = [
        build.case_number(),
        build.q(
            "text", "nickname", build.T("Nickname", "اللقب", "Nama panggilan"), category="misc"
        ),
    ]
    with pytest.raises(build.FormDefinitionError, match="category"):
        build.check_rows("bw_test", rows)


def test_build_script_rejects_an_unsupported_function() -> None:
    build = load_build_script()
    rows = [build.case_number(), build.calculate("n", "count(${case_number})", category="identity")]
    with pytest.raises(build.FormDefinitionError, match="count"):
        build.check_rows("bw_test", rows)


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs Java")
@pytest.mark.parametrize("form_id", form_ids())
def test_odk_validate_accepts_the_xform(form_id: str) -> None:
    warnings: list[str] = []
    convert(xlsform=str(builtin_form(form_id=form_id).path), warnings=warnings, validate=True)
    assert warnings == []
