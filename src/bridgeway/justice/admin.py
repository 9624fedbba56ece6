"""Django admin for the justice app: facilities are edited here; rule sets can only be
added (through the service, so they are validated and audited) and never changed;
everything derived (evaluations, alerts, notifications) is read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from bridgeway.core.errors import DomainError, ValidationFailed
from bridgeway.justice import access, models, services
from bridgeway.justice.adapters import FIGURES


@admin.register(models.Facility)
class FacilityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "kind", "country", "region", "time_zone", "agency", "active")
    list_filter = ("kind", "country", "active")
    search_fields = ("name",)


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


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.SafeguardAlert)
class SafeguardAlertAdmin(ReadOnly):
    list_display = ("case", "code", "subject", "severity", "status", "since", "notified_at")
    list_filter = ("status", "severity", "code")


@admin.register(models.SafeguardEvaluation)
class SafeguardEvaluationAdmin(ReadOnly):
    list_display = ("case", "evaluated_at", "jurisdiction", "ongoing_violations",
                    "next_due_at", "needs_attention")
