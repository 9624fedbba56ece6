"""A care approval's words encrypted at rest (``core/crypto.py``): the supervisor's comment
(approved, or returned with what must change) and the note sent with the request. Both may
speak of the child's psychosocial situation. Existing plaintext rows are encrypted in
place; reversed, they are plaintext again.

After ``cases.0004_caseevent_comment``, whose data step reads the comment as plaintext."""

from django.db import migrations

import bridgeway.core.crypto
from bridgeway.core.crypto import encrypt_columns_op


class Migration(migrations.Migration):

    dependencies = [
        ("care", "0001_care_workflow"),
        ("cases", "0004_caseevent_comment"),
    ]

    operations = [
        migrations.AlterField(
            model_name="approval",
            name="comment",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="approval",
            name="request_note",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        encrypt_columns_op("care.Approval", "comment", "request_note"),
    ]
