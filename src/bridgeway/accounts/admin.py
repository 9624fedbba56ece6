"""Django admin for agencies, users and API tokens: configuration only.

A system administrator sees configuration but no child records (the access policy).
Agencies and users are deactivated (``active`` / ``is_active``), never deleted here: the
delete page would list what holds on to them — an agency's cases by case number, a user's
registered children and timeline entries — a read of child data outside the access policy
and the audit log (and deleting a user would also erase their notifications about
children). For the same reason the list pages take no filter through a relation to child
records (``?cases=<id>`` would tell which agency holds a case).

Who a user is for the access policy — role, agency, active state, the staff and superuser
flags — and their password change only through ``accounts.services`` (``user_create_as_admin``,
``user_update_as_admin``, ``user_set_password_as_admin``): audited in Bridgeway's own log
under the administrator's name, nobody changes their own privileges (four eyes), and a role
that reads child records never goes with administrator powers (separation of duties). The
forms call the service as their last validation step, so a refusal shows as a form error
and changes nothing; there is no field the service does not handle (Django's groups and
per-user permissions are left out: Bridgeway's roles decide, and a permission granted there
would be a privilege outside the audit).

Agencies are created and changed only through ``agency_create_as_admin`` and
``agency_update_as_admin`` (a system administrator; old and new sector and active state in the
audit entry), the same way.

Second-factor devices: django-otp's own admin pages (add a device for any user, show its key
and QR code) are taken off the site. A user enrols their device themselves when they sign in;
an administrator may only remove a user's devices (the "Reset second factor" action on the
user list, ``user_second_factor_reset_as_admin``, audited), which makes the user enrol again;
the same administrator never resets both a user's password and their second factor within a
day (that pair would let them sign in as the user). No page here shows a device secret."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    UserChangeForm,
)
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Exists, OuterRef
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest
from django_otp.models import Device
from django_otp.plugins.otp_totp import admin as _otp_totp_admin  # noqa: F401 - registers first
from django_otp.plugins.otp_totp.models import TOTPDevice

from bridgeway.accounts.models import Agency, ApiToken, User
from bridgeway.accounts.services import (
    agency_create_as_admin,
    agency_update_as_admin,
    api_token_revoke_as_admin,
    user_create_as_admin,
    user_password_reset_check,
    user_second_factor_reset_as_admin,
    user_set_password_as_admin,
    user_update_as_admin,
)
from bridgeway.core.errors import DomainError, NotAllowed, ValidationFailed


class ConfigurationOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    """Deactivated, never deleted; filtered only by the model's own fields."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        try:
            field = self.model._meta.get_field(lookup.split(LOOKUP_SEP)[0])
        except FieldDoesNotExist:
            return super().lookup_allowed(lookup, value, request)
        if field.auto_created and not field.concrete:  # a reverse relation: cases, events…
            return False
        return super().lookup_allowed(lookup, value, request)


def unregister_otp_device_admins(site: admin.AdminSite = admin.site) -> None:
    """Take every django-otp device model (TOTP, and any plugin added later whose admin was
    imported) off the admin site: devices are enrolled by their user, never here."""
    for model in list(site._registry):
        if issubclass(model, Device):
            site.unregister(model)


unregister_otp_device_admins()


# What the admin's user forms edit: every one of these goes through the service.
PROFILE = ("first_name", "last_name", "email", "language")
PRIVILEGES = ("role", "agency", "is_active", "is_staff", "is_superuser")
AGENCY = ("name", "code", "sector", "country", "region", "active")


def _report(form: forms.BaseForm, exc: DomainError) -> None:
    """A service's refusal as form errors (on the field it names, when the form has it)."""
    if isinstance(exc, ValidationFailed):
        for field, problems in exc.errors.items():
            target = "password1" if field == "password" else field
            form.add_error(target if target in form.fields else None, problems)
    else:
        form.add_error(None, exc.message)


class ServiceWrites:
    """The service has written (or refused) during validation: ``save`` returns the stored
    user and writes nothing more, so no admin path saves a user around the service."""

    actor: ClassVar[Any] = None
    instance: Any

    def save(self, commit: bool = True) -> Any:
        self.save_m2m = lambda: None
        return self.instance


class UserChangeAdminForm(ServiceWrites, UserChangeForm):  # type: ignore[misc]
    class Meta(UserChangeForm.Meta):
        model = User
        fields = ("username", *PROFILE, *PRIVILEGES)  # type: ignore[assignment]

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # model validation first: no bad write
        if self.errors:
            return
        data = {name: self.cleaned_data[name] for name in ("username", *PROFILE, *PRIVILEGES)
                if name in self.cleaned_data}
        try:
            self.instance = user_update_as_admin(actor=self.actor, user_id=self.instance.pk,
                                                 data=data)
        except DomainError as exc:
            _report(self, exc)


class UserCreationAdminForm(ServiceWrites, AdminUserCreationForm):  # type: ignore[misc]
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", *PROFILE, "role", "agency", "is_staff", "is_superuser")

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # passwords, username checked first
        if self.errors:
            return
        data = {name: self.cleaned_data[name] for name in self._meta.fields  # type: ignore[union-attr]
                if name in self.cleaned_data}
        password = (self.cleaned_data.get("password1")
                    if self.cleaned_data.get("set_usable_password") else None)
        try:
            self.instance = user_create_as_admin(actor=self.actor, data=data,
                                                 password=password)
        except DomainError as exc:
            _report(self, exc)


class PasswordAdminForm(AdminPasswordChangeForm):
    actor: ClassVar[Any] = None

    def save(self, commit: bool = True) -> Any:
        password = (self.cleaned_data["password1"]
                    if self.cleaned_data["set_usable_password"] else None)
        self.user = user_set_password_as_admin(actor=self.actor, user_id=self.user.pk,
                                               password=password)
        return self.user

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                user_password_reset_check(actor=self.actor, user_id=self.user.pk,
                                          usable=bool(data.get("set_usable_password")))
            except DomainError as exc:
                self.add_error("password1", exc.message)
        return data


class AgencyAdminForm(ServiceWrites, forms.ModelForm):  # type: ignore[misc, type-arg]
    class Meta:
        model = Agency
        fields = AGENCY

    def _post_clean(self) -> None:
        super()._post_clean()  # model validation first (lengths, choices, unique code)
        if self.errors:
            return
        data = {name: self.cleaned_data[name] for name in AGENCY if name in self.cleaned_data}
        try:
            if self.instance.pk is None:
                self.instance = agency_create_as_admin(actor=self.actor, data=data)
            else:
                self.instance = agency_update_as_admin(actor=self.actor,
                                                       agency_id=self.instance.pk, data=data)
        except DomainError as exc:
            _report(self, exc)


def _for(form_class: type, actor: Any) -> type:
    """The form class bound to the administrator of this request."""
    return type(form_class.__name__, (form_class,), {"actor": actor})


@admin.register(Agency)
class AgencyAdmin(ConfigurationOnly):
    """Created and changed through the audited agency services (system administrators)."""

    form = AgencyAdminForm
    list_display = AGENCY
    list_filter = ("sector", "country", "active")
    search_fields = ("name", "code")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False,
                 **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return _for(form, request.user)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing to save: the form's service call wrote the agency and its audit entry."""


@admin.register(User)
class UserAdmin(ConfigurationOnly, BaseUserAdmin):  # type: ignore[misc]
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    change_password_form = PasswordAdminForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": PROFILE}),
        ("Bridgeway access (changed through the audited service; never your own)",
         {"fields": PRIVILEGES}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2")}),
        ("Personal info", {"fields": PROFILE}),
        ("Bridgeway access", {"fields": ("role", "agency", "is_staff", "is_superuser")}),
    )
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ()
    list_display = ("username", "get_full_name", "agency", "role", "is_active",
                    "second_factor")
    list_filter = ("role", "agency", "is_active")
    actions = ("reset_second_factor",)

    @admin.display(description="Second factor enrolled", boolean=True)
    def second_factor(self, obj: Any) -> bool:
        return bool(getattr(obj, "has_second_factor", False))

    @admin.action(description="Reset second factor (the user enrols again at next sign-in)")
    def reset_second_factor(self, request: HttpRequest, queryset: Any) -> None:
        try:
            count = user_second_factor_reset_as_admin(
                actor=request.user,  # type: ignore[arg-type]
                user_ids=list(queryset.values_list("pk", flat=True)))
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        self.message_user(request, f"Second factor reset for {count} user(s); they enrol "
                                   "again at their next sign-in.")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False,
                 **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return _for(form, request.user)

    def get_queryset(self, request: HttpRequest) -> Any:
        """An agency administrator sees the users of their own agency only."""
        users = super().get_queryset(request).annotate(has_second_factor=Exists(
            TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        if getattr(request.user, "role", "") == "system_admin":
            return users
        agency_id = getattr(request.user, "agency_id", None)
        return users.filter(agency_id=agency_id) if agency_id else users.none()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing to save: the form's service call wrote the user and its audit entry."""

    def user_change_password(self, request: HttpRequest, id: str,
                             form_url: str = "") -> Any:
        bound = copy.copy(self)  # this request's admin, with the form bound to its user
        bound.change_password_form = _for(PasswordAdminForm, request.user)  # type: ignore[assignment]
        return BaseUserAdmin.user_change_password(bound, request, id, form_url)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read-only, with one action: revoke. Tokens are issued only to a logged-in user for
    themselves (``api_token_issue``); an editable token here would let an administrator
    move a token they hold to another user, or undo a revocation."""

    list_display = ("name", "user", "prefix", "created_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        try:
            count = api_token_revoke_as_admin(
                actor=request.user,  # type: ignore[arg-type]
                token_ids=list(queryset.values_list("pk", flat=True)))
        except NotAllowed as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        self.message_user(request, f"{count} token(s) revoked.")
