"""Association place, alleged offence, closure note and case notes encrypted at rest
(``core/crypto.py``); existing plaintext rows are encrypted in place (reversible)."""

from django.db import migrations

import bridgeway.core.crypto
from bridgeway.core.crypto import encrypt_columns_op


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="association_place",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="case",
            name="alleged_offence",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="case",
            name="closure_note",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="casenote",
            name="body",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        encrypt_columns_op("cases.Case", "association_place", "alleged_offence",
                           "closure_note"),
        encrypt_columns_op("cases.CaseNote", "body"),
    ]
