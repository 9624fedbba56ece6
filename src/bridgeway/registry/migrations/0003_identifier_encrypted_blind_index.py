"""Identifier numbers encrypted at rest; searches compare a blind index (keyed hash).

Existing rows: the number is encrypted in place and its blind index computed from the
number normalized as ``registry.validation.normalize_identifier`` does; then the plaintext
``normalized`` column is dropped. Reversible (the reverse decrypts; ``normalized`` comes
back empty-then-recomputed).
"""

from typing import Any

from django.db import migrations, models

import bridgeway.core.crypto


def _index_rows(apps: Any, schema_editor: Any) -> None:
    from bridgeway.core.crypto import blind_index, encrypt_columns, is_token
    from bridgeway.registry.validation import normalize_identifier

    # Blind indexes first, from the plaintext still in the column.
    identifier = apps.get_model("registry", "Identifier")
    connection = schema_editor.connection
    q = connection.ops.quote_name
    table = q(identifier._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, value FROM {table} WHERE value_index = ''")  # noqa: S608
        for pk, value in cursor.fetchall():
            if value and not is_token(value):
                cursor.execute(f"UPDATE {table} SET value_index = %s WHERE id = %s",  # noqa: S608
                               [blind_index(normalize_identifier(value)), pk])
    encrypt_columns(apps, schema_editor, model="registry.Identifier", fields=("value",))


def _unindex_rows(apps: Any, schema_editor: Any) -> None:
    from bridgeway.core.crypto import encrypt_columns
    from bridgeway.registry.validation import normalize_identifier

    encrypt_columns(apps, schema_editor, model="registry.Identifier", fields=("value",),
                    decrypting=True)
    identifier = apps.get_model("registry", "Identifier")
    connection = schema_editor.connection
    table = connection.ops.quote_name(identifier._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, value FROM {table}")  # noqa: S608
        for pk, value in cursor.fetchall():
            cursor.execute(f"UPDATE {table} SET normalized = %s WHERE id = %s",  # noqa: S608
                           [normalize_identifier(value or "")[:100], pk])


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0002_name_search_vocabulary"),
    ]

    operations = [
        migrations.AddField(
            model_name="identifier",
            name="value_index",
            field=models.CharField(db_index=True, default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="identifier",
            name="value",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="identifier",
            name="normalized",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
        migrations.RunPython(_index_rows, _unindex_rows),
        migrations.RemoveField(
            model_name="identifier",
            name="normalized",
        ),
    ]
