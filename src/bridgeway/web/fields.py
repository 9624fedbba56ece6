"""Layout of the child and case forms, and the mapping between posted fields and the
domain's payloads.

Hand-written rather than Django forms on purpose: validation lives in the domain
(``registry.validation``, ``cases.services``), shared with the API, and it reports problems
by *path* (``names[0].value``, ``case.risk_level``, ``__all__``). Here every input is
**named by that same path**, so an error lands next to its field without a translation
table, and the repeating parts (names, aliases, age evidence …) are a fixed number of
blank rows that need neither JavaScript nor a management form. A Django form would
validate a second time, by other rules.

Blank rows are dropped before the payload goes to the domain; ``IndexMap`` remembers which
form row each payload item came from, so ``names[0]`` in an error means the row the user
actually typed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from django_countries import countries

from bridgeway.cases.models import AssociationMode, GroupType, Risk, VictimStatus
from bridgeway.cases.services import EDITABLE_FIELDS
from bridgeway.registry.models import (
    AgeMethod,
    AliasType,
    BirthRegistration,
    IdentifierType,
    NameKind,
    Relationship,
    Sex,
)

Values = dict[str, str]
IndexMap = dict[str, list[int]]
MAX_ROWS = 50  # as the domain's MAX_LIST: more rows than that is not a form a person typed

BLANK = ("", "—")


@dataclass(frozen=True)
class Column:
    sub: str
    label: Any
    kind: str = "text"  # text | textarea | date | number | select | checkbox | country
    choices: Sequence[tuple[str, Any]] = ()
    attrs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RowGroup:
    key: str
    title: Any
    item: Any  # label of one row ("Name part 2")
    columns: tuple[Column, ...]
    content: tuple[str, ...]  # sub-fields whose being empty makes a row blank
    hint: Any = ""


NAME_ATTRS = {"dir": "auto", "autocomplete": "off", "spellcheck": "false"}
LATIN_ATTRS = {"dir": "ltr", "autocomplete": "off", "spellcheck": "false"}

NAMES = RowGroup(
    "names", _("Names"), _("Name part"),
    (Column("kind", _("Kind"), "select", NameKind.choices),
     Column("value", _("Name, as written by the child or family"), attrs=NAME_ATTRS),
     Column("latin", _("In Latin letters (optional)"), attrs=LATIN_ATTRS)),
    ("value", "latin"),
    _("One part per row, in any script; the script is detected. Leave the Latin spelling "
      "empty to have it transliterated."))
ALIASES = RowGroup(
    "aliases", _("Aliases"), _("Alias"),
    (Column("alias_type", _("Kind"), "select", AliasType.choices),
     Column("value", _("Alias"), attrs=NAME_ATTRS),
     Column("latin", _("In Latin letters (optional)"), attrs=LATIN_ATTRS)),
    ("value", "latin"),
    _("Nicknames, names used in a group, previous names, other spellings."))
AGES = RowGroup(
    "age_assessments", _("Age evidence"), _("Age evidence"),
    (Column("method", _("Method"), "select", AgeMethod.choices),
     Column("claimed_age_years", _("Claimed age (years)"), "number",
            attrs={"min": "0", "max": "30", "inputmode": "numeric"}),
     Column("assessed_min_years", _("Assessed age: from (years)"), "number",
            attrs={"min": "0", "max": "30", "step": "0.5", "inputmode": "decimal"}),
     Column("assessed_max_years", _("Assessed age: to (years)"), "number",
            attrs={"min": "0", "max": "30", "step": "0.5", "inputmode": "decimal"}),
     Column("assessor", _("Assessed by")),
     Column("assessed_on", _("Date of the assessment"), "date"),
     Column("documents_seen", _("Documents seen"))),
    ("claimed_age_years", "assessed_min_years", "assessed_max_years", "assessor",
     "assessed_on", "documents_seen"),
    _("When the age is uncertain the lowest plausible age applies (benefit of the doubt)."))
IDENTIFIERS = RowGroup(
    "identifiers", _("Identifiers"), _("Identifier"),
    (Column("id_type", _("Type"), "select", (BLANK, *IdentifierType.choices)),
     Column("value", _("Number"), attrs={"autocomplete": "off", "dir": "ltr"}),
     Column("issuer", _("Issued by (country or agency)"))),
    ("value", "issuer"))
FAMILY = RowGroup(
    "family", _("Family and caregivers"), _("Family member"),
    (Column("relationship", _("Relationship"), "select", (BLANK, *Relationship.choices)),
     Column("name", _("Name"), attrs=NAME_ATTRS),
     Column("is_caregiver", _("Caregiver"), "checkbox"),
     Column("is_legal_guardian", _("Legal guardian"), "checkbox"),
     Column("phone", _("Phone"), attrs={"type": "tel", "autocomplete": "off", "dir": "ltr"}),
     Column("address", _("Address"), "textarea")),
    ("name", "phone", "address"))
NATIONALITIES = RowGroup(
    "nationalities", _("Nationalities"), _("Nationality"),
    (Column("", _("Nationality"), "country"),), ("",))
GROUPS = (NAMES, ALIASES, AGES, IDENTIFIERS, FAMILY, NATIONALITIES)

BORN_ABROAD_CHOICES = (("", _("Work it out from country of birth and nationality")),
                       ("true", _("Yes")), ("false", _("No")))
CHILD_SCALARS: tuple[Column, ...] = (
    Column("sex", _("Sex"), "select", Sex.choices),
    Column("date_of_birth", _("Date of birth"), "date"),
    Column("date_of_birth_estimated", _("The date of birth is an estimate"), "checkbox"),
    Column("country_of_birth", _("Country of birth"), "country"),
    Column("place_of_birth", _("Place of birth"), attrs={"dir": "auto"}),
    Column("born_abroad", _("Born abroad"), "select", BORN_ABROAD_CHOICES),
    Column("birth_registration", _("Birth registration"), "select",
           BirthRegistration.choices),
    Column("languages", _("Languages (ISO codes, e.g. ar, en, id)"),
           attrs={"dir": "ltr", "autocomplete": "off"}),
)
CASE_COLUMNS: dict[str, Column] = {c.sub: c for c in (
    Column("risk_level", _("Risk level"), "select", Risk.choices),
    Column("group_type", _("Associated with"), "select", GroupType.choices),
    Column("association_mode", _("How the child came to be associated"), "select",
           AssociationMode.choices),
    Column("association_from", _("Associated from"), "date"),
    Column("association_to", _("Associated until"), "date"),
    Column("association_place", _("Place"), attrs={"dir": "auto"}),
    Column("association_country", _("Country"), "country"),
    Column("victim_status", _("Victim status"), "select", VictimStatus.choices),
    Column("victim_recognized_on", _("Recognized on"), "date"),
    Column("victim_recognized_by", _("Recognized by")),
    Column("alleged_offence", _("Alleged offence (if any)"), "textarea", attrs={"dir": "auto"}),
)}
ASSOCIATION_KEYS = ("group_type", "association_mode", "association_from", "association_to",
                    "association_place", "association_country")
VICTIM_KEYS = ("victim_status", "victim_recognized_on", "victim_recognized_by")

_ROW_KEY = re.compile(r"^([a-z_]+)\[(\d{1,3})\](?:\.([a-z_]+))?$")


# --- reading what was posted -------------------------------------------------------------

def flat_values(data: Any) -> Values:
    """A QueryDict (or dict) as one string per name; the CSRF token and buttons dropped."""
    skip = {"csrfmiddlewaretoken", "confirm", "checked", "child_version", "case_version"}
    return {k: str(data.get(k, "")) for k in data if k not in skip}


def _row_indices(values: Mapping[str, str], key: str) -> list[int]:
    found = set()
    for name in values:
        m = _ROW_KEY.match(name)
        if m and m.group(1) == key and int(m.group(2)) < MAX_ROWS:
            found.add(int(m.group(2)))
    return sorted(found)


def _row_name(group: RowGroup, index: int, sub: str) -> str:
    return f"{group.key}[{index}]" + (f".{sub}" if sub else "")


def _kept_rows(values: Mapping[str, str], group: RowGroup) -> list[tuple[int, Any]]:
    rows = []
    for i in _row_indices(values, group.key):
        row = {c.sub: values.get(_row_name(group, i, c.sub), "") for c in group.columns}
        if any(row[s].strip() for s in group.content):
            rows.append((i, row.get("", row)))  # one-column groups are plain values
    return rows


def child_payload(values: Mapping[str, str]) -> tuple[dict[str, Any], IndexMap]:
    """The registry payload for what the user typed, and which form row each item is."""
    payload: dict[str, Any] = {c.sub: values.get(c.sub, "") for c in CHILD_SCALARS}
    payload["languages"] = [p for p in re.split(r"[\s,;]+", payload["languages"]) if p]
    index_map: IndexMap = {}
    for group in GROUPS:
        kept = _kept_rows(values, group)
        payload[group.key] = [row for _, row in kept]
        index_map[group.key] = [i for i, _ in kept]
    return payload, index_map


def case_payload(values: Mapping[str, str], *, keys: Iterable[str] = EDITABLE_FIELDS
                 ) -> dict[str, Any]:
    return {k: values.get(f"case.{k}", "") for k in keys}


def form_errors(errors: Mapping[str, list[str]], index_map: IndexMap | None = None
                ) -> dict[str, list[str]]:
    """Domain error paths turned back into form field names (blank rows put back)."""
    out: dict[str, list[str]] = {}
    for path, messages in errors.items():
        name = path
        m = re.match(r"^([a-z_]+)\[(\d+)\](.*)$", path)
        if m and m.group(1) == "languages":
            name = "languages"
        elif m and index_map and m.group(1) in index_map:
            rows, idx = index_map[m.group(1)], int(m.group(2))
            name = f"{m.group(1)}[{rows[idx] if idx < len(rows) else idx}]{m.group(3)}"
        out.setdefault(name, []).extend(messages)
    return out


# --- what is stored, as form values ------------------------------------------------------

def _s(value: Any) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return "on"
    return str(value)


def child_values(child: Any) -> Values:
    """The edit form's values for the stored child (the names the form uses)."""
    values: Values = {
        "sex": child.sex, "date_of_birth": _s(child.date_of_birth),
        "date_of_birth_estimated": _s(child.date_of_birth_estimated),
        "country_of_birth": child.country_of_birth, "place_of_birth": child.place_of_birth,
        "born_abroad": "true" if child.born_abroad else "false",
        "birth_registration": child.birth_registration,
        "languages": ", ".join(child.languages or []),
    }
    for i, n in enumerate(child.names.all()):
        values.update({f"names[{i}].kind": n.kind, f"names[{i}].value": n.value,
                       f"names[{i}].latin": n.latin})
    for i, a in enumerate(child.aliases.all()):
        values.update({f"aliases[{i}].alias_type": a.alias_type,
                       f"aliases[{i}].value": a.value, f"aliases[{i}].latin": a.latin})
    for i, code in enumerate(child.nationalities or []):
        values[f"nationalities[{i}]"] = code
    for i, ident in enumerate(child.identifiers.all()):
        values.update({f"identifiers[{i}].id_type": ident.id_type,
                       f"identifiers[{i}].value": ident.value,
                       f"identifiers[{i}].issuer": ident.issuer})
    for i, f in enumerate(child.family.all()):
        values.update({f"family[{i}].relationship": f.relationship,
                       f"family[{i}].name": f.name,
                       f"family[{i}].is_caregiver": _s(f.is_caregiver),
                       f"family[{i}].is_legal_guardian": _s(f.is_legal_guardian),
                       f"family[{i}].phone": f.phone, f"family[{i}].address": f.address})
    return values


def case_values(case: Any) -> Values:
    return {f"case.{k}": _s(getattr(case, k)) for k in EDITABLE_FIELDS}


def identity_changed(posted: Mapping[str, str], stored: Mapping[str, str]) -> bool:
    """Whether the identity part of the form differs from the stored child. New age
    evidence always counts as a change (it is added to the history)."""
    mine, _ = child_payload(posted)
    theirs, _ = child_payload(stored)
    return _normalized(mine) != _normalized(theirs)


def _normalized(payload: Any) -> Any:
    if isinstance(payload, dict):
        return {k: _normalized(v) for k, v in payload.items()}
    if isinstance(payload, list):
        return [_normalized(v) for v in payload]
    return payload.strip() if isinstance(payload, str) else payload


def case_changes(posted: Mapping[str, str], stored: Mapping[str, str]) -> dict[str, str]:
    """The case fields whose posted value differs from the stored one."""
    return {k: posted.get(f"case.{k}", "") for k in EDITABLE_FIELDS
            if posted.get(f"case.{k}", "").strip() != stored.get(f"case.{k}", "").strip()}


# --- laying the form out -----------------------------------------------------------------

def field_id(name: str) -> str:
    return "f-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass(frozen=True)
class ErrorItem:
    label: str
    anchor: str  # id of the input (or section) to jump to; "" for the whole form
    message: str


def error_items(errors: Mapping[str, list[str]]) -> list[ErrorItem]:
    """The error summary at the top of a form: each problem, named, linking to its field."""
    items = []
    for name, messages in errors.items():
        text = " ".join(messages)
        if name == "__all__":
            items.append(ErrorItem("", "", text))
            continue
        m = _ROW_KEY.match(name)
        if name in GROUP_KEYS:
            anchor = f"s-{name}"
        elif m and not m.group(3) and m.group(1) != "nationalities":
            anchor = f"s-{m.group(1)}"
        else:
            anchor = field_id(name)
        items.append(ErrorItem(label_for(name), anchor, text))
    return items


@dataclass
class BoundField:
    name: str
    label: Any
    kind: str
    value: str
    errors: list[str]
    choices: Sequence[tuple[str, Any]] = ()
    attrs: Mapping[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return field_id(self.name)

    @property
    def checked(self) -> bool:
        return self.value.lower() in {"on", "true", "1", "yes"}

    @property
    def input_type(self) -> str:
        return self.attrs.get("type") or {"date": "date", "number": "text"}.get(self.kind,
                                                                                "text")

    @property
    def extra_attrs(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in self.attrs.items() if k != "type"]


@dataclass
class Row:
    index: int
    label: str
    fields: list[BoundField]
    errors: list[str]


@dataclass
class Section:
    key: str
    title: Any
    hint: Any = ""
    fields: list[BoundField] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def bind(column: Column, name: str, values: Mapping[str, str],
         errors: Mapping[str, list[str]], label: Any = None) -> BoundField:
    value = values.get(name, "")
    if column.kind == "select" and not value and column.choices:
        value = str(column.choices[0][0])
    return BoundField(name=name, label=label or column.label, kind=column.kind, value=value,
                      errors=list(errors.get(name, [])), choices=column.choices,
                      attrs=column.attrs)


def group_section(group: RowGroup, values: Mapping[str, str],
                  errors: Mapping[str, list[str]], *, minimum: int, spare: int = 1,
                  title: Any = None, hint: Any = None) -> Section:
    """At least ``minimum`` rows, and always ``spare`` blank rows after the last row with
    something typed in it (rows with errors count as typed)."""
    used = [i for i, _ in _kept_rows(values, group)]
    used += [int(m.group(2)) for name in errors if (m := _ROW_KEY.match(name))
             and m.group(1) == group.key]
    count = min(MAX_ROWS, max(minimum, max(used, default=-1) + 1 + spare))
    section = Section(group.key, title or group.title, group.hint if hint is None else hint,
                      errors=list(errors.get(group.key, [])))
    for i in range(count):
        row_name = _row_name(group, i, "")
        fields_ = [bind(c, _row_name(group, i, c.sub), values, errors,
                        label=c.label if c.sub else f"{group.item} {i + 1}")
                   for c in group.columns]
        section.rows.append(Row(i, f"{group.item} {i + 1}", fields_,
                                list(errors.get(row_name, [])) if group.columns[0].sub
                                else []))
    return section


def child_sections(values: Mapping[str, str], errors: Mapping[str, list[str]], *,
                   editing: bool = False) -> list[Section]:
    scalars = {c.sub: c for c in CHILD_SCALARS}

    def scalar(*keys: str) -> list[BoundField]:
        return [bind(scalars[k], k, values, errors) for k in keys]

    sections = [
        group_section(NAMES, values, errors, minimum=3),
        group_section(ALIASES, values, errors, minimum=2),
        Section("birth", _("Sex and birth"), fields=scalar(
            "sex", "date_of_birth", "date_of_birth_estimated", "country_of_birth",
            "place_of_birth", "born_abroad", "birth_registration")),
        group_section(AGES, values, errors, minimum=1, spare=0 if editing else 1,
                      title=_("Add age evidence") if editing else None),
        group_section(NATIONALITIES, values, errors, minimum=2, hint=""),
        Section("languages", _("Languages"), fields=scalar("languages")),
        group_section(IDENTIFIERS, values, errors, minimum=1),
        group_section(FAMILY, values, errors, minimum=1),
    ]
    return sections


def case_section(keys: Iterable[str], values: Mapping[str, str],
                 errors: Mapping[str, list[str]], *, title: Any, key: str) -> Section:
    return Section(key, title, fields=[bind(CASE_COLUMNS[k], f"case.{k}", values, errors)
                                       for k in keys])


def field_labels() -> dict[str, str]:
    """Human labels for every form name pattern, for the conflict screen's comparison."""
    labels = {c.sub: str(c.label) for c in CHILD_SCALARS}
    labels.update({f"case.{k}": str(c.label) for k, c in CASE_COLUMNS.items()})
    return labels


def label_for(name: str) -> str:
    labels = field_labels()
    if name in labels:
        return labels[name]
    m = _ROW_KEY.match(name)
    if m:
        group = next((g for g in GROUPS if g.key == m.group(1)), None)
        if group is not None:
            column = next((c for c in group.columns if c.sub == (m.group(3) or "")), None)
            row = f"{group.item} {int(m.group(2)) + 1}"
            return f"{row}: {column.label}" if column and column.sub else row
    return name


def choice_label(name: str, value: str) -> str:
    """The label of a select's value (for showing stored values), else the value."""
    m = _ROW_KEY.match(name)
    column: Column | None = None
    if name.startswith("case."):
        column = CASE_COLUMNS.get(name[5:])
    elif m:
        group = next((g for g in GROUPS if g.key == m.group(1)), None)
        column = next((c for c in group.columns if c.sub == (m.group(3) or "")),
                      None) if group else None
    else:
        column = next((c for c in CHILD_SCALARS if c.sub == name), None)
    if column is not None and column.kind == "select":
        return str(dict(column.choices).get(value, value))
    if column is not None and column.kind == "checkbox":
        return str(_("Yes")) if value.lower() in {"on", "true", "1"} else str(_("No"))
    return value


def country_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in countries]


# --- the conflict screen: three-way merge --------------------------------------------------

@dataclass
class Difference:
    """One part of the form where the user's input and the saved record differ."""

    label: str
    mine: str
    saved: str
    outcome: str  # "mine": your change applies | "theirs": the newer save kept | "both"


GROUP_KEYS = {g.key for g in GROUPS}


def _units() -> list[str]:
    return [c.sub for c in CHILD_SCALARS] + [f"case.{k}" for k in EDITABLE_FIELDS]


def _group_rows(values: Mapping[str, str], group: RowGroup) -> list[Any]:
    return _normalized([row for _, row in _kept_rows(values, group)])


def _summary(group: RowGroup, rows: list[Any]) -> str:
    parts = []
    for row in rows:
        if isinstance(row, str):
            parts.append(row)
            continue
        bits = []
        for c in group.columns:
            value = row.get(c.sub, "")
            if not value:
                continue
            if c.kind == "select":
                value = str(dict(c.choices).get(value, value))
            elif c.kind == "checkbox":
                value = str(c.label)
            bits.append(value)
        parts.append(" · ".join(bits))
    return "; ".join(parts) or "—"


def merge(posted: Mapping[str, str], loaded: Mapping[str, str] | None,
          saved: Mapping[str, str]) -> tuple[Values, list[Difference]]:
    """Three-way merge of the user's input onto the newer saved version.

    ``loaded`` is what the user's form started from. A part the user did not change takes
    the newer saved value; a part only the user changed keeps the user's input; a part both
    changed keeps the user's input and is flagged ``both``. Repeating groups (names,
    aliases …) merge as a whole, because their rows have no identity of their own. Nothing
    the user typed is dropped from the returned values unless the user had not changed it.
    """
    base = loaded if loaded is not None else {}
    merged: Values = {}
    diffs: list[Difference] = []

    def decide(p: Any, b: Any, s: Any) -> str:
        if loaded is not None and p == b:
            return "theirs"
        if s == b or p == s:
            return "mine"
        return "both"

    for name in _units():
        p, b, s = (posted.get(name, "").strip(), base.get(name, "").strip(),
                   saved.get(name, "").strip())
        outcome = decide(p, b, s)
        merged[name] = saved.get(name, "") if outcome == "theirs" else posted.get(name, "")
        if p != s:
            diffs.append(Difference(label_for(name), choice_label(name, p) or "—",
                                    choice_label(name, s) or "—", outcome))
    for group in GROUPS:
        p, b, s = (_group_rows(posted, group), _group_rows(base, group),
                   _group_rows(saved, group))
        outcome = decide(p, b, s)
        source = saved if outcome == "theirs" else posted
        merged.update({k: v for k, v in source.items()
                       if (m := _ROW_KEY.match(k)) and m.group(1) == group.key})
        if p != s:
            diffs.append(Difference(str(group.title), _summary(group, p),
                                    _summary(group, s), outcome))
    return merged, diffs
