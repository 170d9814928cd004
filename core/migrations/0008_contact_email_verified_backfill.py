"""Contacts the shop already vouched for: those with a shop account id (``external_id``).

Only shop channels set ``external_id`` (the server API with a secret key, the Oscar
customer sync, signed shop webhooks, the admin's imports); the public widget never does.
Anonymous widget referrers, and guest customers known only from an order's email, stay
unconfirmed: they confirm through the emailed link, or the shop vouches for them the next
time it signs an identity token for them. Names are not copied into ``share_name``: which
of the stored first names the person chose to show friends cannot be told afterwards.
"""

from django.db import migrations
from django.utils import timezone


def vouch_for_shop_accounts(apps, schema_editor):
    Contact = apps.get_model("parrain", "Contact")
    Contact.objects.filter(external_id__isnull=False, email_verified_at__isnull=True).update(
        email_verified_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [("parrain", "0007_anonymous_invitations")]

    operations = [migrations.RunPython(vouch_for_shop_accounts, migrations.RunPython.noop)]
