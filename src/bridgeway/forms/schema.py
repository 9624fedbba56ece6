"""Bridgeway's internal form schema and its compiled, ready-to-evaluate form.

A schema is a JSON-compatible dict stored on each ``FormVersion`` (built by
:mod:`bridgeway.forms.xlsform`)::

    {"schema_version": 1, "form_id": "...", "version": "...", "title": "...",
     "root": "data", "default_language": "English (en)",
     "languages": ["English (en)", "Arabic (ar)"], "instance_name": "...",
     "fields": [node, ...]}

    node = {"name", "kind", "row", "xml_path",
            "label": {language: text}, "hint": {...},
            "required": "" | "yes" | expression, "required_message": {...},
            "relevant": expression, "constraint": expression,
            "constraint_message": {...}, "calculation": expression, "default": text,
            "appearance": text, "category": data category or "",
            # select_one / select_multiple:
            "list_name", "choices": [{"name", "label": {...}}], "or_other": bool,
            # group / repeat:
            "children": [node, ...]}

``kind`` is one of text, integer, decimal, date, select_one, select_multiple, note,
calculate, group, repeat, and the metadata kinds start, end, today, deviceid, username.
A label without a language column is stored under the language ``"default"``.

Field names are unique in a form, so a record's values are a flat dict (groups do not
nest); a repeat's value is a list of dicts, one per row.

:class:`CompiledForm` indexes a schema once: parsed expressions, the repeat "scope" of each
node, and the order in which relevance and calculations must be evaluated in each scope.
"""

from __future__ import annotations

import functools
import graphlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf.locale import LANG_INFO

from bridgeway.forms import xpath

SCHEMA_VERSION = 1
INPUT_KINDS = frozenset({"text", "integer", "decimal", "date", "select_one", "select_multiple"})
METADATA_KINDS = frozenset({"start", "end", "today", "deviceid", "username"})
CONTAINER_KINDS = frozenset({"group", "repeat"})
ROOT_SCOPE = ""

_LABEL_REF = re.compile(r"\$\{([^}]*)\}")
_CODE_IN_NAME = re.compile(r"\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)\s*\)\s*$")


class DependencyCycle(Exception):
    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(" -> ".join([*cycle, cycle[0]]))


@dataclass
class NodeInfo:
    node: dict[str, Any]
    scope: str  # name of the innermost repeat around the node, or ROOT_SCOPE
    container: str | None  # enclosing group/repeat name, if any
    relevant: xpath.Expr | None = None
    constraint: xpath.Expr | None = None
    calculation: xpath.Expr | None = None
    required: xpath.Expr | bool = False

    @property
    def name(self) -> str:
        return str(self.node["name"])

    @property
    def kind(self) -> str:
        return str(self.node["kind"])


@dataclass
class CompiledForm:
    """A schema with its expressions parsed and its evaluation order worked out."""

    schema: dict[str, Any]
    info: dict[str, NodeInfo] = field(init=False)
    order: dict[str, list[str]] = field(init=False)
    choice_names: dict[str, frozenset[str]] = field(init=False)
    refresh_sources: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.info = {}
        self.choice_names = {}
        self._index(self.schema["fields"], ROOT_SCOPE, None)
        self.order = self._order()
        self.refresh_sources = self._refresh_sources()

    # -- building ---------------------------------------------------------------------

    def _index(self, nodes: list[dict[str, Any]], scope: str, container: str | None) -> None:
        for node in nodes:
            info = NodeInfo(node=node, scope=scope, container=container)
            info.relevant = _parse(node.get("relevant"))
            info.constraint = _parse(node.get("constraint"))
            info.calculation = _parse(node.get("calculation"))
            required = node.get("required") or ""
            info.required = True if required == "yes" else (_parse(required) or False)
            self.info[node["name"]] = info
            if "choices" in node:
                self.choice_names[node["name"]] = frozenset(c["name"] for c in node["choices"])
            if node["kind"] == "group":
                self._index(node["children"], scope, node["name"])
            elif node["kind"] == "repeat":
                self._index(node["children"], node["name"], node["name"])

    def _deps(self, info: NodeInfo) -> set[str]:
        found: set[str] = set()
        for expr in (info.relevant, info.calculation):
            if expr is not None:
                found |= xpath.references(expr)
        if info.container is not None and self.info[info.container].kind == "group":
            found.add(info.container)
        return found

    def scope_chain(self, name: str) -> list[str]:
        """The repeat scopes around ``name``, innermost first, ending with ROOT_SCOPE."""
        chain = []
        scope = self.info[name].scope
        while scope != ROOT_SCOPE:
            chain.append(scope)
            scope = self.info[scope].scope
        return [*chain, ROOT_SCOPE]

    def _order(self) -> dict[str, list[str]]:
        """Per scope, an order in which each node comes after what its relevance and
        calculation read. A repeat comes after everything its rows read from outside."""
        graphs: dict[str, dict[str, set[str]]] = {}
        for name, info in self.info.items():
            graphs.setdefault(info.scope, {}).setdefault(name, set())
            if info.kind == "repeat":
                graphs.setdefault(name, {})
        for name, info in self.info.items():
            for dep in self._deps(info):
                if dep not in self.info:
                    continue
                dep_scope = self.info[dep].scope
                chain = self.scope_chain(name)
                if dep_scope == info.scope:
                    graphs[info.scope][name].add(dep)
                elif dep_scope in chain:
                    # Lift the dependency to the repeat (in dep's scope) that holds ``name``.
                    holder = name
                    while self.info[holder].scope != dep_scope:
                        holder = self.info[holder].scope
                    if holder != dep:
                        graphs[dep_scope][holder].add(dep)
        order: dict[str, list[str]] = {}
        form_order = {name: i for i, name in enumerate(self.info)}
        for scope, graph in graphs.items():
            sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
            for name in sorted(graph, key=form_order.__getitem__):
                sorter.add(name, *sorted(graph[name], key=form_order.__getitem__))
            try:
                order[scope] = list(sorter.static_order())
            except graphlib.CycleError as exc:
                # graphlib lists each node before the node that depends on it; report
                # "each uses the next", starting at the node that comes first in the form.
                cycle = list(reversed(exc.args[1][:-1]))
                start = min(range(len(cycle)), key=lambda i: form_order[cycle[i]])
                raise DependencyCycle(cycle[start:] + cycle[:start]) from None
        return order

    def _refresh_sources(self) -> frozenset[str]:
        """Fields whose answer changes what is shown: read by a relevance, a calculation
        (which relevance may read) or a label. The page re-renders when they change."""
        found: set[str] = set()
        for info in self.info.values():
            for expr in (info.relevant, info.calculation):
                if expr is not None:
                    found |= xpath.references(expr)
            for key in ("label", "hint"):
                for text in (info.node.get(key) or {}).values():
                    found |= set(_LABEL_REF.findall(text))
        return frozenset(found)

    # -- queries ----------------------------------------------------------------------

    def node(self, name: str) -> dict[str, Any]:
        return self.info[name].node

    def scope_members(self, scope: str) -> list[NodeInfo]:
        return [self.info[n] for n in self.order.get(scope, [])]

    def stored_names(self, scope: str) -> list[str]:
        """Names whose values a record stores in this scope (form order)."""
        return [name for name, info in self.info.items()
                if info.scope == scope and info.kind not in ("group", "note")]

    @property
    def default_language(self) -> str:
        return str(self.schema.get("default_language") or "default")

    @property
    def languages(self) -> list[str]:
        return list(self.schema.get("languages") or ["default"])


def _parse(text: Any) -> xpath.Expr | None:
    if not text:
        return None
    return xpath.parse(str(text))


@functools.lru_cache(maxsize=64)
def _compile_cached(serialized: str) -> CompiledForm:
    return CompiledForm(json.loads(serialized))


def compile_schema(schema: Mapping[str, Any] | CompiledForm) -> CompiledForm:
    """The compiled form of a schema (cached: forms are reused for every submission)."""
    if isinstance(schema, CompiledForm):
        return schema
    return _compile_cached(json.dumps(schema, sort_keys=True))


def walk(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        yield node
        if node["kind"] in CONTAINER_KINDS:
            yield from walk(node["children"])


# --------------------------------------------------------------------------
# Languages


def language_code(name: str) -> str | None:
    """``"Arabic (ar)"`` -> ``"ar"``; ``"French"`` -> ``"fr"``; unknown -> None."""
    match = _CODE_IN_NAME.search(name)
    if match:
        return match.group(1).lower().replace("_", "-")
    lowered = name.strip().lower()
    for code, info in LANG_INFO.items():
        if isinstance(info, dict) and str(info.get("name", "")).lower() == lowered:
            return code
    return None


def resolve_language(form: CompiledForm, wanted: str | None) -> str:
    """The form language to show for a user's language code, else the default one."""
    if wanted:
        wanted = wanted.lower().replace("_", "-")
        codes = [(lang, language_code(lang)) for lang in form.languages]
        for lang, code in codes:
            if code == wanted:
                return lang
        for lang, code in codes:
            if code and code.split("-")[0] == wanted.split("-")[0]:
                return lang
    return form.default_language


def pick_text(texts: Mapping[str, str] | None, language: str, default_language: str) -> str:
    """The text in ``language``, else the default language, else any."""
    if not texts:
        return ""
    for key in (language, default_language, "default"):
        if texts.get(key):
            return texts[key]
    return next(iter(texts.values()), "")


def is_rtl(language_name: str) -> bool:
    from django.conf import settings

    code = language_code(language_name) or ""
    primary = code.split("-")[0]
    bidi = set(getattr(settings, "LANGUAGES_BIDI", ())) | {"ar", "fa", "he", "ur", "ps",
                                                           "dv", "ckb", "ug", "yi"}
    return primary in bidi
