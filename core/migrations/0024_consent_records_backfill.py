"""One consent record per contact that holds a consent from before issue 14 (its proof as
far as it is known: the stored answer, date and source; no text was kept then)."""

from django.db import migrations

BATCH = 2000
ACTOR = "backfill"
SOURCES = {
    "widget",
    "import",
    "api",
    "webhook",
    "oscar",
    "account",
    "admin",
    "unsubscribe",
    "sms_stop",
}
LEGACY = {"oscar-account": "account"}


def source_of(value):
    if value in SOURCES:
        return value
    return LEGACY.get(value, "api")


def backfill(apps, schema_editor):
    Contact = apps.get_model("parrain", "Contact")
    ConsentRecord = apps.get_model("parrain", "ConsentRecord")
    answered = Contact.objects.filter(consent_recontact__isnull=False) | Contact.objects.filter(
        sms_consent__isnull=False
    )
    fields = (
        "pk",
        "program_id",
        "consent_recontact",
        "consent_at",
        "consent_source",
        "sms_consent",
        "sms_consent_at",
        "created_at",
    )
    batch = []
    for row in answered.order_by("pk").values_list(*fields).iterator(chunk_size=BATCH):
        pk, program_id, email, email_at, source, sms, sms_at, created_at = row
        common = {"program_id": program_id, "contact_id": pk, "actor": ACTOR}
        if email is not None:
            batch.append(
                ConsentRecord(
                    channel="email",
                    given=email,
                    at=email_at or created_at,
                    source=source_of(source),
                    **common,
                )
            )
        if sms is not None:
            batch.append(
                ConsentRecord(
                    channel="sms", given=sms, at=sms_at or created_at, source="api", **common
                )
            )
        if len(batch) >= BATCH:
            ConsentRecord.objects.bulk_create(batch)
            batch = []
    ConsentRecord.objects.bulk_create(batch)


def remove(apps, schema_editor):
    apps.get_model("parrain", "ConsentRecord").objects.filter(actor=ACTOR).delete()


class Migration(migrations.Migration):
    dependencies = [("parrain", "0023_contact_imports_consents")]

    operations = [migrations.RunPython(backfill, remove)]
