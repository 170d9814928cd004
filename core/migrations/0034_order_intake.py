"""Orders accepted at once and attributed by a worker (issue 16 §5, ``Prefer: respond-async``):
``parrain_order.intake`` holds what the attribution needs that the row has no column for
(not null: pending), and a partial index is the drainer's queue, a program's pending
orders in id order. Existing orders are attributed already: their intake stays null.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("parrain", "0033_day_summary_triggers"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="intake",
            field=models.JSONField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("intake__isnull", False)),
                fields=["program", "id"],
                name="parrain_order_pending",
            ),
        ),
    ]
