"""OpenRosa endpoints for ODK Collect, KoboCollect and Enketo.

Implements the Form List API (``formList`` and manifests), form download, and the Form
Submission API (``HEAD`` then multipart ``POST`` with ``xml_submission_file`` and
attachments), as specified at https://docs.getodk.org/openrosa/. Every response carries
``X-OpenRosa-Version: 1.0``; submission responses are ``OpenRosaResponse`` documents.

Devices authenticate as a user with an API token ("app password"): HTTP Basic with the
username and the token as password, or ``Authorization: Bearer <token>``. Account
passwords are never accepted here, and sessions are not used (so no CSRF token either).

The multipart body is parsed here rather than through ``request.FILES`` for two reasons:
attachments above the configured size are counted but not kept in memory or on disk, and
a body shorter than its ``Content-Length`` (a connection dropped mid-upload) is detected
and refused before anything is stored, so the client simply retries.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import wraps
from typing import Any
from xml.etree import ElementTree as ET

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import (
    FileUploadHandler,
    MemoryFileUploadHandler,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from bridgeway.accounts.services import api_token_authenticate
from bridgeway.core.errors import NotFound
from bridgeway.forms import selectors, services

OPENROSA_VERSION = "1.0"
RESPONSE_NS = "http://openrosa.org/http/response"
XFORMS_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
XML_CONTENT_TYPE = "text/xml; charset=utf-8"
REALM = "Bridgeway ODK"

STATUS_FOR_FAILURE = {
    "forbidden_xml": 400,
    "malformed_xml": 400,
    "missing_instance_id": 400,
    "unknown_form": 400,
    "invalid": 400,
    "approved": 400,
    "not_allowed": 403,
    "oversized": 413,
}


def max_attachment_bytes() -> int:
    return int(getattr(settings, "BRIDGEWAY_ODK_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024))


# --------------------------------------------------------------------------
# Responses


def _headers(response: HttpResponse) -> HttpResponse:
    response["X-OpenRosa-Version"] = OPENROSA_VERSION
    response["Date"] = http_date()
    return response


def _xml(element: ET.Element, status: int = 200) -> HttpResponse:
    body = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return _headers(HttpResponse(body, status=status, content_type=XML_CONTENT_TYPE))


def openrosa_response(status: int, message: str, nature: str = "") -> HttpResponse:
    """``<OpenRosaResponse><message nature=...>...</message></OpenRosaResponse>``."""
    ET.register_namespace("", RESPONSE_NS)
    root = ET.Element(f"{{{RESPONSE_NS}}}OpenRosaResponse")
    msg = ET.SubElement(root, f"{{{RESPONSE_NS}}}message")
    if nature:
        msg.set("nature", nature)
    msg.text = message
    response = _xml(root, status)
    response["X-OpenRosa-Accept-Content-Length"] = str(max_attachment_bytes())
    if status == 401:
        response["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return response


# --------------------------------------------------------------------------
# Authentication


def device_user(request: HttpRequest) -> Any:
    """The user behind an API token in ``Authorization``, or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        username, sep, token = decoded.partition(":")
        if not sep or not token:
            return None
        user = api_token_authenticate(token)
        if user is None or user.username.lower() != username.lower():
            return None
        return user
    if scheme.lower() in ("bearer", "token") and value:
        return api_token_authenticate(value)
    return None


ViewFunc = Callable[..., HttpResponse]


def openrosa_view(view: ViewFunc) -> ViewFunc:
    """Authenticate the device, refuse users who do not collect data, add the headers."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = device_user(request)
        if user is None:
            return openrosa_response(401, "Sign in with your username and app password "
                                     "(an API token).")
        if not selectors.may_collect(user):
            return openrosa_response(403, "Your role does not collect case data.")
        request.user = user
        return _headers(view(request, *args, **kwargs))

    return wrapper


# --------------------------------------------------------------------------
# Form list, download, manifest


@openrosa_view
def form_list(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return openrosa_response(405, "Use GET.")
    versions = selectors.form_versions_for_devices(
        actor=request.user, form_id=request.GET.get("formID") or None,
        all_versions=request.GET.get("listAllVersions", "").lower() == "true")
    ET.register_namespace("", XFORMS_LIST_NS)
    root = ET.Element(f"{{{XFORMS_LIST_NS}}}xforms")
    for version in versions:
        xform = ET.SubElement(root, f"{{{XFORMS_LIST_NS}}}xform")
        args = [version.form.form_id, version.version]
        for tag, text in (
            ("formID", version.form.form_id),
            ("name", version.title),
            ("version", version.version),
            ("hash", f"md5:{version.xform_md5}"),
            ("descriptionText", version.form.get_purpose_display()),
            ("downloadUrl", request.build_absolute_uri(reverse("odk:form_xml", args=args))),
            ("manifestUrl", request.build_absolute_uri(reverse("odk:manifest", args=args))),
        ):
            ET.SubElement(xform, f"{{{XFORMS_LIST_NS}}}{tag}").text = str(text)
    return _xml(root)


@openrosa_view
def form_xml(request: HttpRequest, form_id: str, version: str) -> HttpResponse:
    try:
        found = selectors.form_version_for_device(actor=request.user, form_id=form_id,
                                                  version=version)
    except NotFound:
        return openrosa_response(404, "No such form version.")
    response = HttpResponse(found.xform.encode(), content_type=XML_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{form_id}.xml"'
    return response


@openrosa_view
def manifest(request: HttpRequest, form_id: str, version: str) -> HttpResponse:
    try:
        selectors.form_version_for_device(actor=request.user, form_id=form_id,
                                          version=version)
    except NotFound:
        return openrosa_response(404, "No such form version.")
    ET.register_namespace("", MANIFEST_NS)
    return _xml(ET.Element(f"{{{MANIFEST_NS}}}manifest"))  # no media files yet


# --------------------------------------------------------------------------
# Submission


class _CountingReader:
    def __init__(self, source: HttpRequest) -> None:
        self.source = source
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size) if size is not None and size >= 0 else self.source.read()
        self.count += len(data)
        return data


class _SizeLimitHandler(FileUploadHandler):
    """First in the chain: lets a file through until it passes the limit, then swallows
    the rest and hands back an empty placeholder marked ``bw_oversized``."""

    def __init__(self, limit: int, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = limit
        self.size = 0
        self.over = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.size, self.over = 0, False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.size += len(raw_data)
        if self.size > self.limit:
            self.over = True
            return None
        return raw_data

    def file_complete(self, file_size: int) -> Any:
        if not self.over:
            return None
        placeholder = SimpleUploadedFile(self.file_name or "file", b"",
                                         self.content_type or "")
        placeholder.bw_oversized = True  # type: ignore[attr-defined]
        return placeholder


class _Incomplete(Exception):
    pass


def _parse_multipart(request: HttpRequest) -> tuple[Any, Any]:
    expected = int(request.META.get("CONTENT_LENGTH") or 0)
    reader = _CountingReader(request)
    handlers = [_SizeLimitHandler(max_attachment_bytes(), request),
                MemoryFileUploadHandler(request), TemporaryFileUploadHandler(request)]
    parser = MultiPartParser(request.META, reader,  # type: ignore[arg-type]
                             handlers, request.encoding or "utf-8")
    post, files = parser.parse()
    if reader.count < expected:
        raise _Incomplete()
    return post, files


@openrosa_view
def submission(request: HttpRequest) -> HttpResponse:
    if request.method == "HEAD":
        response = HttpResponse(status=204)
        response["X-OpenRosa-Accept-Content-Length"] = str(max_attachment_bytes())
        return response
    if request.method != "POST":
        return openrosa_response(405, "Use HEAD or POST.")
    if not (request.content_type or "").startswith("multipart/form-data"):
        return openrosa_response(400, "Send the submission as multipart/form-data.")
    try:
        _post, files = _parse_multipart(request)
    except _Incomplete:
        return openrosa_response(400, "The upload was incomplete (connection dropped?). "
                                 "Nothing was stored; please send it again.")
    except RequestDataTooBig:
        return openrosa_response(413, "The submission is too large.")
    except (MultiPartParserError, SuspiciousOperation, ValueError) as exc:
        return openrosa_response(400, f"The upload could not be read: {exc}. Nothing was "
                                 "stored; please send it again.")
    xml_files = files.getlist("xml_submission_file")
    if len(xml_files) != 1:
        return openrosa_response(400, "Expected exactly one 'xml_submission_file'.")
    xml_file = xml_files[0]
    if getattr(xml_file, "bw_oversized", False):
        return openrosa_response(413, "The submission XML is too large.")
    incoming, oversized = [], []
    for field_name, items in files.lists():
        if field_name == "xml_submission_file":
            continue
        for item in items:
            if getattr(item, "bw_oversized", False):
                oversized.append(item.name)
            else:
                incoming.append(services.IncomingFile(item.name, item.content_type or "",
                                                      item.read()))
    outcome = services.odk_submission_receive(actor=request.user, xml=xml_file.read(),
                                              files=incoming, oversized=oversized)
    if outcome.result in ("created", "updated"):
        return openrosa_response(201, outcome.message or "Submission received.",
                                 "submit_success")
    if outcome.result == "duplicate":
        return openrosa_response(202, outcome.message, "submit_success")
    return openrosa_response(STATUS_FOR_FAILURE.get(outcome.error_kind, 400),
                             _failure_message(outcome), "submit_error")


def _failure_message(outcome: services.SubmissionOutcome) -> str:
    lines = [outcome.message]
    for path, messages in list(outcome.errors.items())[:20]:
        if path != "__all__":
            lines.extend(f"{path}: {m}" for m in messages)
    lines.append("The submission was kept for review by a supervisor.")
    return "\n".join(lines)
