from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from bridgeway.accounts.models import Agency, ApiToken, User


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "sector", "country", "region", "active")
    list_filter = ("sector", "country", "active")
    search_fields = ("name", "code")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Bridgeway", {"fields": ("agency", "role", "language")}))
    list_display = ("username", "get_full_name", "agency", "role", "is_active")
    list_filter = ("role", "agency", "is_active")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
