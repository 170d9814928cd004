"""The demo makes its own SECRET_KEY once; production settings refuse it, and any weak key."""

from __future__ import annotations

import importlib
import os
import runpy
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from django.core.exceptions import ImproperlyConfigured

from sandbox import demo_key
from sandbox.demo_key import demo_secret_key

ROOT = Path(__file__).resolve().parent.parent.parent
GOOD_KEY = "k3J9-q_x7LmZ2vR8tYw4NbH6cF1sDgA5eUoPiQzXa0WjVnMrKlTy"  # 52 characters


@pytest.fixture
def demo_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's key file, in a temporary checkout instead of this one's .demo/."""
    path = tmp_path / ".demo" / "secret_key"
    monkeypatch.setattr(demo_key, "KEY_FILE", path)
    return path


def production_settings(monkeypatch: pytest.MonkeyPatch, key: str) -> ModuleType:
    monkeypatch.setenv("DJANGO_SECRET_KEY", key)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "parrain.example.com, www.example.com")
    monkeypatch.setenv("PARRAIN_BASE_URL", "https://parrain.example.com")
    monkeypatch.setenv("DJANGO_DEBUG", "1")  # a leftover of the demo must not turn it on
    monkeypatch.delitem(sys.modules, "sandbox.settings_production", raising=False)
    return importlib.import_module("sandbox.settings_production")


def test_the_demo_key_is_made_once_for_its_owner_only_and_then_kept(demo_key_file: Path) -> None:
    key = demo_secret_key()
    assert len(key) >= 50
    assert demo_secret_key() == key  # the next start reads it back: sessions survive
    assert stat.S_IMODE(demo_key_file.stat().st_mode) == 0o600
    assert list(demo_key_file.parent.iterdir()) == [demo_key_file]  # no draft left behind
    assert demo_secret_key(demo_key_file.parent / "another" / "secret_key") != key


def test_demo_settings_use_the_kept_key_and_leave_debug_off_unless_asked(
    demo_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    demo = runpy.run_path(str(ROOT / "sandbox" / "settings.py"))
    assert demo["SECRET_KEY"] == demo_key_file.read_text().strip()
    assert demo["SECRET_KEY"] != "demo-only-not-secret"
    assert demo["DEBUG"] is False
    monkeypatch.setenv("DJANGO_DEBUG", "1")  # what `make demo` sets for runserver
    assert runpy.run_path(str(ROOT / "sandbox" / "settings.py"))["DEBUG"] is True


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("", "DJANGO_SECRET_KEY is empty"),
        ("demo-only-not-secret", "DJANGO_SECRET_KEY is the demo's key"),
        ("s3cr3t-but-short", "DJANGO_SECRET_KEY is too short or too simple"),
        ("ab" * 40, "DJANGO_SECRET_KEY is too short or too simple"),
        ("django-insecure-" + GOOD_KEY, "DJANGO_SECRET_KEY is too short or too simple"),
    ],
    ids=["empty", "shipped-demo-key", "short", "few-characters", "django-insecure"],
)
def test_production_settings_refuse_an_unfit_key(
    monkeypatch: pytest.MonkeyPatch, demo_key_file: Path, key: str, says: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=says):
        production_settings(monkeypatch, key)
    assert not demo_key_file.exists()  # refused before the demo settings would make a key


def test_production_settings_refuse_this_checkouts_demo_key(
    monkeypatch: pytest.MonkeyPatch, demo_key_file: Path
) -> None:
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY is the demo's key"):
        production_settings(monkeypatch, demo_secret_key())


def test_production_settings_take_a_strong_key_with_debug_off(
    monkeypatch: pytest.MonkeyPatch, demo_key_file: Path
) -> None:
    production = production_settings(monkeypatch, GOOD_KEY)
    assert production.SECRET_KEY == GOOD_KEY
    assert production.DEBUG is False
    assert production.ALLOWED_HOSTS == ["parrain.example.com", "www.example.com"]
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE


def test_a_deployment_with_the_demo_key_does_not_start() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sandbox.settings_production",
        "DJANGO_SECRET_KEY": "demo-only-not-secret",
        "DJANGO_ALLOWED_HOSTS": "parrain.example.com",
        "PARRAIN_BASE_URL": "https://parrain.example.com",
    }
    run = subprocess.run(
        [sys.executable, "sandbox/manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is the demo's key" in run.stderr


def test_production_settings_need_the_host_names(
    monkeypatch: pytest.MonkeyPatch, demo_key_file: Path
) -> None:
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", " ")
    monkeypatch.setenv("DJANGO_SECRET_KEY", GOOD_KEY)
    monkeypatch.delitem(sys.modules, "sandbox.settings_production", raising=False)
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ALLOWED_HOSTS is empty"):
        importlib.import_module("sandbox.settings_production")


def test_production_settings_need_the_base_url(
    monkeypatch: pytest.MonkeyPatch, demo_key_file: Path
) -> None:
    # Without it the demo would guess http://127.0.0.1:8000: links to the visitor's machine
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "parrain.example.com")
    monkeypatch.setenv("DJANGO_SECRET_KEY", GOOD_KEY)
    monkeypatch.delenv("PARRAIN_BASE_URL", raising=False)
    monkeypatch.delitem(sys.modules, "sandbox.settings_production", raising=False)
    with pytest.raises(ImproperlyConfigured, match="PARRAIN_BASE_URL is not set"):
        importlib.import_module("sandbox.settings_production")
