# Hand-written: the closure reason "declined", which the built-in closure form offers and
# which an approved closure form now carries over to the case.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0004_caseevent_comment"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="closure_reason",
            field=models.CharField(blank=True, choices=[
                ("goals_met", "Plan goals met, reintegration sustained"),
                ("transferred", "Transferred to another agency"),
                ("moved", "Child moved out of the area"),
                ("turned_adult", "Reached adulthood, handed to adult services"),
                ("deceased", "Child died"),
                ("declined", "The child or family declined further support"),
                ("duplicate", "Duplicate record"),
                ("other", "Other"),
            ], max_length=20),
        ),
    ]
