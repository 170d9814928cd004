"""The share link /r/<code>: click, cookie, redirect to the landing page only."""

from __future__ import annotations

import pytest
from django.test import Client

from parrain.core.models import Program, ShareClick
from parrain.core.services.enrolment import enrol_referrer


@pytest.fixture
def code(program: Program) -> str:
    return enrol_referrer(program, "alice@example.com").code


def test_share_link_counts_the_click_sets_the_cookie_and_lands_with_the_code(
    client: Client, program: Program, code: str
) -> None:
    response = client.get(f"/r/{code}")
    assert response.status_code == 302
    assert response["Location"] == f"https://shop.example/parrainage?parrain={code}"
    cookie = response.cookies["parrain_ref"]
    assert cookie.value == code
    assert cookie["max-age"] == program.attribution_window_days * 24 * 3600
    assert cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert ShareClick.objects.filter(referrer__referrer_code=code).count() == 1


def test_share_link_keeps_the_landing_query_and_accepts_a_lower_case_code(
    client: Client, program: Program, code: str
) -> None:
    program.landing_url = "https://shop.example/offre?utm_source=parrain&parrain=OLD"
    program.save()
    response = client.get(f"/r/{code.lower()}")
    assert response["Location"] == (f"https://shop.example/offre?utm_source=parrain&parrain={code}")


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "https://shop.example.evil.example/",
        "javascript:alert(1)",
        "http://shop.example/",  # downgrade from https
        "/\\evil.example",
    ],
)
def test_share_link_never_redirects_off_the_landing_host(
    client: Client, code: str, next_url: str
) -> None:
    response = client.get(f"/r/{code}", {"next": next_url})
    assert response["Location"] == f"https://shop.example/parrainage?parrain={code}"


def test_share_link_may_deep_link_on_the_landing_host(client: Client, code: str) -> None:
    response = client.get(f"/r/{code}", {"next": "/produits/lampe?couleur=bleu"})
    assert (
        response["Location"] == f"https://shop.example/produits/lampe?couleur=bleu&parrain={code}"
    )


def test_unknown_code_or_inactive_program_is_a_404_and_counts_nothing(
    client: Client, program: Program, code: str
) -> None:
    assert client.get("/r/NOPE1234").status_code == 404
    program.is_active = False
    program.save()
    assert client.get(f"/r/{code}").status_code == 404
    assert not ShareClick.objects.exists()
    assert "parrain_ref" not in client.cookies


@pytest.mark.redis
def test_buffered_clicks_are_written_by_the_flush_task(
    client: Client, program: Program, code: str, settings: object
) -> None:
    import redis

    from parrain.core.services.clicks import CLICK_QUEUE
    from parrain.core.tasks import flush_share_clicks
    from tests.services import REDIS_TEST_URL

    redis.Redis.from_url(REDIS_TEST_URL).delete(CLICK_QUEUE)
    settings.PARRAIN_SHARE_CLICK_BUFFER = REDIS_TEST_URL
    gone = enrol_referrer(program, "gone@example.com")
    # Given two clicks on Alice's link and one on a referrer erased before the flush
    assert client.get(f"/r/{code}").status_code == 302
    assert client.get(f"/r/{code}").status_code == 302
    assert client.get(f"/r/{gone.code}").status_code == 302
    gone.contact.delete()
    assert not ShareClick.objects.exists()
    # When the task runs, Alice's clicks are stored and the erased person's are dropped
    assert flush_share_clicks() == 2
    assert ShareClick.objects.filter(referrer__referrer_code=code).count() == 2
    assert flush_share_clicks() == 0
