"""From a form schema and an engine result to something a template can print, and from a
browser's POST back to the values the engine takes.

The templates stay dumb: this module decides which nodes are shown (relevant ones only),
in which language, with which widget, value and errors. HTML names are the engine's
paths (``sessions``, ``goal[2].due_date``), so an error maps to its input directly.

Repeats are posted as a fixed number of rows: a hidden ``_rows:<path>`` input gives the
count, and "add row" / "remove row" are ordinary submit buttons, so they work without
JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from bridgeway.forms.engine import RecordResult
from bridgeway.forms.schema import INPUT_KINDS, CompiledForm, is_rtl, language_code, pick_text
from bridgeway.forms.xlsform import CASE_NUMBER_FIELD

MAX_ROWS = 50
_REF = re.compile(r"\$\{([^}]*)\}")
_SEGMENT = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<index>\d+)\]$")


@dataclass
class Option:
    value: str
    label: str
    checked: bool
    html_id: str


@dataclass
class Widget:
    kind: str  # text textarea integer decimal date radio checkbox note group repeat hidden
    name: str = ""
    html_id: str = ""
    label: str = ""
    hint: str = ""
    required: bool = False
    errors: list[str] = field(default_factory=list)
    value: str = ""
    options: list[Option] = field(default_factory=list)
    children: list[Widget] = field(default_factory=list)
    rows: list[RepeatRow] = field(default_factory=list)
    refresh: bool = False  # changing the answer re-renders the form (htmx)

    @property
    def describedby(self) -> str:
        ids = []
        if self.hint:
            ids.append(f"{self.html_id}-hint")
        if self.errors:
            ids.append(f"{self.html_id}-err")
        return " ".join(ids)

    @property
    def rows_count(self) -> int:
        return len(self.rows)


@dataclass
class RepeatRow:
    index: int
    path: str
    label: str
    children: list[Widget]


@dataclass
class FormView:
    """Everything a template needs to print one form."""

    widgets: list[Widget]
    language: str
    lang_code: str
    rtl: bool
    title: str
    languages: list[tuple[str, str]]  # (code, name) for the language switcher
    error_list: list[tuple[str, str, str]]  # (html id, label, message) for the summary


def html_id(path: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", path).strip("-")


def _substitute(text: str, row: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        found = row.get(name, root.get(name, ""))
        return "" if isinstance(found, list) else str(found)

    return _REF.sub(value, text)


class _Builder:
    def __init__(self, form: CompiledForm, result: RecordResult, language: str,
                 errors: Mapping[str, list[str]], categories: frozenset[str] | None) -> None:
        self.categories = categories
        self.form = form
        self.result = result
        self.language = language
        self.errors = errors
        self.error_list: list[tuple[str, str, str]] = []

    def text(self, texts: Mapping[str, str] | None) -> str:
        return pick_text(texts, self.language, self.form.default_language)

    def widgets(self, nodes: list[dict[str, Any]], row: Mapping[str, Any], prefix: str
                ) -> list[Widget]:
        found: list[Widget] = []
        root = self.result.values
        for node in nodes:
            path = prefix + node["name"]
            kind = node["kind"]
            if path not in self.result.relevant:
                continue
            category = node.get("category") or ""
            if self.categories is not None and category and category not in self.categories:
                continue  # need to know: a data category the viewer may not see
            label = _substitute(self.text(node.get("label")), row, root)
            hint = _substitute(self.text(node.get("hint")), row, root)
            wid = html_id(path)
            if kind == "group":
                found.append(Widget("group", path, wid, label, hint,
                                    children=self.widgets(node["children"], row, prefix)))
            elif kind == "repeat":
                rows = []
                for index, item in enumerate(row.get(node["name"]) or [], start=1):
                    rpath = f"{path}[{index}]"
                    rows.append(RepeatRow(index, rpath, f"{label} {index}",
                                          self.widgets(node["children"], item, rpath + ".")))
                widget = Widget("repeat", path, wid, label, hint, rows=rows,
                                errors=list(self.errors.get(path, [])))
                found.append(widget)
            elif kind == "note":
                found.append(Widget("note", path, wid, label, hint))
            elif kind in INPUT_KINDS:
                found.append(self.field(node, path, wid, label, hint, row))
        return found

    def field(self, node: dict[str, Any], path: str, wid: str, label: str, hint: str,
              row: Mapping[str, Any]) -> Widget:
        value = row.get(node["name"], "")
        value = "" if isinstance(value, list) else str(value)
        errors = list(self.errors.get(path, []))
        for message in errors:
            self.error_list.append((wid, label or node["name"], message))
        if node["name"] == CASE_NUMBER_FIELD and not path.count("."):
            return Widget("hidden", path, wid, label, value=value, errors=errors)
        kind = node["kind"]
        widget = Widget(kind, path, wid, label, hint, required=node.get("required") == "yes",
                        errors=errors, value=value,
                        refresh=node["name"] in self.form.refresh_sources)
        if kind == "text" and "multiline" in node.get("appearance", ""):
            widget.kind = "textarea"
        if kind in ("select_one", "select_multiple"):
            picked = set(value.split()) if kind == "select_multiple" else {value}
            widget.kind = "radio" if kind == "select_one" else "checkbox"
            widget.options = [
                Option(c["name"], self.text(c.get("label")) or c["name"], c["name"] in picked,
                       f"{wid}-{index}")
                for index, c in enumerate(node.get("choices", []), start=1)]
        return widget


def form_view(form: CompiledForm, result: RecordResult, *,
              errors: Mapping[str, list[str]] | None = None,
              categories: frozenset[str] | None = None) -> FormView:
    """The printable form for a result of ``evaluate_record`` (values and relevance).
    With ``categories``, fields of other data categories are left out."""
    errors = result.errors if errors is None else errors
    builder = _Builder(form, result, result.language or form.default_language, errors,
                       categories)
    widgets = builder.widgets(form.schema["fields"], result.values, "")
    for path, messages in errors.items():
        if path not in result.relevant and path != "__all__":
            for message in messages:  # errors on nodes not shown (should not happen)
                builder.error_list.append(("", path, message))
    language = builder.language
    languages = [(language_code(name) or name, name.split(" (")[0])
                 for name in form.languages if name != "default"]
    return FormView(widgets=widgets, language=language,
                    lang_code=language_code(language) or "", rtl=is_rtl(language),
                    title=str(form.schema.get("title", "")), languages=languages,
                    error_list=builder.error_list)


# --------------------------------------------------------------------------
# POST -> values


def _is_empty(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_is_empty(v) for v in value.values())
    if isinstance(value, list):
        return all(_is_empty(v) for v in value)
    return value in (None, "")


def _rows(post: Any, path: str) -> int:
    raw = str(post.get(f"_rows:{path}", "0"))
    return min(int(raw), MAX_ROWS) if raw.isdecimal() else 0


def _from_post(nodes: list[dict[str, Any]], post: Any, prefix: str, drop_empty: bool
               ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node in nodes:
        path = prefix + node["name"]
        kind = node["kind"]
        if kind == "group":
            out.update(_from_post(node["children"], post, prefix, drop_empty))
        elif kind == "repeat":
            rows = [_from_post(node["children"], post, f"{path}[{i}].", drop_empty)
                    for i in range(1, _rows(post, path) + 1)]
            if drop_empty:
                rows = [r for r in rows if not _is_empty(r)]
            out[node["name"]] = rows
        elif kind == "select_multiple":
            out[node["name"]] = " ".join(v for v in post.getlist(path) if v)
        elif kind in INPUT_KINDS:
            value = post.get(path)
            if value is not None:
                out[node["name"]] = value
    return out


def values_from_post(form: CompiledForm, post: Any, *, drop_empty_rows: bool = False
                     ) -> dict[str, Any]:
    """The answers in a browser POST (a QueryDict). Calculations and metadata are never
    taken from the browser."""
    return _from_post(form.schema["fields"], post, "", drop_empty_rows)


def _locate(values: dict[str, Any], path: str) -> tuple[dict[str, Any], str, int | None] | None:
    """For ``a[1].b`` or ``a[1].b[2]``: the dict holding repeat ``b``, its name, and the
    row index (1-based) when the path names a row."""
    parts = path.split(".")
    current: Any = values
    for part in parts[:-1]:
        match = _SEGMENT.match(part)
        if match is None:
            return None
        rows = current.get(match.group("name"))
        index = int(match.group("index"))
        if not isinstance(rows, list) or not 1 <= index <= len(rows):
            return None
        current = rows[index - 1]
        if not isinstance(current, dict):
            return None
    match = _SEGMENT.match(parts[-1])
    name = match.group("name") if match else parts[-1]
    return current, name, int(match.group("index")) if match else None


def _row_defaults(form: CompiledForm, repeat: str) -> dict[str, Any]:
    return {name: info.node["default"] for name, info in form.info.items()
            if info.scope == repeat and info.kind in INPUT_KINDS and info.node.get("default")}


def add_row(form: CompiledForm, values: dict[str, Any], path: str) -> bool:
    """Append an empty row (with its defaults) to the repeat at ``path``."""
    found = _locate(values, path)
    if found is None or found[2] is not None:
        return False
    holder, name, _index = found
    if name not in form.info or form.info[name].kind != "repeat":
        return False
    rows = holder.get(name)
    if not isinstance(rows, list):
        rows = holder[name] = []
    if len(rows) >= MAX_ROWS:
        return False
    rows.append(_row_defaults(form, name))
    return True


def remove_row(values: dict[str, Any], path: str) -> bool:
    """Remove the row named by ``path`` (``goal[2]``)."""
    found = _locate(values, path)
    if found is None:
        return False
    holder, name, index = found
    rows = holder.get(name)
    if index is None or not isinstance(rows, list) or not 1 <= index <= len(rows):
        return False
    del rows[index - 1]
    return True


def repeat_paths_needing_a_row(form: CompiledForm, values: dict[str, Any]) -> None:
    """Give every relevant empty top-level repeat one row, so a new form shows a row."""
    for name, info in form.info.items():
        if info.kind == "repeat" and info.scope == "" and not values.get(name):
            values[name] = [_row_defaults(form, name)]


def defaults_for_new(form: CompiledForm) -> dict[str, Any]:
    """Initial values of a new record: the XLSForm ``default`` column (top-level fields;
    repeat rows get theirs when added)."""
    values: dict[str, Any] = {}
    for name, info in form.info.items():
        if info.scope == "" and info.kind in INPUT_KINDS and info.node.get("default"):
            values[name] = info.node["default"]
    repeat_paths_needing_a_row(form, values)
    return values


def required_label() -> str:
    return _("required")
