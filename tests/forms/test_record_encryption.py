"""Form answers are encrypted at rest and read back as the same dict."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import FieldError
from django.db import connection

from bridgeway.core import crypto
from bridgeway.forms.models import FormRecord
from bridgeway.forms.services import form_record_submit
from tests.forms.conftest import good_values

pytestmark = pytest.mark.django_db

MARK = "QJW-form-canary-5521"


def test_answers_are_ciphertext_in_the_database(people: Any, case: Any,
                                                visit_form: Any) -> None:
    values = good_values(case.case_number)
    values["school_name"] = MARK
    record = form_record_submit(actor=people.caseworker, case_id=case.pk,
                                form_version_id=visit_form.pk, values=values)
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM bw_forms_formrecord WHERE id = %s", [record.pk])
        (raw,) = cursor.fetchone()
    assert crypto.is_token(raw) and MARK not in raw and "SD Negeri" not in raw
    stored = FormRecord.objects.get(pk=record.pk).data
    assert isinstance(stored, dict) and stored["school_name"] == MARK
    assert stored == record.data
    with pytest.raises(FieldError, match="encrypted at rest"):
        list(FormRecord.objects.filter(data__school_name=MARK))
