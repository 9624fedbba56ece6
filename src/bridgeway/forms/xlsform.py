"""Read an uploaded XLSForm: check it, convert it with pyxform, build Bridgeway's schema.

pyxform is the reference converter (it produces the XForm that ODK clients download), so
every workbook goes through it. Around it, this module adds what pyxform does not check:

* the workbook is read with openpyxl first, so that problems are reported with the sheet
  ROW and the CONSTRUCT at fault (pyxform reports some errors without a row);
* only the XLSForm subset that Bridgeway renders and validates itself is accepted
  (question types, columns, expression functions: see ``SUPPORTED_TYPES`` and
  ``UNSUPPORTED_COLUMNS``). Anything else is refused at upload rather than silently
  ignored on the web while ODK Collect applies it;
* expressions are parsed with :mod:`bridgeway.forms.xpath`; references must name fields
  the expression can see; calculations and relevance may not form a cycle.

The schema (a JSON-compatible dict, stored on the form version) is built from pyxform's
internal JSON form, which already resolves column aliases and translations, plus the row
numbers from the openpyxl read. Its shape is documented in :mod:`bridgeway.forms.schema`.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from bridgeway.access.policy import Category
from bridgeway.core.errors import ValidationFailed
from bridgeway.forms import xpath
from bridgeway.forms.builtin import CATEGORY_COLUMN
from bridgeway.forms.schema import (
    INPUT_KINDS,
    METADATA_KINDS,
    SCHEMA_VERSION,
    CompiledForm,
    DependencyCycle,
)

MAX_WORKBOOK_BYTES = 10 * 1024 * 1024
# A compressed workbook can expand a lot: refuse absurd sheets before pyxform loads them.
MAX_SHEET_ROWS = 5000
MAX_SHEET_COLUMNS = 300
CASE_NUMBER_FIELD = "case_number"
CATEGORY_BIND_KEY = CATEGORY_COLUMN.removeprefix("bind::")

# Raw ``type`` cell (lower case, single spaces) -> kind.
SIMPLE_TYPES = {
    "text": "text", "string": "text",
    "integer": "integer", "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "note": "note",
    "calculate": "calculate",
    "start": "start", "end": "end", "today": "today",
    "deviceid": "deviceid", "username": "username",
}
CONTROL_TYPES = {
    "begin_group": "begin_group", "begin group": "begin_group",
    "end_group": "end_group", "end group": "end_group",
    "begin_repeat": "begin_repeat", "begin repeat": "begin_repeat",
    "end_repeat": "end_repeat", "end repeat": "end_repeat",
}
SELECT_TYPES = {
    "select_one": "select_one", "select one": "select_one", "select1": "select_one",
    "select_multiple": "select_multiple", "select all that apply": "select_multiple",
}
OR_OTHER = ("or_other", "or specify other", "or other")
SUPPORTED_TYPES = ("text", "integer", "decimal", "date", "select_one", "select_multiple",
                   "note", "calculate", "begin_group/end_group", "begin_repeat/end_repeat",
                   "start", "end", "today", "deviceid", "username")

# XLSForm columns whose feature Bridgeway does not implement (a non-empty cell is refused).
UNSUPPORTED_COLUMNS = {
    "choice_filter": "choice filters",
    "repeat_count": "repeat counts",
    "jr:count": "repeat counts",
    "trigger": "triggers",
    "parameters": "question parameters",
    "save_to": "entities (save_to)",
    "read_only": "read-only questions",
    "readonly": "read-only questions",
    "image": "media labels",
    "big-image": "media labels",
    "audio": "media labels",
    "video": "media labels",
    "calculation": "calculations on questions other than 'calculate'",
    "required_message": None,  # supported; listed so the prefix check below skips it
}
UNSUPPORTED_PREFIXES = {
    "media::": "media labels",
    "image::": "media labels",
    "audio::": "media labels",
    "video::": "media labels",
    "big-image::": "media labels",
    "body::": "custom body attributes",
    "control::": "custom control attributes",
    "instance::": "custom instance attributes",
    "bind::": "custom bind attributes",
}
UNSUPPORTED_SHEETS = {"entities": "entities", "external_choices": "external choices",
                      "osm": "OpenStreetMap questions"}
UNSUPPORTED_SETTINGS = {"public_key": "encrypted forms (public_key)",
                        "submission_url": "a custom submission_url"}
EXPRESSION_COLUMNS = (("relevant", "relevant"), ("constraint", "constraint"),
                      ("calculation", "calculation"), ("required", "required"))
_LABEL_REF = re.compile(r"\$\{([^}]*)\}")
_ROW_IN_PYXFORM = re.compile(r"\[row\s*:\s*(\d+)\]")


@dataclass(frozen=True)
class FormProblem:
    """One reason to refuse a workbook; ``row`` is the spreadsheet row (header = 1)."""

    sheet: str
    row: int | None
    construct: str
    message: str

    def __str__(self) -> str:
        where = self.sheet if self.row is None else f"{self.sheet} row {self.row}"
        return f"{where}: {self.message}"


class FormRejected(ValidationFailed):
    """The workbook cannot be used; ``problems`` lists every reason found."""

    def __init__(self, problems: list[FormProblem]) -> None:
        self.problems = list(problems)
        super().__init__({"file": [str(p) for p in self.problems]})


@dataclass
class ConvertedForm:
    form_id: str
    version: str
    title: str
    xform: str
    schema: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------
# Reading the workbook


@dataclass
class SheetRow:
    number: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _sheet_rows(sheet: Any) -> tuple[list[str], list[SheetRow]]:
    """The header (as written) and the non-empty rows, keyed by lower-case column."""
    rows = sheet.iter_rows(values_only=True)
    written: list[str] = []
    for first in rows:
        written = [_text(c) for c in first]
        break
    header = [c.lower() for c in written[:MAX_SHEET_COLUMNS]]
    found = []
    for number, values in enumerate(rows, start=2):
        if number > MAX_SHEET_ROWS:
            raise FormRejected([FormProblem(sheet.title, number, "rows",
                                            f"more than {MAX_SHEET_ROWS} rows")])
        cells = {header[i]: _text(v) for i, v in enumerate(values)
                 if i < len(header) and header[i] and _text(v)}
        if cells:
            found.append(SheetRow(number, cells))
    return written, found


@dataclass
class Workbook:
    survey_header: list[str]
    survey: list[SheetRow]
    choices: list[SheetRow]
    settings: dict[str, str]
    other_sheets: dict[str, int]


def read_workbook(data: bytes) -> Workbook:
    """Read the sheets pyxform reads, or raise FormRejected for a malformed workbook."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise FormRejected([FormProblem("workbook", None, "file", "The file is empty.")])
    if len(data) > MAX_WORKBOOK_BYTES:
        raise FormRejected([FormProblem("workbook", None, "file",
                                        f"The file is larger than {MAX_WORKBOOK_BYTES} bytes.")])
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError,
            TypeError) as exc:
        raise FormRejected([FormProblem(
            "workbook", None, "file",
            f"Not an XLSForm .xlsx workbook (could not be read: {exc.__class__.__name__}).")]
        ) from exc
    try:
        sheets = {name.lower().strip(): book[name] for name in book.sheetnames}
        if "survey" not in sheets:
            raise FormRejected([FormProblem("workbook", None, "survey",
                                            "The workbook has no 'survey' sheet.")])
        header, survey = _sheet_rows(sheets["survey"])
        choices = _sheet_rows(sheets["choices"])[1] if "choices" in sheets else []
        settings_rows = _sheet_rows(sheets["settings"])[1] if "settings" in sheets else []
        other = {name: len(_sheet_rows(sheet)[1]) for name, sheet in sheets.items()
                 if name in UNSUPPORTED_SHEETS}
    except FormRejected:
        raise
    except Exception as exc:  # a corrupt sheet inside a valid zip
        raise FormRejected([FormProblem("workbook", None, "file",
                                        f"The workbook could not be read: {exc}")]) from exc
    finally:
        book.close()
    settings = settings_rows[0].cells if settings_rows else {}
    return Workbook(header, survey, choices, settings, other)


# --------------------------------------------------------------------------
# Checks on the raw rows (before pyxform)


def classify_type(raw: str) -> tuple[str, str, bool] | str:
    """``(kind, list_name, or_other)`` for a supported type, else an error message."""
    text = " ".join(raw.lower().split())
    if text in SIMPLE_TYPES:
        return SIMPLE_TYPES[text], "", False
    if text in CONTROL_TYPES:
        return CONTROL_TYPES[text], "", False
    for prefix, kind in SELECT_TYPES.items():
        if text.startswith(prefix + " "):
            rest = text[len(prefix) + 1:].strip()
            or_other = False
            for suffix in OR_OTHER:
                if rest.endswith(" " + suffix):
                    rest, or_other = rest[: -len(suffix) - 1].strip(), True
            if rest and " " not in rest:
                return kind, _list_name(raw, or_other), or_other
            return f"malformed select type '{raw}': expected '{prefix} <list_name>'"
    from pyxform.aliases import control, select
    from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

    head = text.split(" ")[0]
    known = (text in QUESTION_TYPE_DICT or text in select or head in select
             or any(text in (f"begin {c}", f"begin_{c}", f"end {c}", f"end_{c}")
                    for c in control)
             or head.startswith(("select_", "begin_", "end_")))
    supported = ", ".join(SUPPORTED_TYPES)
    if known:
        return f"question type '{raw}' is not supported (supported: {supported})"
    return f"unknown question type '{raw}' (supported: {supported})"


def _list_name(raw: str, or_other: bool) -> str:
    words = raw.split()
    if or_other:
        lowered = " ".join(words).lower()
        for suffix in OR_OTHER:
            if lowered.endswith(" " + suffix):
                words = words[: len(words) - len(suffix.split())]
                break
    return words[-1]


def _check_raw(book: Workbook) -> list[FormProblem]:
    problems: list[FormProblem] = []
    for sheet, count in book.other_sheets.items():
        if count:
            problems.append(FormProblem(sheet, None, sheet,
                                        f"the '{sheet}' sheet ({UNSUPPORTED_SHEETS[sheet]}) "
                                        "is not supported"))
    for key, what in UNSUPPORTED_SETTINGS.items():
        if book.settings.get(key):
            problems.append(FormProblem("settings", 2, key, f"{what} is not supported"))
    for key in ("form_id", "version"):
        if not book.settings.get(key):
            problems.append(FormProblem("settings", None, key,
                                        f"the settings sheet must give a '{key}'"))
    columns = {c.lower(): c for c in book.survey_header}
    if "type" not in columns or "name" not in columns:
        problems.append(FormProblem("survey", 1, "header",
                                    "the survey sheet needs 'type' and 'name' columns"))
        return problems

    seen: dict[str, int] = {}
    for row in book.survey:
        raw_type = row.get("type")
        if not raw_type:
            if row.get("name") or any(k.startswith("label") for k in row.cells):
                problems.append(FormProblem("survey", row.number, "type",
                                            "the row has a name or label but no type"))
            continue
        kind = classify_type(raw_type)
        if isinstance(kind, str):
            problems.append(FormProblem("survey", row.number, raw_type, kind))
            continue
        base = kind[0]
        for column, value in row.cells.items():
            shown = columns.get(column, column)
            problem = _column_problem(column, value, base, shown)
            if problem:
                problems.append(FormProblem("survey", row.number, shown, problem))
        default = row.get("default")
        if default and ("${" in default or "(" in default):
            problems.append(FormProblem("survey", row.number, "default",
                                        f"dynamic default '{default}' is not supported; "
                                        "use a fixed value"))
        name = row.get("name")
        if name and base not in ("end_group", "end_repeat"):
            key = name.lower()
            if key in seen:
                problems.append(FormProblem(
                    "survey", row.number, name,
                    f"duplicate name '{name}' (also on row {seen[key]}); every field, group "
                    "and repeat needs its own name"))
            else:
                seen[key] = row.number
    return problems


def _column_problem(column: str, value: str, kind: str, shown: str) -> str | None:
    if column == CATEGORY_COLUMN:
        if value not in {c.value for c in Category}:
            allowed = ", ".join(c.value for c in Category)
            return f"unknown data category '{value}' (allowed: {allowed})"
        return None
    if column == "calculation":
        return None if kind == "calculate" else (
            "a calculation on a question other than 'calculate' is not supported")
    what = UNSUPPORTED_COLUMNS.get(column)
    if what:
        return f"column '{shown}' ({what}) is not supported"
    if column in UNSUPPORTED_COLUMNS:
        return None
    for prefix, what in UNSUPPORTED_PREFIXES.items():
        if column.startswith(prefix):
            return f"column '{shown}' ({what}) is not supported"
    return None


# --------------------------------------------------------------------------
# pyxform


def _pyxform_convert(data: bytes) -> tuple[Any, list[str]]:
    from pyxform.xls2xform import convert

    warnings: list[str] = []
    try:
        result = convert(xlsform=bytes(data), warnings=warnings, file_type=".xlsx")
    except Exception as exc:  # pyxform raises PyXFormError and, on odd input, others
        message = " ".join(str(exc).split()) or exc.__class__.__name__
        match = _ROW_IN_PYXFORM.search(message)
        raise FormRejected([FormProblem("survey" if match else "workbook",
                                        int(match.group(1)) if match else None,
                                        "pyxform", f"XLSForm error: {message}")]) from exc
    return result, [" ".join(w.split()) for w in warnings]


# --------------------------------------------------------------------------
# Schema from pyxform's JSON


JSON_KINDS = {
    "text": "text", "string": "text", "integer": "integer", "int": "integer",
    "decimal": "decimal", "date": "date", "select one": "select_one",
    "select all that apply": "select_multiple", "note": "note", "calculate": "calculate",
    "group": "group", "repeat": "repeat", "start": "start", "end": "end", "today": "today",
    "deviceid": "deviceid", "username": "username",
}


def _texts(value: Any) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if v not in (None, "")}
    return {"default": str(value)}


def _required(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    lowered = text.lower()
    if lowered in ("", "no", "false", "false()", "0"):
        return ""
    if lowered in ("yes", "true", "true()", "1"):
        return "yes"
    return text


class _SchemaBuilder:
    def __init__(self, book: Workbook, pyx: dict[str, Any]) -> None:
        self.or_other_names = _survey_or_other(book)
        self.rows = {r.get("name").lower(): r.number for r in book.survey if r.get("name")}
        self.choice_names: dict[str, list[str]] = {}
        for r in book.choices:
            list_name = r.get("list_name") or r.get("list name")
            if list_name and r.get("name"):
                self.choice_names.setdefault(list_name, []).append(r.get("name"))
        self.pyx = pyx
        self.languages: list[str] = []

    def _note_languages(self, *texts: dict[str, str]) -> None:
        for t in texts:
            for lang in t:
                if lang not in self.languages:
                    self.languages.append(lang)

    def build(self) -> dict[str, Any]:
        root = self.pyx.get("name") or "data"
        fields = self._children(self.pyx.get("children", []), f"/{root}", top=True)
        default_language = str(self.pyx.get("default_language") or "default")
        if self.languages and default_language not in self.languages:
            default_language = self.languages[0]
        return {
            "schema_version": SCHEMA_VERSION,
            "form_id": str(self.pyx.get("id_string", "")),
            "version": str(self.pyx.get("version", "")),
            "title": str(self.pyx.get("title", "")),
            "root": root,
            "default_language": default_language,
            "languages": self.languages or ["default"],
            "instance_name": str(self.pyx.get("instance_name", "") or ""),
            "fields": fields,
        }

    def _children(self, children: list[dict[str, Any]], path: str, *, top: bool = False
                  ) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = []
        previous: dict[str, Any] | None = None
        for child in children:
            if top and child.get("name") == "meta" and child.get("type") == "group":
                continue
            node = self._node(child, path, previous)
            nodes.append(node)
            previous = node
        return nodes

    def _node(self, elem: dict[str, Any], path: str, previous: dict[str, Any] | None
              ) -> dict[str, Any]:
        name = str(elem.get("name", ""))
        kind = JSON_KINDS.get(str(elem.get("type", "")), str(elem.get("type", "")))
        bind = elem.get("bind") or {}
        control = elem.get("control") or {}
        generated_from = ""
        row = self.rows.get(name.lower())
        relevant = str(bind.get("relevant", "") or "")
        if (row is None and previous is not None and previous.get("or_other")
                and name == f"{previous['name']}_other"):
            # pyxform adds "<name>_other" for or_other, with a path expression.
            generated_from = previous["name"]
            row = previous["row"]
            relevant = f"selected(${{{generated_from}}}, 'other')"
        node: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "row": row,
            "xml_path": f"{path}/{name}",
            "label": _texts(elem.get("label")),
            "hint": _texts(elem.get("hint")),
            "required": _required(bind.get("required")),
            "required_message": _texts(bind.get("jr:requiredMsg")),
            "relevant": relevant,
            "constraint": str(bind.get("constraint", "") or ""),
            "constraint_message": _texts(bind.get("jr:constraintMsg")),
            "calculation": str(bind.get("calculate", "") or ""),
            "default": "" if elem.get("default") is None else str(elem.get("default")),
            "appearance": str(control.get("appearance", "") or ""),
            "category": str(bind.get(CATEGORY_BIND_KEY, "") or ""),
        }
        if generated_from:
            node["generated_from"] = generated_from
        self._note_languages(node["label"], node["hint"], node["constraint_message"],
                             node["required_message"])
        if kind in ("select_one", "select_multiple"):
            list_name = str(elem.get("list_name") or elem.get("itemset") or "")
            original = self.choice_names.get(list_name)
            or_other = name.lower() in self.or_other_names
            choices = []
            for choice in elem.get("choices") or self.pyx.get("choices", {}).get(list_name, []):
                cname = str(choice.get("name"))
                if original is not None and cname not in original and not (
                        or_other and cname == "other"):
                    continue  # pyxform adds "other" to a shared list for any or_other
                label = _texts(choice.get("label"))
                self._note_languages(label)
                choices.append({"name": cname, "label": label})
            node.update({"list_name": list_name, "choices": choices, "or_other": or_other})
        if kind in ("group", "repeat"):
            node["children"] = self._children(elem.get("children") or [], node["xml_path"])
        return node


def _survey_or_other(book: Workbook) -> set[str]:
    found = set()
    for row in book.survey:
        kind = classify_type(row.get("type")) if row.get("type") else None
        if isinstance(kind, tuple) and kind[2] and row.get("name"):
            found.add(row.get("name").lower())
    return found


# --------------------------------------------------------------------------
# Checks on the schema (expressions, references, cycles)


def _walk(nodes: Iterable[dict[str, Any]], scope: tuple[str, ...] = ()
          ) -> Iterator[tuple[dict[str, Any], tuple[str, ...]]]:
    """Every node with its repeat scope (the names of the repeats around it)."""
    for node in nodes:
        yield node, scope
        if node["kind"] == "group":
            yield from _walk(node["children"], scope)
        elif node["kind"] == "repeat":
            yield from _walk(node["children"], (*scope, node["name"]))


def _check_schema(schema: dict[str, Any]) -> list[FormProblem]:
    problems: list[FormProblem] = []
    nodes = list(_walk(schema["fields"]))
    by_name = {node["name"]: (node, scope) for node, scope in nodes}

    case_field = next((n for n in schema["fields"] if n["name"] == CASE_NUMBER_FIELD), None)
    if case_field is None or case_field["kind"] != "text":
        problems.append(FormProblem(
            "survey", case_field["row"] if case_field else None, CASE_NUMBER_FIELD,
            "every Bridgeway form needs a text question named 'case_number' at the top level "
            "(not inside a group or repeat): it ties a submission to its case"))

    def problem(node: dict[str, Any], column: str, construct: str, message: str) -> None:
        problems.append(FormProblem("survey", node.get("row"), construct,
                                    f"{column} of '{node['name']}': {message}"))

    for node, scope in nodes:
        if node["kind"] == "select_one" or node["kind"] == "select_multiple":
            if not node["choices"]:
                problem(node, "type", node.get("list_name", ""),
                        f"choice list '{node.get('list_name')}' is empty")
            bad = [c["name"] for c in node["choices"] if " " in c["name"] or not c["name"]]
            if bad and node["kind"] == "select_multiple":
                problem(node, "choices", bad[0],
                        f"choice name '{bad[0]}' contains a space (not allowed in "
                        "select_multiple, whose answers are separated by spaces)")
        for column, key in EXPRESSION_COLUMNS:
            text = node.get(key, "")
            if not text or (key == "required" and text == "yes"):
                continue
            try:
                expr = xpath.parse(text)
            except xpath.ExpressionError as exc:
                construct = exc.construct or text
                kind = "unsupported construct" if exc.construct else "syntax error"
                problem(node, column, construct, f"{kind} in '{text}': {exc}")
                continue
            for ref in sorted(xpath.references(expr)):
                target = by_name.get(ref)
                if target is None:
                    problem(node, column, f"${{{ref}}}",
                            f"'${{{ref}}}' does not name a field of this form")
                    continue
                target_node, target_scope = target
                if target_node["kind"] in ("group", "repeat"):
                    problem(node, column, f"${{{ref}}}",
                            f"'${{{ref}}}' is a {target_node['kind']}, not a field")
                elif target_scope != scope[: len(target_scope)]:
                    problem(node, column, f"${{{ref}}}",
                            f"'${{{ref}}}' is inside repeat '{target_scope[-1]}' and cannot "
                            "be read from outside one of its rows")
        for key in ("label", "hint"):
            for text in node.get(key, {}).values():
                for ref in _LABEL_REF.findall(text):
                    if ref not in by_name:
                        problem(node, key, f"${{{ref}}}",
                                f"'${{{ref}}}' does not name a field of this form")
    instance_name = schema.get("instance_name")
    if instance_name:
        try:
            for ref in xpath.references(xpath.parse(instance_name)):
                if ref not in by_name:
                    problems.append(FormProblem("settings", 2, f"${{{ref}}}",
                                                f"instance_name: '${{{ref}}}' does not name "
                                                "a field of this form"))
        except xpath.ExpressionError as exc:
            problems.append(FormProblem("settings", 2, exc.construct or instance_name,
                                        f"instance_name '{instance_name}': {exc}"))
    if problems:
        return problems

    calculations = {n["name"]: n["calculation"] for n, _ in nodes if n["kind"] == "calculate"}
    try:
        xpath.calculation_order(calculations)
    except xpath.CycleError as exc:
        first = by_name[exc.cycle[0]][0]
        cycle = " -> ".join(f"${{{n}}}" for n in [*exc.cycle, exc.cycle[0]])
        return [FormProblem("survey", first.get("row"), cycle,
                            f"calculation of '{first['name']}': calculations form a cycle: "
                            f"{cycle}")]
    try:
        CompiledForm(schema)
    except DependencyCycle as exc:
        first = by_name[exc.cycle[0]][0]
        cycle = " -> ".join(f"${{{n}}}" for n in [*exc.cycle, exc.cycle[0]])
        return [FormProblem("survey", first.get("row"), cycle,
                            f"relevance and calculations form a cycle: {cycle}")]
    return []


def _check_kinds(schema: dict[str, Any]) -> list[FormProblem]:
    """pyxform may add elements (its own types) that the raw check did not see."""
    problems = []
    allowed = {*INPUT_KINDS, *METADATA_KINDS, "note", "calculate", "group", "repeat"}
    for node, _ in _walk(schema["fields"]):
        if node["kind"] not in allowed:
            problems.append(FormProblem("survey", node.get("row"), node["kind"],
                                        f"question type '{node['kind']}' is not supported"))
    return problems


# --------------------------------------------------------------------------
# Entry point


def convert_xlsform(data: bytes) -> ConvertedForm:
    """Check and convert one workbook; raise FormRejected listing every problem found."""
    book = read_workbook(data)
    problems = _check_raw(book)
    if problems:
        raise FormRejected(problems)
    result, warnings = _pyxform_convert(data)
    schema = _SchemaBuilder(book, result._pyxform or {}).build()
    problems = _check_kinds(schema) or _check_schema(schema)
    if problems:
        raise FormRejected(problems)
    return ConvertedForm(form_id=schema["form_id"], version=schema["version"],
                         title=schema["title"] or schema["form_id"], xform=result.xform,
                         schema=schema, warnings=warnings)
