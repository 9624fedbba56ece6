"""The validation engine: one function judges every record, from the web or from ODK.

``evaluate_record`` takes a form schema and submitted values and returns the values as
they will be stored, the relevance of every node (for rendering) and every error, keyed
by path (``sessions``, ``goal[2].due_date``; repeat rows count from 1, as in XPath).

XLSForm semantics, as ODK Collect applies them:

* relevance: a node is relevant when its own ``relevant`` is true and its group is
  relevant. A non-relevant field's value is cleared and never validated; a non-relevant
  repeat has no rows.
* ``calculate`` fields are computed, in dependency order, from the other values (a
  submitted value for them is ignored); a non-relevant calculation is empty.
* ``required`` (``yes`` or an expression) is checked only for relevant fields.
* the type of each answer (integer, decimal, date, choice from the list) is checked;
  text is NFC-normalized and limited in length.
* ``constraint`` is evaluated with ``.`` = the typed answer, only for a non-empty answer
  that has the right type; a false constraint gives ``constraint_message`` in the
  requested language (or the form's default language).

Constraints and required expressions are checked after every value is known, so they may
read fields that come later in the form.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import ChainMap
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from bridgeway.forms import xpath
from bridgeway.forms.schema import (
    INPUT_KINDS,
    METADATA_KINDS,
    ROOT_SCOPE,
    CompiledForm,
    NodeInfo,
    compile_schema,
    language_code,
    pick_text,
    resolve_language,
)

INT_LIMIT = 2**31 - 1  # JavaRosa keeps integers in 32 bits
OTHER_LENGTH_LIMIT = 1000  # numbers, dates, choices, metadata: far above any real answer
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Errors = dict[str, list[str]]


@dataclass
class RecordResult:
    """What the engine made of a submission."""

    values: dict[str, Any]
    errors: Errors
    relevant: set[str] = field(default_factory=set)
    language: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Check:
    info: NodeInfo
    path: str
    env: Mapping[str, object]
    typed: object


def max_text_length() -> int:
    return int(getattr(settings, "BRIDGEWAY_MAX_TEXT", 10_000))


def _as_text(raw: Any) -> str | None:
    """Submitted value to text, or None when its type can never be an answer."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float | Decimal):
        return xpath.to_string(raw)
    if isinstance(raw, dt.date):
        return raw.isoformat()
    if isinstance(raw, list | tuple):
        if all(isinstance(item, str) for item in raw):
            return " ".join(raw)
        return None
    return None


def coerce(kind: str, raw: Any, choices: frozenset[str] = frozenset()
           ) -> tuple[str, object, str | None]:
    """``(text as stored, typed value for expressions, error or None)`` for one answer."""
    text = _as_text(raw)
    if text is None:
        return "", "", _("Not a valid answer.")
    text = unicodedata.normalize("NFC", text).strip()
    if text == "":
        return "", "", None
    limit = max_text_length() if kind == "text" else OTHER_LENGTH_LIMIT
    if len(text) > limit:
        return text, text, _("At most %(limit)s characters (got %(count)s).") % {
            "limit": limit, "count": len(text)}
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in text):
        return text, text, _("Contains control characters.")
    if kind == "integer":
        if not _INTEGER.fullmatch(text):
            return text, text, _("Enter a whole number.")
        number = int(text)
        if abs(number) > INT_LIMIT:
            return text, text, _("Enter a whole number between %(low)s and %(high)s.") % {
                "low": -INT_LIMIT, "high": INT_LIMIT}
        return str(number), float(number), None
    if kind == "decimal":
        if not _DECIMAL.fullmatch(text):
            return text, text, _("Enter a number.")
        return text, float(text), None
    if kind == "date":
        try:
            if not _DATE.fullmatch(text):
                raise ValueError(text)
            dt.date.fromisoformat(text)
        except ValueError:
            return text, text, _("Enter a date as YYYY-MM-DD.")
        return text, text, None
    if kind == "select_one":
        if text not in choices:
            return text, text, _("'%(value)s' is not one of the choices.") % {"value": text}
        return text, text, None
    if kind == "select_multiple":
        picked = text.split()
        unknown = [p for p in picked if p not in choices]
        if unknown:
            return text, text, _("'%(value)s' is not one of the choices.") % {
                "value": unknown[0]}
        if len(set(picked)) != len(picked):
            return text, text, _("A choice is selected more than once.")
        text = " ".join(picked)
        return text, text, None
    return text, text, None


class _Run:
    def __init__(self, form: CompiledForm, *, today: dt.date, language: str,
                 require: bool) -> None:
        self.form = form
        self.today = today
        self.language = language
        self.require = require
        self.errors: Errors = {}
        self.relevant: set[str] = set()
        self.checks: list[_Check] = []

    def error(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def text(self, texts: Mapping[str, str] | None) -> str:
        return pick_text(texts, self.language, self.form.default_language)

    def eval(self, expr: xpath.Expr, env: Mapping[str, object], path: str,
             current: object = None) -> xpath.Value | None:
        try:
            return xpath.evaluate(expr, env, today=self.today, current=current)
        except xpath.ExpressionError as exc:
            self.error(path, _("This answer could not be checked: %(error)s") % {
                "error": str(exc)})
            return None

    # -- phase 1: relevance and values ------------------------------------------------

    def scope(self, scope: str, inputs: Mapping[str, Any], out: dict[str, Any],
              typed: dict[str, object], env: ChainMap[str, object], prefix: str) -> None:
        allowed = set(self.form.stored_names(scope))
        for key in inputs:
            if key not in allowed:
                self.error(prefix + str(key), _("Unknown field."))
        for info in self.form.scope_members(scope):
            path = prefix + info.name
            relevant = True
            if info.container is not None and self.form.info[info.container].scope == scope \
                    and self.form.info[info.container].kind == "group":
                relevant = (prefix + info.container) in self.relevant
            if relevant and info.relevant is not None:
                value = self.eval(info.relevant, env, path, inputs.get(info.name))
                relevant = value is None or xpath.truthy(value)
            if relevant:
                self.relevant.add(path)
            self.node(info, path, relevant, inputs, out, typed, env)

    def node(self, info: NodeInfo, path: str, relevant: bool, inputs: Mapping[str, Any],
             out: dict[str, Any], typed: dict[str, object], env: ChainMap[str, object]
             ) -> None:
        kind, name = info.kind, info.name
        if kind in ("group", "note"):
            return
        if kind == "repeat":
            rows = inputs.get(name)
            out[name] = []
            typed[name] = ""
            if not relevant or rows in (None, ""):
                return
            if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
                self.error(path, _("Expected a list of rows."))
                return
            for index, row in enumerate(rows, start=1):
                row_out: dict[str, Any] = {}
                row_typed: dict[str, object] = {}
                self.scope(name, row, row_out, row_typed, env.new_child(row_typed),
                           f"{path}[{index}].")
                out[name].append(row_out)
            return
        if kind == "calculate":
            text = ""
            if relevant and info.calculation is not None:
                value = self.eval(info.calculation, env, path)
                text = "" if value is None else xpath.to_string(value)
            out[name] = typed[name] = text
            return
        if kind in METADATA_KINDS:
            text, _typed, problem = coerce("metadata", inputs.get(name))
            if problem:
                self.error(path, problem)
            out[name] = typed[name] = text
            return
        if kind not in INPUT_KINDS:  # pragma: no cover - refused at upload
            return
        if not relevant:
            out[name] = typed[name] = ""
            return
        text, answer, problem = coerce(kind, inputs.get(name),
                                       self.form.choice_names.get(name, frozenset()))
        out[name] = text
        if problem:
            self.error(path, problem)
            typed[name] = text
            return
        typed[name] = answer
        self.checks.append(_Check(info, path, env, answer))

    # -- phase 2: required and constraints ----------------------------------------------

    def check(self, item: _Check) -> None:
        info, path = item.info, item.path
        if item.typed == "":
            if not self.require:
                return
            required = info.required
            if isinstance(required, xpath.Expr):
                value = self.eval(required, item.env, path, "")
                required = value is not None and xpath.truthy(value)
            if required:
                self.error(path, self.text(info.node.get("required_message"))
                           or _("This field is required."))
            return
        if info.constraint is not None:
            value = self.eval(info.constraint, item.env, path, item.typed)
            if value is not None and not xpath.truthy(value):
                self.error(path, self.text(info.node.get("constraint_message"))
                           or _("This answer is not allowed."))


def evaluate_record(schema: Mapping[str, Any] | CompiledForm, values: Any, *,
                    today: dt.date, language: str | None = None,
                    require: bool = True) -> RecordResult:
    """Judge one submission. ``language`` is a language code (``"ar"``) or a form
    language name; ``require=False`` (drafts) skips the required checks only."""
    form = compile_schema(schema)
    lang = language if language in form.languages else resolve_language(form, language)
    # Bridgeway's own messages ("This field is required.") in the form's language, so a
    # record gets the same messages whichever channel it came through.
    code = language_code(lang)
    ui_languages = {c for c, _name in getattr(settings, "LANGUAGES", [])}
    with translation.override(code) if code in ui_languages else nullcontext():
        run = _Run(form, today=today, language=lang, require=require)
        out: dict[str, Any] = {}
        if not isinstance(values, Mapping):
            run.error("__all__", _("Expected an object mapping field names to answers."))
            return RecordResult(out, run.errors, set(), lang)
        typed: dict[str, object] = {}
        run.scope(ROOT_SCOPE, values, out, typed, ChainMap(typed), "")
        for item in run.checks:
            run.check(item)
    return RecordResult(out, run.errors, run.relevant, lang)


def validate_record(schema: Mapping[str, Any] | CompiledForm, values: Any, *,
                    today: dt.date, language: str | None = None) -> Errors:
    """Every error in a submission, keyed by path; empty when it may be stored."""
    return evaluate_record(schema, values, today=today, language=language).errors
