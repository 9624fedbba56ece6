from __future__ import annotations

from typing import Any

from django.contrib import admin

from bridgeway.core.models import DailyJobRun


@admin.register(DailyJobRun)
class DailyJobRunAdmin(admin.ModelAdmin):
    """Read-only: what the scheduler ran, when, and how it ended."""

    list_display = ("day", "job", "status", "attempts", "started_at", "finished_at")
    list_filter = ("status", "job")
    readonly_fields = ("job", "day", "status", "attempts", "started_at", "finished_at",
                       "output")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
