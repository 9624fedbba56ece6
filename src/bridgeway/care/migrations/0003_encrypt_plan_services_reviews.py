"""The care workflow's free text encrypted at rest (``core/crypto.py``): the plan's goals
and actions in the plan's words, what a service delivered was and what came of it, and a
plan review's summary, what the child said and how it was taken into account. They speak
of the child's psychosocial situation, family and health (issue 5, item 5). Existing
plaintext rows are encrypted in place, in batches; a re-run skips what is already
encrypted; reversed, they are plaintext again. All were ``text`` columns before, so the
reverse loses no length limit (the services cap service and review text at 5,000
characters, as they did).

Nothing filtered, ordered or searched on these columns in the database: a new plan
version matches its goals and actions to the previous ones in Python, and pages, API, the
data-subject export and retention read or delete rows by case.

An overdue plan action's task used to repeat the action's words in its title (a plaintext
column). The deriver now names the action by its place in the plan; the last step cuts
the words off the titles already written (open tasks get their new title on the next
derive). Reversed, the words are not put back: the plan still holds them."""

from django.db import migrations

import bridgeway.core.crypto
from bridgeway.core.crypto import encrypt_columns_op

OLD_TITLE = "Plan action past its due date ("


def drop_action_words_from_task_titles(apps, schema_editor):
    Task = apps.get_model("cases", "Task")
    last = 0
    while True:
        rows = list(Task.objects.filter(source_key__startswith="care_action:", pk__gt=last)
                    .order_by("pk").values_list("pk", "title")[:500])
        if not rows:
            return
        for pk, title in rows:
            head, sep, _words = title.partition("): ")
            if title.startswith(OLD_TITLE) and sep:
                Task.objects.filter(pk=pk).update(title=f"{head})")
        last = rows[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ("care", "0002_encrypt_approval_notes"),
        ("cases", "0004_caseevent_comment"),
    ]

    operations = [
        migrations.AlterField(
            model_name="plangoal",
            name="text",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="planaction",
            name="text",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="servicedelivered",
            name="description",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="servicedelivered",
            name="outcome",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="planreview",
            name="summary",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="planreview",
            name="child_views",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="planreview",
            name="child_views_weight",
            field=bridgeway.core.crypto.EncryptedTextField(),
        ),
        encrypt_columns_op("care.PlanGoal", "text"),
        encrypt_columns_op("care.PlanAction", "text"),
        encrypt_columns_op("care.ServiceDelivered", "description", "outcome"),
        encrypt_columns_op("care.PlanReview", "summary", "child_views", "child_views_weight"),
        migrations.RunPython(drop_action_words_from_task_titles, migrations.RunPython.noop,
                             elidable=False),
    ]
