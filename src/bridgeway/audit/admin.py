from django.contrib import admin

from bridgeway.audit.models import AuditEntry, IntegrityCheck


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: nobody changes or deletes audit entries through the application."""

    list_display = ("seq", "at", "actor_username", "agency_code", "action", "object_type",
                    "object_id", "channel")
    list_filter = ("action", "channel")
    search_fields = ("actor_username", "object_id")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(IntegrityCheck)
class IntegrityCheckAdmin(admin.ModelAdmin):
    list_display = ("at", "ok", "entries_checked", "first_bad_seq", "message")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
