"""Signing in and out, two-factor enrolment and verification, and API tokens.

Sign-in is Django's own view (django-axes counts failures and locks out; audit entries come
from ``web.signals``). The TOTP device is django-otp's; its QR code is drawn on the server
as inline SVG (``qrcode``), so no script and no image service sees the secret.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from bridgeway.accounts.models import ApiToken
from bridgeway.accounts.services import api_token_issue, api_token_revoke
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.core.errors import ValidationFailed
from bridgeway.web.views.base import domain_errors, int_or_none, safe_next


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["timed_out"] = self.request.GET.get("timeout") == "1"
        return context


class LogoutView(auth_views.LogoutView):
    pass


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10,
                        border=2)
    svg = image.to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code" ', 1)


def _device_for(user: Any) -> tuple[TOTPDevice, bool]:
    """The user's confirmed device, or an unconfirmed one to enrol (created once)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is not None:
        return device, False
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app",
                                           confirmed=False)
    return device, True


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def mfa(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_verified():  # type: ignore[union-attr]
        return render(request, "web/mfa.html", {"verified": True})
    device, enrolling = _device_for(user)
    error = ""
    if request.method == "POST":
        token = "".join(request.POST.get("token", "").split())
        if len(token) == device.digits and token.isdecimal() and device.verify_token(token):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit_record(actor=user, action=Action.LOGIN, object_type="user",
                         object_id=user.pk,
                         detail={"step": "mfa_enrolled" if enrolling else "mfa_verified"})
            return redirect(safe_next(request, reverse("web:case_list")))
        audit_record(actor=user, action=Action.LOGIN_FAILED, object_type="user",
                     object_id=user.pk, detail={"step": "mfa"})
        error = _("That code did not match. Check the time on your phone and try the "
                  "newest code.")
    context: dict[str, Any] = {"enrolling": enrolling, "error": error,
                               "next": request.GET.get("next", "")}
    if enrolling:
        url = device.config_url
        context.update(otpauth=url, qr=mark_safe(qr_svg(url)),  # noqa: S308 - our SVG
                       secret=b32encode(device.bin_key).decode())
    response = render(request, "web/mfa.html", context, status=400 if error else 200)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def tokens(request: HttpRequest) -> HttpResponse:
    """List, issue (shown once) and revoke the user's API tokens."""
    user = request.user
    new_token, errors, values = "", {}, {}
    if request.method == "POST" and request.POST.get("action") == "revoke":
        token = api_token_revoke(user=user, token_id=int_or_none(request.POST.get("token_id"))
                                 or 0)
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
        return redirect("web:tokens")
    if request.method == "POST":
        values = {"name": request.POST.get("name", ""),
                  "days_valid": request.POST.get("days_valid", "90")}
        days = int_or_none(values["days_valid"])
        try:
            if days is None:
                raise ValidationFailed.single("days_valid", _("Between 1 and 365 days."))
            token, new_token = api_token_issue(user=user, name=values["name"],
                                               days_valid=days)
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            values = {}
    context = {"tokens": ApiToken.objects.filter(user=user).order_by("-created_at"),
               "new_token": new_token, "errors": errors, "values": values}
    response = render(request, "web/tokens.html", context, status=400 if errors else 200)
    response["Cache-Control"] = "no-store"
    return response
