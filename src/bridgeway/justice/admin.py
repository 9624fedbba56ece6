"""Django admin for the justice app: configuration only.

Facilities are registered here (through ``facility_create``: validated, audited) and
edited (the admin's history keeps each change); they are deactivated, never deleted — the
delete page would list the detention episodes held there. Jurisdiction rule sets can only
be added (through the service, validated and audited) and are never changed: each version
stays as history.

Nothing about a child is here: detention episodes, justice events, involvements,
safeguard evaluations and alerts, notifications and seals are child records, and a system
administrator sees configuration but no child records (the access policy). They are read
only through ``justice.selectors`` and the justice pages and API, with the access policy
and the audit log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from bridgeway.core.errors import DomainError, ValidationFailed
from bridgeway.justice import access, models, services
from bridgeway.justice.adapters import FIGURES
from bridgeway.justice.inputs import is_zone
from bridgeway.justice.validation import COUNTRY_CODES


class FacilityForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = models.Facility
        fields = ("name", "kind", "country", "region", "time_zone", "agency", "active")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        country = str(data.get("country") or "").upper()
        if country not in COUNTRY_CODES:
            self.add_error("country", "Unknown country code.")
        data["country"] = country
        if not is_zone(str(data.get("time_zone") or "")):
            self.add_error("time_zone", "Unknown time zone (use a name like Asia/Jakarta).")
        return data


@admin.register(models.Facility)
class FacilityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = FacilityForm
    list_display = ("name", "kind", "country", "region", "time_zone", "agency", "active")
    list_filter = ("kind", "country", "active")
    search_fields = ("name",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deactivate instead: the delete page lists the episodes held in the facility.
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = {**form.cleaned_data, "agency": getattr(form.cleaned_data.get("agency"), "pk",
                                                       "")}
        try:
            row = services.facility_create(actor=request.user, data=data)
        except ValidationFailed as exc:
            raise ValidationError("; ".join(f"{k}: {' '.join(v)}"
                                            for k, v in exc.errors.items())) from exc
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        if not form.cleaned_data.get("active", True):
            models.Facility.objects.filter(pk=row.pk).update(active=False)
        obj.pk = row.pk


class RuleSetForm(forms.ModelForm):  # type: ignore[type-arg]
    diversion_types = forms.CharField(widget=forms.Textarea, required=False,
                                      help_text="One diversion measure per line.")

    class Meta:
        model = models.JurisdictionRuleSet
        fields = ("country", "region", "valid_from", *FIGURES, "diversion_types", "reason")

    def clean_diversion_types(self) -> list[str]:
        raw = self.cleaned_data.get("diversion_types") or ""
        return [line.strip() for line in str(raw).splitlines() if line.strip()]


@admin.register(models.JurisdictionRuleSet)
class JurisdictionRuleSetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = RuleSetForm
    list_display = ("country", "region", "valid_from", "macr_years", "max_hours_to_appearance",
                    "created_by", "created_at")
    list_filter = ("country",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.may_edit_rules(request.user)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            row = services.jurisdiction_rules_change(
                actor=request.user, country=data["country"], region=data.get("region", ""),
                valid_from=data["valid_from"],
                params={**{n: data[n] for n in FIGURES},
                        "diversion_types": data.get("diversion_types") or []},
                reason=data["reason"])
        except ValidationFailed as exc:
            raise ValidationError("; ".join(f"{k}: {' '.join(v)}"
                                            for k, v in exc.errors.items())) from exc
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        obj.pk = row.pk
