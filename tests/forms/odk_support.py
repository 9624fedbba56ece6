"""Test helpers: XLSForm workbooks built in memory, and submissions shaped exactly as ODK
Collect produces them from a form's XForm.

ODK Collect serializes the form's primary instance: the root element keeps its ``id`` and
``version`` attributes, groups are nested elements, each repeat row is one more element
of the repeat's name (the ``jr:template`` copy is never sent), select_multiple answers
are space-separated, and ``meta/instanceID`` holds ``uuid:...``. Elements carry no
namespace. The helper below starts from the XForm pyxform produced, so the test uses the
real instance structure rather than a hand-written copy.
"""

from __future__ import annotations

import base64
import copy
import io
import uuid
from typing import Any
from xml.etree import ElementTree as ET

from defusedxml.ElementTree import fromstring
from openpyxl import Workbook

XFORMS = "{http://www.w3.org/2002/xforms}"
JR_TEMPLATE = "{http://openrosa.org/javarosa}template"
CATEGORY = "bind::bw:category"

EN, AR = "label::English (en)", "label::Arabic (ar)"
HEADER = ["type", "name", EN, AR, "hint::English (en)", "hint::Arabic (ar)", "required", "relevant", "constraint",
          "constraint_message::English (en)", "constraint_message::Arabic (ar)",
          "calculation", "default", CATEGORY]


def row(type_: str, name: str = "", en: str = "", ar: str = "", **cols: str) -> list[str]:
    """One survey row in HEADER order; keyword names: hint, required, relevant, constraint,
    msg_en, msg_ar, calculation, default, category."""
    hint = cols.get("hint", "")
    return [type_, name, en, ar or (f"ع {en}" if en else ""), hint, f"ع {hint}" if hint else "",
            cols.get("required", ""), cols.get("relevant", ""), cols.get("constraint", ""),
            cols.get("msg_en", ""), cols.get("msg_ar", ""), cols.get("calculation", ""),
            cols.get("default", ""), cols.get("category", "")]


def visit_survey() -> list[list[str]]:
    """A small form using every supported construct."""
    return [
        HEADER,
        row("text", "case_number", "Case number", "رقم الحالة", required="yes",
            category="case_management"),
        row("start", "start"),
        row("date", "visit_date", "Visit date", "تاريخ الزيارة", required="yes",
            constraint=". <= today()", msg_en="Not in the future.",
            msg_ar="ليس في المستقبل.", category="case_management"),
        row("integer", "age", "Age", "العمر", constraint=". >= 0 and . <= 17",
            msg_en="Age must be 0 to 17.", msg_ar="يجب أن يكون العمر من 0 إلى 17.",
            category="identity"),
        row("select_one yes_no", "in_school", "In school?", "في المدرسة؟", required="yes",
            category="education"),
        row("text", "school_name", "School name", "اسم المدرسة", required="yes",
            relevant="${in_school} = 'yes'", category="education"),
        row("select_multiple needs", "needs", "Needs", "الاحتياجات",
            constraint="not(selected(., 'none') and count-selected(.) > 1)",
            msg_en="'None' excludes the others.", msg_ar="«لا شيء» يستبعد غيره.",
            category="psychosocial"),
        row("calculate", "needs_count", calculation="count-selected(${needs})",
            category="psychosocial"),
        row("begin_group", "family", "Family", "الأسرة"),
        row("integer", "siblings", "Number of siblings", "عدد الإخوة", category="family"),
        row("decimal", "distance_km", "Distance to family (km)", "المسافة", category="family"),
        row("end_group"),
        row("begin_repeat", "goal", "Goal", "هدف"),
        row("text", "goal_text", "What is the goal?", "ما هو الهدف؟", required="yes",
            category="case_management"),
        row("date", "due_date", "Due date", "تاريخ الاستحقاق",
            constraint=". >= ${visit_date}", msg_en="Due after the visit.",
            msg_ar="بعد الزيارة.", category="case_management"),
        row("select_one goal_status", "goal_status", "Status", "الحالة", default="open",
            category="case_management"),
        row("end_repeat"),
        row("note", "thanks", "Thank you, ${case_number}", "شكرًا"),
    ]


def visit_choices() -> list[list[str]]:
    return [
        ["list_name", "name", EN, AR],
        ["yes_no", "yes", "Yes", "نعم"], ["yes_no", "no", "No", "لا"],
        ["needs", "food", "Food", "غذاء"], ["needs", "school", "School", "مدرسة"],
        ["needs", "health", "Health", "صحة"], ["needs", "none", "None", "لا شيء"],
        ["goal_status", "open", "Open", "مفتوح"], ["goal_status", "done", "Done", "منجز"],
    ]


def visit_settings(version: str = "1", form_id: str = "bw_test_visit") -> list[list[str]]:
    return [["form_title", "form_id", "version", "default_language", "namespaces"],
            ["Test visit", form_id, version, "English (en)",
             'bw="https://bridgeway.example/xforms"']]


def make_xlsx(survey: list[list[Any]], choices: list[list[Any]] | None = None,
              settings: list[list[Any]] | None = None, extra: dict[str, list[list[Any]]]
              | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for values in survey:
        sheet.append(values)
    for title, rows in (("choices", choices), ("settings", settings), *(extra or {}).items()):
        if rows is None:
            continue
        new = book.create_sheet(title)
        for values in rows:
            new.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def visit_xlsx(version: str = "1", **changes: Any) -> bytes:
    return make_xlsx(changes.get("survey", visit_survey()), visit_choices(),
                     visit_settings(version))


# --------------------------------------------------------------------------
# Submissions as ODK Collect sends them


def _strip(elem: ET.Element) -> None:
    for node in elem.iter():
        if isinstance(node.tag, str) and "}" in node.tag:
            node.tag = node.tag.split("}", 1)[1]


def _fill(elem: ET.Element, values: dict[str, Any]) -> None:
    children = list(elem)
    handled: set[str] = set()
    for child in children:
        name = child.tag
        if name in handled:
            continue
        value = values.get(name)
        if isinstance(value, list):  # a repeat: one element per row, at the same place
            handled.add(name)
            prototype = copy.deepcopy(child)
            position = list(elem).index(child)
            for old in [c for c in elem if c.tag == name]:
                elem.remove(old)
            for offset, item in enumerate(value):
                new = copy.deepcopy(prototype)
                _fill(new, item)
                elem.insert(position + offset, new)
        elif len(child):  # a group: same flat values
            _fill(child, values)
        elif name in values:
            child.text = str(values[name])


def collect_submission(xform: str, values: dict[str, Any], *, instance_id: str | None = None,
                       deprecated_id: str | None = None) -> tuple[bytes, str]:
    """The submission XML ODK Collect would send for ``values``, and its instanceID."""
    root = fromstring(xform.encode())
    model = root.find(f".//{XFORMS}model")
    assert model is not None
    instance = model.find(f"{XFORMS}instance")
    assert instance is not None
    data = copy.deepcopy(instance[0])
    for parent in list(data.iter()):
        for child in list(parent):
            if child.get(JR_TEMPLATE) is not None:
                parent.remove(child)
    _strip(data)
    _fill(data, values)
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    meta = data.find("meta")
    assert meta is not None
    meta.find("instanceID").text = instance_id  # type: ignore[union-attr]
    if deprecated_id:
        ET.SubElement(meta, "deprecatedID").text = deprecated_id
    body = ET.tostring(data, encoding="unicode")
    return ("<?xml version='1.0' ?>" + body).encode("utf-8"), instance_id


def basic(username: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()
