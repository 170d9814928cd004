"""Issue 14 gaps: the program's owner email (the default recipient of owner reports), and
the regular import's basic-auth password encrypted at rest (core/crypto.py).

The column becomes text (a Fernet token is longer than the password), then every stored
password is encrypted in place. Read and written with plain SQL: the historical model's
field would decrypt on read, and the values in the table are still plain. Reversible: the
reverse decrypts them back before the column is a varchar again.
"""

from django.db import migrations, models

import parrain.core.crypto


def _rows(schema_editor, model):
    table = schema_editor.quote_name(model._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, password FROM {table} WHERE password <> ''")  # nosec B608
        return table, cursor.fetchall()


def _write(schema_editor, table, pk, value):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET password = %s WHERE id = %s", [value, pk])  # nosec B608


def encrypt_passwords(apps, schema_editor):
    from parrain.core import crypto

    table, rows = _rows(schema_editor, apps.get_model("parrain", "ImportSchedule"))
    for pk, value in rows:
        if not crypto.is_encrypted(value):  # run twice, encrypts once
            _write(schema_editor, table, pk, crypto.encrypt(value))


def decrypt_passwords(apps, schema_editor):
    from parrain.core import crypto

    table, rows = _rows(schema_editor, apps.get_model("parrain", "ImportSchedule"))
    for pk, value in rows:
        if crypto.is_encrypted(value):
            _write(schema_editor, table, pk, crypto.decrypt(value))


class Migration(migrations.Migration):
    dependencies = [
        ("parrain", "0028_day_summary"),
    ]

    operations = [
        migrations.AddField(
            model_name="program",
            name="owner_email",
            field=models.EmailField(
                blank=True,
                help_text="Receives the reports meant for the shop owner, such as the regular "
                "import's.",
                max_length=254,
                verbose_name="owner's email",
            ),
        ),
        migrations.AlterField(
            model_name="importschedule",
            name="password",
            field=parrain.core.crypto.EncryptedTextField(
                blank=True, verbose_name="password (basic auth)"
            ),
        ),
        migrations.RunPython(encrypt_passwords, decrypt_passwords),
    ]
