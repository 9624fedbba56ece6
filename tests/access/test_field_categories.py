"""Every field of child data belongs to exactly one data category (issue 5, point 1).

The outputs that show registry and case fields (API serializers, the shared record, the
data-subject export) hide the fields of categories not granted by asking the one map,
``access.fields``; a field the map does not know is never hidden. So a column added to
``cases.Case``, ``registry.Child`` or ``registry.FamilyMember`` must either be put in a
category there or be listed below as record-keeping (ids, timestamps, versions, who did
what), which says nothing about the child beyond that the record exists."""

from __future__ import annotations

from typing import Any

import pytest

from bridgeway.access import fields
from bridgeway.access.policy import ALL_CATEGORIES
from bridgeway.cases.models import Case
from bridgeway.registry.models import Child, FamilyMember

# Written out here, not taken from the code: the columns that carry no child data.
RECORD_KEEPING = {
    Case: {"id", "created_at", "updated_at", "case_number", "child", "owning_agency",
           "closure_requested_by", "closure_approved_by", "version"},
    Child: {"id", "created_at", "updated_at", "public_id", "registered_by", "registered_at",
            "version", "deleted_at", "deleted_reason"},
    FamilyMember: {"id", "child"},
}
MAPS: dict[Any, dict[str, Any]] = {
    Case: fields.CASE_FIELDS, Child: fields.CHILD_FIELDS,
    FamilyMember: fields.FAMILY_MEMBER_FIELDS,
}


@pytest.mark.parametrize("model", list(MAPS), ids=lambda m: m.__name__)
def test_every_column_of_child_data_has_a_category(model: Any) -> None:
    columns = {f.name for f in model._meta.get_fields() if f.concrete}
    uncategorized = columns - set(MAPS[model]) - RECORD_KEEPING[model]
    assert uncategorized == set(), (
        f"{model.__name__}: give these fields a data category in access/fields.py")
    assert not (set(MAPS[model]) & RECORD_KEEPING[model])
    assert set(MAPS[model].values()) <= set(ALL_CATEGORIES)

