"""Identifier numbers: encrypted at rest, found by their blind index."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

from django.apps import apps
from django.db import connection

from bridgeway.core import crypto
from bridgeway.registry.models import Identifier
from bridgeway.registry.selectors import identifier_child_ids

NUMBER = "3201-9911-4477"


def _raw_identifiers() -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_identifier")
        return cursor.fetchall()


def test_search_by_number_uses_the_blind_index(people: Any, register: Any,
                                                settings: Any) -> None:
    case = register(identifiers=[{"id_type": "national_id", "value": NUMBER}])
    other = register(identifiers=[{"id_type": "national_id", "value": "3201-0000-0001"}])
    for typed in (NUMBER, "3201 9911 4477", "32019911-4477"):
        assert identifier_child_ids(typed) == [case.child_id]
    assert other.child_id not in identifier_child_ids(NUMBER)
    assert identifier_child_ids("3201-9911-4478") == []
    assert case.child.identifiers.get().value == NUMBER  # the page still shows it
    # The raw table holds neither the number nor its normalized form.
    for row in _raw_identifiers():
        assert not any(s in str(cell) for cell in row for s in (NUMBER, "32019911", "9911-4477"))
    # The index is keyed: with another key the same number is not found.
    settings.BRIDGEWAY_BLIND_INDEX_KEY = "another key"
    assert identifier_child_ids(NUMBER) == []


def test_migration_encrypts_and_indexes_existing_plaintext_rows(people: Any,
                                                                 register: Any) -> None:
    case = register(identifiers=[])
    with connection.cursor() as cursor:  # a row as the previous schema wrote it
        cursor.execute("INSERT INTO registry_identifier (child_id, id_type, value, value_index, "
                       "issuer) VALUES (%s, 'passport', %s, '', '')", [case.child_id, NUMBER])
    migration = importlib.import_module(
        "bridgeway.registry.migrations.0003_identifier_encrypted_blind_index")
    editor = SimpleNamespace(connection=connection)
    migration._index_rows(apps, editor)
    migration._index_rows(apps, editor)  # a re-run after a failure changes nothing
    (row,) = Identifier.objects.filter(child_id=case.child_id).values_list("value", flat=True)
    assert row == NUMBER
    assert identifier_child_ids(NUMBER.replace("-", "")) == [case.child_id]
    raw = {str(cell) for r in _raw_identifiers() for cell in r}
    assert NUMBER not in raw and any(crypto.is_token(c) for c in raw)
