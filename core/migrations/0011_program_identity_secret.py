"""``Program.webhook_secret`` only ever keyed identity tokens: it is renamed for what it is,
keeping its value so the tokens already issued keep verifying, and can now be rotated."""

from django.db import migrations, models

import parrain.core.rotation


class Migration(migrations.Migration):
    dependencies = [("parrain", "0010_contact_erased_at")]

    operations = [
        migrations.RenameField(
            model_name="program", old_name="webhook_secret", new_name="identity_secret"
        ),
        migrations.AlterField(
            model_name="program",
            name="identity_secret",
            field=models.CharField(
                default=parrain.core.rotation.new_identity_secret,
                editable=False,
                max_length=80,
                verbose_name="identity token secret",
            ),
        ),
        migrations.AddField(
            model_name="program",
            name="identity_secret_previous",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=80,
                verbose_name="previous identity token secret",
            ),
        ),
        migrations.AddField(
            model_name="program",
            name="identity_secret_rotated_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                null=True,
                verbose_name="identity token secret rotated",
            ),
        ),
    ]
