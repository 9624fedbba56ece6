"""Reading the instance XML that ODK clients submit, safely.

The XML comes from a device, so it is parsed with defusedxml and any DTD is refused:
that stops external entities (XXE) and entity expansion ("billion laughs") before the
parser resolves anything. Element namespaces are ignored (clients differ in whether the
instance carries a default namespace); names are matched on their local part.

A submission looks like this (ODK Collect, for a form with a group and a repeat)::

    <data id="bw_reintegration_plan" version="2026112201" xmlns:orx="...">
      <case_number>BW-2026-000001</case_number>
      <grp><q>...</q></grp>
      <goal><goal_domain>family</goal_domain>...</goal>
      <goal>...</goal>
      <meta><instanceID>uuid:...</instanceID><deprecatedID>uuid:...</deprecatedID></meta>
    </data>
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bridgeway.forms.schema import compile_schema

MAX_XML_BYTES = 5 * 1024 * 1024


class SubmissionXMLError(Exception):
    """``kind``: forbidden_xml | malformed_xml | missing_instance_id."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass
class SubmissionHeader:
    form_id: str
    version: str
    instance_id: str
    deprecated_id: str
    root: Element


def local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(elem: Element, name: str) -> Element | None:
    return next((c for c in elem if local(c.tag) == name), None)


def parse_submission(xml: bytes) -> SubmissionHeader:
    """Parse and read the form id, version and instance ids; raise SubmissionXMLError."""
    if len(xml) > MAX_XML_BYTES:
        raise SubmissionXMLError("malformed_xml", "The submission XML is too large.")
    try:
        root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise SubmissionXMLError(
            "forbidden_xml", "The submission XML contains a DTD or entities, which are not "
            f"accepted ({exc.__class__.__name__}).") from exc
    except (ParseError, ValueError) as exc:
        raise SubmissionXMLError("malformed_xml",
                                 f"The submission is not well-formed XML: {exc}") from exc
    form_id = (root.get("id") or "").strip()
    version = (root.get("version") or "").strip()
    meta = _child(root, "meta")
    instance_id = deprecated_id = ""
    if meta is not None:
        found = _child(meta, "instanceID")
        instance_id = (found.text or "").strip() if found is not None else ""
        found = _child(meta, "deprecatedID")
        deprecated_id = (found.text or "").strip() if found is not None else ""
    if not form_id:
        raise SubmissionXMLError("malformed_xml",
                                 "The root element has no 'id' attribute (the form id).")
    if not instance_id:
        raise SubmissionXMLError("missing_instance_id",
                                 "The submission has no meta/instanceID.")
    if len(instance_id) > 100 or len(deprecated_id) > 100:
        raise SubmissionXMLError("malformed_xml", "The instanceID is too long.")
    return SubmissionHeader(form_id, version, instance_id, deprecated_id, root)


def submission_values(schema: Mapping[str, Any], root: Element) -> dict[str, Any]:
    """The answers in a submission, shaped as the engine expects them (groups flattened,
    repeats as lists of rows). Elements the form does not define (``meta``, Kobo's
    ``formhub``) are ignored: the raw XML keeps them."""
    form = compile_schema(schema)
    return _collect(form.schema["fields"], root)


def _collect(nodes: list[dict[str, Any]], elem: Element) -> dict[str, Any]:
    by_name: dict[str, list[Element]] = {}
    for child in elem:
        by_name.setdefault(local(child.tag), []).append(child)
    out: dict[str, Any] = {}
    for node in nodes:
        found = by_name.get(node["name"], [])
        kind = node["kind"]
        if kind == "group":
            if found:
                out.update(_collect(node["children"], found[0]))
        elif kind == "repeat":
            out[node["name"]] = [_collect(node["children"], e) for e in found]
        elif kind != "note" and found:
            out[node["name"]] = found[0].text or ""
    return out
