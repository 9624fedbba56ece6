"""Django admin for sharing records: read-only. Consent, referrals, transfers and
break-glass change only through ``referrals.services`` (validated, audited, with case
events); the admin is for system administrators to inspect them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from bridgeway.referrals import models


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.Consent)
class ConsentAdmin(ReadOnlyAdmin):
    # Deliberately no representative name or child's views in the list.
    list_display = ("id", "case", "kind", "given_by", "consented_on", "valid_until",
                    "receiving_agency", "withdrawn_at")
    list_filter = ("kind", "given_by")


@admin.register(models.Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ("id", "case", "from_agency", "receiving_agency", "service_name", "status",
                    "respond_by", "access_until")
    list_filter = ("status",)


@admin.register(models.Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("id", "case", "from_agency", "to_agency", "status", "proposed_at",
                    "retain_access", "retained_until")
    list_filter = ("status",)


@admin.register(models.BreakGlass)
class BreakGlassAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "case", "agency", "owning_agency", "started_at",
                    "expires_at", "ended_at", "reviewed_at")


@admin.register(models.Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "recipient", "kind", "created_at", "read_at")
    list_filter = ("kind",)
