"""The detention register's remaining free text encrypted at rest (``core/crypto.py``):
why the child is held, why not separated from adults, and the family's contact. Existing
plaintext rows are encrypted in place (reversible)."""

from django.db import migrations

import bridgeway.core.crypto
from bridgeway.core.crypto import encrypt_columns_op


class Migration(migrations.Migration):

    dependencies = [
        ("justice", "0003_encrypt_sensitive_text"),
    ]

    operations = [
        migrations.AlterField(
            model_name="detentionepisode",
            name="reason",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="detentionepisode",
            name="not_separated_reason",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="detentionepisode",
            name="family_contact",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        encrypt_columns_op("justice.DetentionEpisode", "reason", "not_separated_reason",
                           "family_contact"),
    ]
