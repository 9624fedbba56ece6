"""Reading the test database as stored, past the models: ciphertext stays ciphertext. For
the tests that prove a marker written through the pages, API and services is nowhere in
plaintext at rest."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connection


def raw_column(label: str, field: str) -> list[Any]:
    """Every stored value of one model field (``"app.Model"``, field name)."""
    model = apps.get_model(label)
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {q(model._meta.get_field(field).column)} "  # noqa: S608
                       f"FROM {q(model._meta.db_table)}")
        return [row[0] for row in cursor.fetchall()]


def _text(cell: Any) -> str:
    if isinstance(cell, bytes | memoryview):
        return bytes(cell).decode("utf-8", "replace")
    return str(cell)


def cells_holding(marker: str, *, skip: tuple[str, ...] = ("django_",),
                  ignore_case: bool = False) -> list[tuple[str, str]]:
    """(table, column) of every cell of every table holding ``marker``, tables whose name
    starts with one of ``skip`` left out; one pair per cell found."""
    wanted = marker.lower() if ignore_case else marker
    found = []
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table.startswith(skip):
                continue
            cursor.execute(f"SELECT * FROM {q(table)}")  # noqa: S608
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, cell in zip(columns, row, strict=True):
                    text = _text(cell)
                    if wanted in (text.lower() if ignore_case else text):
                        found.append((table, column))
    return found
