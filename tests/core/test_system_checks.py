"""System checks on where Parrain is served and where its widgets may run (issue 15)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from parrain.core.checks import (
    check_base_url,
    check_base_url_not_loopback,
    check_program_origins,
)
from parrain.core.factories import ProgramFactory


def ids(messages) -> list[str]:
    return [message.id for message in messages]


@pytest.mark.parametrize("base_url", ["parrain.example.com", "/", "ftp://parrain.example.com", ""])
def test_base_url_must_be_an_absolute_web_address(settings, base_url: str) -> None:
    settings.PARRAIN_BASE_URL = base_url
    assert ids(check_base_url()) == ["parrain.E001"]


@pytest.mark.django_db  # the other checks read the programs
def test_an_unfit_base_url_stops_the_commands_that_check(settings) -> None:
    settings.PARRAIN_BASE_URL = "parrain.example.com"
    with pytest.raises(SystemCheckError, match="parrain.E001"):
        call_command("check")


def test_base_url_host_must_be_served_by_this_django(settings) -> None:
    settings.ALLOWED_HOSTS = ["parrain.example.com"]
    settings.PARRAIN_BASE_URL = "https://parrain.example.com/"
    assert check_base_url() == []
    settings.PARRAIN_BASE_URL = "http://127.0.0.1:8000"  # the demo's default, left in prod
    [message] = check_base_url()
    assert message.id == "parrain.W001" and "127.0.0.1" in message.msg
    settings.ALLOWED_HOSTS = [".example.com"]  # Django's own patterns are honoured
    settings.PARRAIN_BASE_URL = "https://www.example.com"
    assert check_base_url() == []


def test_loopback_base_url_is_a_deployment_warning_only(settings) -> None:
    settings.PARRAIN_BASE_URL = "http://localhost:8000"
    settings.DEBUG = False
    assert ids(check_base_url_not_loopback()) == ["parrain.W002"]
    settings.DEBUG = True
    assert check_base_url_not_loopback() == []
    settings.DEBUG = False
    settings.PARRAIN_BASE_URL = "https://parrain.example.com"
    assert check_base_url_not_loopback() == []


@pytest.mark.django_db
def test_landing_page_origin_missing_from_allowed_origins_is_reported(settings) -> None:
    settings.PARRAIN_BASE_URL = "https://parrain.example.com"
    ProgramFactory(
        slug="good",
        landing_url="https://shop.example/parrainage/",
        allowed_origins=["https://shop.example"],
    )
    ProgramFactory(
        slug="same-host", landing_url="https://parrain.example.com/p/", allowed_origins=[]
    )
    ProgramFactory(
        slug="forgotten",
        landing_url="https://www.shop.example/parrainage/",
        allowed_origins=["https://shop.example"],
    )
    ProgramFactory(
        slug="paused", is_active=False, landing_url="https://x.example/", allowed_origins=[]
    )
    [message] = check_program_origins()
    assert message.id == "parrain.W004"
    assert "'forgotten'" in message.msg and "https://www.shop.example" in message.hint


@pytest.mark.django_db
def test_allowed_origins_that_can_never_match_are_reported(settings) -> None:
    ProgramFactory(
        slug="typos",
        landing_url="",
        allowed_origins=["shop.example", "https://shop.example/parrainage", "https://ok.example/"],
    )
    messages = check_program_origins()
    assert ids(messages) == ["parrain.W003", "parrain.W003"]
    assert "'shop.example'" in messages[0].msg and "/parrainage" in messages[1].msg
