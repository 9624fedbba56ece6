"""Strict JSON *shape* fields for API input.

The API's serializers check shape only: that each key is known, that each value has the
JSON type the schema promises, that required keys are there. They never decide whether a
value is acceptable — the domain validation (``registry.validation``, ``cases.services``)
does that, once, for the web UI and the API alike.

DRF's own fields are lenient in ways that hide client bugs (``CharField`` accepts ``12``,
``BooleanField`` accepts ``"yes"``, ``IntegerField`` accepts ``"12"``), so the few fields
here refuse anything but the JSON type they declare, and return the value *unchanged*: the
views pass the client's own JSON to the domain, never a coerced copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

UNKNOWN_FIELD = "Unknown field."


class StrictSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A serializer that refuses keys it does not declare (a misspelt key is a client bug
    that would otherwise be silently dropped), reporting them with every other problem."""

    def to_internal_value(self, data: Any) -> Any:
        unknown: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            unknown = {str(key): [UNKNOWN_FIELD] for key in data if key not in self.fields}
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {
                "non_field_errors": exc.detail}
            raise ValidationError({**detail, **unknown}) from exc
        if unknown:
            raise ValidationError(unknown)
        return value


class StrictString(serializers.CharField):
    """A JSON string, passed through untouched (the domain strips and normalizes)."""

    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")
        return data


@extend_schema_field(OpenApiTypes.DATE)
class DateString(StrictString):
    """A date as a JSON string ``YYYY-MM-DD``; the domain parses it and reports impossible
    dates (``2010-02-30``) with its own message."""

    default_error_messages = {"invalid": "Must be a date string (YYYY-MM-DD)."}


class EnumString(serializers.ChoiceField):
    """A string from a known set. The set appears in the schema; membership is checked by
    the domain, so the UI and the API give the same message for a wrong value."""

    default_error_messages = {"invalid_type": "Must be a string."}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_type")
        return data


class StrictBoolean(serializers.BooleanField):
    """JSON ``true`` or ``false`` only (not ``"yes"``, ``1`` or ``"maybe"``)."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictInteger(serializers.IntegerField):
    """A JSON integer (not a string of digits, not a boolean), within the given bounds."""

    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.NUMBER)
class Number(serializers.Field):  # type: ignore[type-arg]
    """A JSON number (integer or decimal); range checks are the domain's."""

    default_error_messages = {"invalid": "Must be a number."}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


def optional(field_class: type[serializers.Field], **kwargs: Any) -> serializers.Field:  # type: ignore[type-arg]
    """An optional field that also accepts ``null`` (the domain treats both as absent)."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_null", True)
    return field_class(**kwargs)
