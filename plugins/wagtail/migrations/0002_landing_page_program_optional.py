# The program is optional: editors who may not change programs create pages without one.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("parrain", "0002_stats_indexes"),
        ("parrain_wagtail", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="referrallandingpage",
            name="program",
            field=models.ForeignKey(
                blank=True,
                help_text="Publishing the page makes it the landing page of this program.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="parrain.program",
                verbose_name="referral program",
            ),
        ),
    ]
