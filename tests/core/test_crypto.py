"""Secrets at rest (core/crypto.py): the regular import's basic-auth password is stored as
a Fernet token, read back plain; keys rotate through ``PARRAIN_ENCRYPTION_KEYS`` (first
encrypts, all decrypt); migration 0029 encrypts the passwords stored before it."""

from __future__ import annotations

import importlib
import io
import logging
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from parrain.core import crypto
from parrain.core.factories import ProgramFactory
from parrain.core.models import ImportSchedule

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module("parrain.core.migrations.0029_owner_email_encrypted_password")


def stored(schedule: ImportSchedule) -> str:
    """The column as the database holds it."""
    table = connection.ops.quote_name(ImportSchedule._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT password FROM {table} WHERE id = %s", [schedule.pk])  # nosec B608
        return cursor.fetchone()[0]


def write_raw(schedule: ImportSchedule, value: str) -> None:
    table = connection.ops.quote_name(ImportSchedule._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET password = %s WHERE id = %s", [value, schedule.pk])  # nosec B608


@pytest.fixture
def schedule() -> ImportSchedule:
    return ImportSchedule.objects.create(
        program=ProgramFactory(),
        url="https://files.shop.example/clients.csv",
        username="shop",
        password="s3cret-pass",
    )


def test_the_password_is_stored_encrypted_and_read_back_plain(schedule: ImportSchedule) -> None:
    raw = stored(schedule)
    assert "s3cret" not in raw and raw.startswith("gAAAAA")  # a Fernet token
    assert ImportSchedule.objects.get(pk=schedule.pk).password == "s3cret-pass"
    ImportSchedule.objects.filter(pk=schedule.pk).update(password="other")
    assert "other" not in stored(schedule)
    assert ImportSchedule.objects.get(pk=schedule.pk).password == "other"


def test_an_empty_password_stays_empty(schedule: ImportSchedule) -> None:
    schedule.password = ""
    schedule.save()
    assert stored(schedule) == ""
    assert ImportSchedule.objects.exclude(password="").count() == 0


def test_the_key_comes_from_secret_key_through_hkdf(settings, schedule: ImportSchedule) -> None:
    token = stored(schedule)
    assert Fernet(crypto.derive_key(settings.SECRET_KEY)).decrypt(token.encode()) == b"s3cret-pass"
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt(token)
    settings.SECRET_KEY_FALLBACKS = [old]  # Django's own way of changing SECRET_KEY
    assert ImportSchedule.objects.get(pk=schedule.pk).password == "s3cret-pass"


def test_a_new_key_encrypts_and_the_old_ones_still_decrypt(settings, schedule) -> None:
    before = stored(schedule)
    settings.PARRAIN_ENCRYPTION_KEYS = ["a-new-key-of-the-operator-" + "k" * 30]
    assert ImportSchedule.objects.get(pk=schedule.pk).password == "s3cret-pass"  # old key

    out = io.StringIO()
    call_command("parrain_reencrypt", stdout=out)
    assert out.getvalue().startswith("1 ")
    after = stored(schedule)
    assert after != before
    settings.SECRET_KEY = "the-old-secret-key-is-gone-" + "z" * 30
    assert ImportSchedule.objects.get(pk=schedule.pk).password == "s3cret-pass"  # new key


def test_a_value_no_key_decrypts_reads_empty_and_is_logged(
    settings, schedule: ImportSchedule, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SECRET_KEY = "not-the-key-it-was-encrypted-with-" + "y" * 20
    with caplog.at_level(logging.ERROR, logger="parrain.core.crypto"):
        assert ImportSchedule.objects.get(pk=schedule.pk).password == ""
    assert "could not be decrypted" in caplog.text


def test_the_migration_encrypts_the_plain_passwords_once_and_reverses(
    schedule: ImportSchedule,
) -> None:
    from django.apps import apps

    editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    write_raw(schedule, "plain-from-before")
    MIGRATION.encrypt_passwords(apps, editor)
    first = stored(schedule)
    assert first.startswith("gAAAAA") and crypto.decrypt(first) == "plain-from-before"
    MIGRATION.encrypt_passwords(apps, editor)  # run again: not encrypted twice
    assert stored(schedule) == first

    MIGRATION.decrypt_passwords(apps, editor)
    assert stored(schedule) == "plain-from-before"
