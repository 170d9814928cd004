"""The share link /r/<code>: click, cookie, redirect to the landing page only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.core.cache import caches
from django.test import Client

from parrain.core.api import ratelimit
from parrain.core.models import Program, ShareClick
from parrain.core.services.enrolment import enrol_referrer
from tests.api.conftest import assert_problem


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

    from parrain.core.tasks import flush_share_clicks
    from tests.services import REDIS_TEST_URL

    # The queue is this installation's own list (PARRAIN_SHARE_CLICK_QUEUE): another
    # installation (or test run) sharing the Redis server keeps its clicks apart.
    queue = f"parrain-test:{os.getpid()}:share-clicks"
    other = redis.Redis.from_url(REDIS_TEST_URL)
    other.delete(queue)
    other.rpush("parrain:share-clicks-of-another-install", f"{program.pk} 999999 1.0")
    settings.PARRAIN_SHARE_CLICK_BUFFER = REDIS_TEST_URL
    settings.PARRAIN_SHARE_CLICK_QUEUE = queue
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
    assert other.lpop("parrain:share-clicks-of-another-install")  # left alone


# Rate limit per client IP (scope "share_link", 60 a minute by default)

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def frozen_minute() -> Iterator[None]:
    """20 s into a one-minute window, so that the burst below never straddles two windows."""
    with mock.patch("parrain.core.api.ratelimit.time.time", lambda: 1_800_000_020.0):
        yield


def test_a_burst_of_sixty_clicks_from_one_ip_passes_and_the_next_gets_a_429_page(
    client: Client, code: str, frozen_minute: None
) -> None:
    # Given a referrer's link opened 60 times in a minute from one address (a shared office)
    for _ in range(60):
        assert client.get(f"/r/{code}", HTTP_ACCEPT=BROWSER).status_code == 302
    # When the same address opens it once more, the browser gets a short page and no cookie
    refused = client.get(f"/r/{code}", HTTP_ACCEPT=BROWSER, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"  # the seconds left in the window
    assert refused["Content-Type"].startswith("text/html")
    assert refused["Cache-Control"] == "no-store"
    page = refused.content.decode()
    assert "Too many visits from your connection" in page
    assert "Please try again in 1 minute." in page
    assert "parrain_ref" not in refused.cookies and "Location" not in refused
    assert ShareClick.objects.count() == 60  # the refused click is not counted
    # Unknown codes are refused alike: the limit also stops probing for valid codes
    assert client.get("/r/NOPE1234").status_code == 429
    # Another visitor, from another address, is not affected
    other = client.get(f"/r/{code}", REMOTE_ADDR="203.0.113.7")
    assert other.status_code == 302 and other.cookies["parrain_ref"].value == code
    assert ShareClick.objects.count() == 61


def test_a_refused_click_from_a_script_gets_problem_details(
    client: Client, code: str, settings: Any, frozen_minute: None
) -> None:
    settings.PARRAIN_PUBLIC_RATE_LIMITS = {"share_link": (2, 60)}
    for _ in range(2):
        assert client.get(f"/r/{code}", HTTP_ACCEPT="application/json").status_code == 302
    refused = client.get(f"/r/{code}", HTTP_ACCEPT="application/json")
    assert_problem(refused, 429)
    assert refused["Retry-After"] == "40"


@pytest.fixture
def redis_cache(settings: Any) -> Iterator[Any]:
    """The cache on this checkout's Redis database, as on a production web node."""
    import redis

    from tests.services import REDIS_TEST_URL

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_TEST_URL,
            "KEY_PREFIX": "share-limit-test",
        }
    }
    server = redis.Redis.from_url(REDIS_TEST_URL)
    for key in server.scan_iter("share-limit-test:*"):
        server.delete(key)
    # this process's counts, shared only when the test says: no background thread racing it
    with mock.patch.object(ratelimit, "buffered", ratelimit.BufferedWindows(background=False)):
        yield server
    for key in server.scan_iter("share-limit-test:*"):
        server.delete(key)


@pytest.mark.redis
def test_clicks_counted_here_reach_the_counter_all_web_nodes_share(
    client: Client, code: str, settings: Any, redis_cache: Any, frozen_minute: None
) -> None:
    settings.PARRAIN_PUBLIC_RATE_LIMITS = {"share_link": (3, 60)}
    for _ in range(3):
        assert client.get(f"/r/{code}").status_code == 302
    assert client.get(f"/r/{code}").status_code == 429  # refused here without a round trip
    ratelimit.buffered.sync()  # what the background thread does every 0.25 s
    [counter] = list(redis_cache.scan_iter("share-limit-test:*"))
    assert int(redis_cache.get(counter)) == 3
    assert 0 < redis_cache.ttl(counter) <= 61  # the counter goes with its window


@pytest.mark.redis
def test_an_address_past_the_limit_on_other_nodes_is_refused_here_after_a_sync(
    client: Client, code: str, settings: Any, redis_cache: Any, frozen_minute: None
) -> None:
    settings.PARRAIN_PUBLIC_RATE_LIMITS = {"share_link": (3, 60)}
    key, *_ = ratelimit._window("share_link", "127.0.0.1", None)
    # Given other web nodes that let this address through 3 times in this minute
    redis_cache.set(caches["default"].make_key(key), 3, ex=61)
    # When it comes here, this process has not seen it yet: one click passes
    assert client.get(f"/r/{code}").status_code == 302
    ratelimit.buffered.sync()
    # Then the shared total (4) is past the limit: refused until the window ends
    refused = client.get(f"/r/{code}")
    assert refused.status_code == 429 and refused["Retry-After"] == "40"
    assert ShareClick.objects.count() == 1
