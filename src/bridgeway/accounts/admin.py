"""Django admin for agencies, users and API tokens: configuration only.

A system administrator sees configuration but no child records (the access policy).
Agencies and users are deactivated (``active`` / ``is_active``), never deleted here: the
delete page would list what holds on to them — an agency's cases by case number, a user's
registered children and timeline entries — a read of child data outside the access policy
and the audit log (and deleting a user would also erase their notifications about
children). For the same reason the list pages take no filter through a relation to child
records (``?cases=<id>`` would tell which agency holds a case)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest

from bridgeway.accounts.models import Agency, ApiToken, User
from bridgeway.accounts.services import api_token_revoke_as_admin
from bridgeway.core.errors import NotAllowed


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


@admin.register(Agency)
class AgencyAdmin(ConfigurationOnly):
    list_display = ("name", "code", "sector", "country", "region", "active")
    list_filter = ("sector", "country", "active")
    search_fields = ("name", "code")


@admin.register(User)
class UserAdmin(ConfigurationOnly, BaseUserAdmin):  # type: ignore[misc]
    fieldsets = (*BaseUserAdmin.fieldsets, ("Bridgeway", {"fields": ("agency", "role", "language")}))
    list_display = ("username", "get_full_name", "agency", "role", "is_active")
    list_filter = ("role", "agency", "is_active")


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
