"""The import's per-contact digest (issue 14, re-imports): a column only the import engine
reads and writes, and a trigger that clears it whenever a column the import reads changes.

``parrain_contact.import_digest`` holds a hash of the last import row that named the
contact (its raw cells or JSON, the mapping, the settings and code that parse it): a row
with the same hash is counted unchanged without being parsed. Any update of a column the
import's rules read, by any path (the ORM, raw SQL, another import writing the same
hash), clears it, so a contact changed since is read in full again. PostgreSQL only (the
engine skips nothing elsewhere); not a model field, so Django never writes it.
"""

from django.db import migrations

#: The columns the import's rules read: ``engine.COLUMNS``, the program, the erasure and
#: the confirmed address (the server API's vouching). A test updates each and checks.
WATCHED = (
    "program_id",
    "email",
    "email_normalized",
    "email_canonical",
    "external_id",
    "first_name",
    "last_name",
    "phone",
    "language",
    "is_customer",
    "first_order_at",
    "total_spent",
    "consent_recontact",
    "consent_at",
    "consent_source",
    "tags",
    "erased_at",
    "email_verified_at",
)
_OLD = ", ".join(f"OLD.{name}" for name in WATCHED)
_NEW = ", ".join(f"NEW.{name}" for name in WATCHED)

INSTALL_SQL = f"""
ALTER TABLE parrain_contact ADD COLUMN import_digest bytea;
CREATE FUNCTION parrain_contact_import_digest_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.import_digest := NULL;
    RETURN NEW;
END
$$;
CREATE TRIGGER parrain_contact_import_digest BEFORE UPDATE ON parrain_contact
FOR EACH ROW WHEN (
    OLD.import_digest IS NOT NULL
    AND NEW.import_digest IS NOT DISTINCT FROM OLD.import_digest
    AND ROW({_OLD}) IS DISTINCT FROM ROW({_NEW})
) EXECUTE FUNCTION parrain_contact_import_digest_clear();
"""  # nosec B608 # constant column names

UNINSTALL_SQL = """
DROP TRIGGER IF EXISTS parrain_contact_import_digest ON parrain_contact;
DROP FUNCTION IF EXISTS parrain_contact_import_digest_clear();
ALTER TABLE parrain_contact DROP COLUMN IF EXISTS import_digest;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(INSTALL_SQL)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(UNINSTALL_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("parrain", "0031_idempotent_sealed"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]
