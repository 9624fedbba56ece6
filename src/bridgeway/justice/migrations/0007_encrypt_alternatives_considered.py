"""The detention register's alternatives considered (the rest of the last-resort
justification, a list of texts) encrypted at rest as one JSON token per episode
(``core/crypto.py``), like the justification itself. The column becomes text and existing
lists are encrypted in place; reversed, they are decrypted and the column is JSON again.

Nothing filtered or searched on this column: the rules engine and the pages read it per
episode, after decryption."""

from django.db import migrations

import bridgeway.core.crypto
from bridgeway.core.crypto import encrypt_columns_op


class Migration(migrations.Migration):

    dependencies = [
        ("justice", "0006_encrypt_release_note"),
    ]

    operations = [
        migrations.AlterField(
            model_name="detentionepisode",
            name="alternatives_considered",
            field=bridgeway.core.crypto.EncryptedJSONField(blank=True, default=list),
        ),
        encrypt_columns_op("justice.DetentionEpisode", "alternatives_considered"),
    ]
