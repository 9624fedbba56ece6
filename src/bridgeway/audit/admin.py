from django.contrib import admin

from bridgeway.audit.models import IntegrityCheck

# Audit entries are deliberately NOT in the Django admin. They name the records read and
# the searches typed (child names among them), and the admin is a system administrator's
# tool: a system admin sees configuration, never child data, and an admin page would be a
# second, unaudited way in to the log. Auditors read it on the audited ``/audit/`` page
# (``audit.selectors``); nobody changes or deletes entries anywhere (database triggers).


@admin.register(IntegrityCheck)
class IntegrityCheckAdmin(admin.ModelAdmin):
    """Read-only: a check's result is evidence; nobody turns a failed check into a pass."""

    list_display = ("at", "ok", "entries_checked", "first_bad_seq", "message")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
