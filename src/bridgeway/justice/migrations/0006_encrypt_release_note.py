"""The detention register's release note encrypted at rest (``core/crypto.py``), like the
register's other free text. Existing plaintext rows are encrypted in place; reversed, they
are decrypted again (the column then goes back to ``varchar(500)``, which every stored
note fits: the services cap it at 500 characters)."""

from django.db import migrations

import bridgeway.core.crypto
from bridgeway.core.crypto import encrypt_columns_op


class Migration(migrations.Migration):

    dependencies = [
        ("justice", "0005_encrypt_involvement_reason"),
    ]

    operations = [
        migrations.AlterField(
            model_name="detentionepisode",
            name="release_note",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        encrypt_columns_op("justice.DetentionEpisode", "release_note"),
    ]
