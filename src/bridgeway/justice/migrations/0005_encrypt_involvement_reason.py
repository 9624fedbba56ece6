"""Why a justice agency is involved in a case, encrypted at rest (``core/crypto.py``).
Existing plaintext rows are encrypted in place; reversed, they are decrypted again (the
column then goes back to ``varchar(300)``, which every stored reason fits: the services
cap it at 300 characters).

After ``cases.0004_caseevent_comment``, whose data step reads the reason as plaintext."""

from django.db import migrations

import bridgeway.core.crypto
from bridgeway.core.crypto import encrypt_columns_op


class Migration(migrations.Migration):

    dependencies = [
        ("justice", "0004_encrypt_detention_reasons"),
        ("cases", "0004_caseevent_comment"),
    ]

    operations = [
        migrations.AlterField(
            model_name="justiceinvolvement",
            name="reason",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        encrypt_columns_op("justice.JusticeInvolvement", "reason"),
    ]
