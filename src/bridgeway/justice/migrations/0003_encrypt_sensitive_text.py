"""Justice notes, alleged offences, health problems and last-resort justifications
encrypted at rest (``core/crypto.py``); existing plaintext rows are encrypted in place
(reversible)."""

from django.db import migrations

import bridgeway.core.crypto
from bridgeway.core.crypto import encrypt_columns_op


class Migration(migrations.Migration):

    dependencies = [
        ("justice", "0002_retention_seal_and_runs"),
    ]

    operations = [
        migrations.AlterField(
            model_name="justiceevent",
            name="alleged_offence",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="justiceevent",
            name="notes",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="detentionepisode",
            name="health_problems",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="detentionepisode",
            name="last_resort_justification",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        encrypt_columns_op("justice.JusticeEvent", "alleged_offence", "notes"),
        encrypt_columns_op("justice.DetentionEpisode", "health_problems",
                           "last_resort_justification"),
    ]
