"""Form answers (``FormRecord.data``) encrypted at rest as one JSON token per record
(``core/crypto.py``): the column becomes text, existing answers are encrypted in place
(reversible: the reverse decrypts, then the column becomes JSON again)."""

from django.db import migrations

import bridgeway.core.crypto
from bridgeway.core.crypto import encrypt_columns_op


class Migration(migrations.Migration):

    dependencies = [
        ("bw_forms", "0001_forms_records_submissions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="formrecord",
            name="data",
            field=bridgeway.core.crypto.EncryptedJSONField(blank=True, default=dict),
        ),
        encrypt_columns_op("bw_forms.FormRecord", "data"),
    ]
