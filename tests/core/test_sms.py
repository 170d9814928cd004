"""SMS backends against a real HTTP server on loopback, segment counts, settings checks."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from parrain.core.checks import check_sms_backend
from parrain.core.messaging import sms
from parrain.core.messaging.sms import (
    HttpBackend,
    LocmemBackend,
    SmsError,
    get_backend,
    is_stop,
    segments,
    sender_number,
)
from tests.sms_provider import Answer, Provider, http_sms_settings, sms_provider  # noqa: F401

COUNTER_JS = Path(sms.__file__).parents[1] / "static" / "parrain" / "sms_counter.js"


# Segments


@pytest.mark.parametrize(
    ("text", "encoding", "units", "count"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€", "GSM-7", 2, 1),
        ("€" * 80, "GSM-7", 160, 1),
        ("a" + "€" * 80, "GSM-7", 161, 2),
        # A part holds 153 septets; an extension character is never cut in two.
        ("a" * 152 + "€" + "a" * 10, "GSM-7", 164, 2),
        ("Ça coûte 5 € !", "UCS-2", 14, 1),  # û is not in GSM-7
        ("Ça côute", "UCS-2", 8, 1),
        ("Merci Zoé, à bientôt", "UCS-2", 20, 1),
        ("Merci Zoé, à bient", "GSM-7", 18, 1),
        ("😀", "UCS-2", 2, 1),
        ("a" * 68 + "😀", "UCS-2", 70, 1),
        ("a" * 69 + "😀", "UCS-2", 71, 2),
        ("a" * 134 + "😀", "UCS-2", 136, 3),  # 67 + 67, the emoji's pair starts part 3
        ("é" * 70, "GSM-7", 70, 1),  # é is in GSM-7's basic set
        ("ç" * 70, "UCS-2", 70, 1),  # ç is not (only Ç)
        ("ç" * 71, "UCS-2", 71, 2),
    ],
)
def test_segments_follow_gsm7_and_ucs2_limits(text, encoding, units, count) -> None:
    info = segments(text)
    assert (info.encoding, info.units, info.segments) == (encoding, units, count)
    assert info.characters == len(text)


def test_an_emoji_turns_the_whole_text_into_ucs2() -> None:
    assert segments("a" * 70).encoding == "GSM-7" and segments("a" * 70).segments == 1
    with_emoji = segments("a" * 69 + "🎁")
    assert with_emoji.encoding == "UCS-2"
    assert with_emoji.segments == 2  # 71 UTF-16 units: past 70, parts of 67
    assert with_emoji.capacity == 134


def test_the_browser_counter_counts_like_the_server() -> None:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is missing (make test builds the widget with it)")
        pytest.skip("node is not installed")
    texts = [
        "",
        "a" * 160,
        "a" * 161,
        "€" * 81,
        "a" * 152 + "€" + "a" * 10,
        "Ça coûte 5 € !",
        "😀" * 40,
        "a" * 134 + "😀",
        "Salut {x}, [code] ~ ^ | \\ \f",
        "Ελληνικά ΔΦΓ",
    ]
    script = (
        "globalThis.window = globalThis; globalThis.document = {readyState: 'complete',"
        " documentElement: {lang: 'en'}, querySelectorAll: () => []};"
        f"require({json.dumps(str(COUNTER_JS))});"
        f"const texts = {json.dumps(texts)};"
        "console.log(JSON.stringify(texts.map(t => window.parrainSmsCounter.segments(t))));"
    )
    result = subprocess.run(  # noqa: S603 - our own file
        [node, "-e", script], capture_output=True, text=True, timeout=60, check=True
    )
    browser = json.loads(result.stdout)
    for text, counted in zip(texts, browser, strict=True):
        server = segments(text)
        assert (counted["encoding"], counted["units"], counted["segments"]) == (
            server.encoding,
            server.units,
            server.segments,
        ), text
        assert counted["capacity"] == server.capacity


# HTTP backend, against a real server on loopback


@pytest.fixture
def http_backend(settings, sms_provider: Provider) -> HttpBackend:  # noqa: F811
    settings.PARRAIN_SMS = http_sms_settings(sms_provider)
    backend = get_backend()
    assert isinstance(backend, HttpBackend)
    return backend


def test_http_backend_posts_the_json_body_with_the_auth_header(
    http_backend: HttpBackend,
    sms_provider: Provider,  # noqa: F811
) -> None:
    message_id = http_backend.send("+33612345678", "Bonjour Zoé")
    [request] = sms_provider.received
    assert message_id == "msg-1"
    assert request.path == "/v1/sms"
    assert request.headers["Authorization"] == "Bearer provider-key"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {
        "recipient": "+33612345678",
        "message": {"text": "Bonjour Zoé"},
        "from": "Lumiere",
    }


def test_message_text_cannot_break_out_of_its_json_string(
    http_backend: HttpBackend,
    sms_provider: Provider,  # noqa: F811
) -> None:
    text = 'x", "recipient": "+15550000000", "y": "{sender} {to}\n}\\'
    http_backend.send("+33612345678", text)
    [request] = sms_provider.received
    assert request.body["recipient"] == "+33612345678"
    assert request.body["message"] == {"text": text}  # as written, placeholders untouched
    assert set(request.body) == {"recipient", "message", "from"}


def test_body_template_may_be_json_text_and_id_a_dotted_path(
    settings,
    sms_provider: Provider,  # noqa: F811
) -> None:
    settings.PARRAIN_SMS = http_sms_settings(
        sms_provider,
        BODY='{"messages": [{"to": "{to}", "body": "Shop: {text}"}]}',
        ID_FIELD="messages.0.message-id",
    )
    sms_provider.answer(Answer(200, {"messages": [{"message-id": "abc-42", "status": "0"}]}))
    assert get_backend().send("+33612345678", 'Say "hi"') == "abc-42"
    assert sms_provider.received[0].body == {
        "messages": [{"to": "+33612345678", "body": 'Shop: Say "hi"'}]
    }


def test_form_body_for_providers_that_take_forms(settings, sms_provider: Provider) -> None:  # noqa: F811
    settings.PARRAIN_SMS = http_sms_settings(
        sms_provider, BODY={"To": "{to}", "Body": "{text}", "From": "{sender}"}, BODY_FORMAT="form"
    )
    sms_provider.answer(Answer(201, {"sid": "SM1"}))
    settings.PARRAIN_SMS = {**settings.PARRAIN_SMS, "ID_FIELD": "sid"}
    assert get_backend().send("+33612345678", "Code: A&B=1") == "SM1"
    [request] = sms_provider.received
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.body == {"To": "+33612345678", "Body": "Code: A&B=1", "From": "Lumiere"}


def test_server_errors_are_temporary(http_backend: HttpBackend, sms_provider: Provider) -> None:  # noqa: F811
    sms_provider.answer(Answer(503, {"error": "maintenance"}))
    with pytest.raises(SmsError) as caught:
        http_backend.send("+33612345678", "Hello")
    assert caught.value.temporary is True
    assert "503" in str(caught.value)


def test_too_many_requests_is_temporary(http_backend: HttpBackend, sms_provider: Provider) -> None:  # noqa: F811
    sms_provider.answer(Answer(429, {"error": "slow down"}))
    with pytest.raises(SmsError) as caught:
        http_backend.send("+33612345678", "Hello")
    assert caught.value.temporary is True


def test_a_refusal_is_final_and_carries_the_providers_reason(
    http_backend: HttpBackend,
    sms_provider: Provider,  # noqa: F811
) -> None:
    sms_provider.answer(Answer(400, {"error": "Number +33612345678 is blacklisted"}))
    with pytest.raises(SmsError) as caught:
        http_backend.send("+33612345678", "Hello")
    assert caught.value.temporary is False
    assert "400" in str(caught.value) and "blacklisted" in str(caught.value)


def test_a_timeout_is_temporary(settings, sms_provider: Provider) -> None:  # noqa: F811
    settings.PARRAIN_SMS = http_sms_settings(sms_provider, TIMEOUT=0.2)
    sms_provider.answer(Answer(200, delay=1.0))
    with pytest.raises(SmsError) as caught:
        get_backend().send("+33612345678", "Hello")
    assert caught.value.temporary is True
    assert "in time" in str(caught.value)


def test_a_provider_that_cannot_be_reached_is_temporary(settings) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.PARRAIN_SMS = {
        "BACKEND": "parrain.core.messaging.sms.HttpBackend",
        "URL": f"http://127.0.0.1:{port}/sms",
    }
    with pytest.raises(SmsError) as caught:
        get_backend().send("+33612345678", "Hello")
    assert caught.value.temporary is True


def test_a_redirect_is_not_followed(http_backend: HttpBackend, sms_provider: Provider) -> None:  # noqa: F811
    sms_provider.answer(Answer(302, {}))
    with pytest.raises(SmsError) as caught:
        http_backend.send("+33612345678", "Hello")
    assert caught.value.temporary is False
    assert len(sms_provider.received) == 1


def test_an_accepted_sms_without_an_id_is_still_sent(
    http_backend: HttpBackend,
    sms_provider: Provider,  # noqa: F811
) -> None:
    sms_provider.answer(Answer(202, {"status": "queued"}))
    assert http_backend.send("+33612345678", "Hello") == ""


def test_backend_is_kept_until_the_setting_changes(settings) -> None:
    first = get_backend()
    assert get_backend() is first
    settings.PARRAIN_SMS = {"BACKEND": "parrain.core.messaging.sms.ConsoleBackend"}
    assert get_backend() is not first


def test_locmem_backend_keeps_an_outbox() -> None:
    LocmemBackend.outbox.clear()
    message_id = sms.send("+33612345678", "Hi")
    assert [(s.to, s.text, s.id) for s in LocmemBackend.outbox] == [
        ("+33612345678", "Hi", message_id)
    ]
    LocmemBackend.outbox.clear()


def test_console_backend_prints_the_sms(settings, capsys) -> None:
    settings.PARRAIN_SMS = {"BACKEND": "parrain.core.messaging.sms.ConsoleBackend"}
    assert get_backend().send("+33612345678", "Votre code : A1B2").startswith("console-")
    out = capsys.readouterr().out
    assert "+33612345678" in out and "Votre code : A1B2" in out and "GSM-7" in out


# Settings checks


def ids(messages) -> list[str]:
    return [message.id for message in messages]


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ({"BACKEND": "parrain.core.messaging.sms.ConsoleBackend"}, []),
        ({"BACKEND": "parrain.core.messaging.sms.NoSuchBackend"}, ["parrain.E020"]),
        ({"BACKEND": "nowhere.Backend"}, ["parrain.E020"]),
        ({"BACKEND": "parrain.core.messaging.sms.segments"}, ["parrain.E021"]),
        ({"BACKEND": "parrain.core.messaging.sms.HttpBackend"}, ["parrain.E022"]),
        (
            {"BACKEND": "parrain.core.messaging.sms.HttpBackend", "URL": "sms.example"},
            ["parrain.E022"],
        ),
        (
            {
                "BACKEND": "parrain.core.messaging.sms.HttpBackend",
                "URL": "https://sms.example/send",
            },
            [],
        ),
        (
            {
                "BACKEND": "parrain.core.messaging.sms.HttpBackend",
                "URL": "https://sms.example/send",
                "BODY": '{"to": "{to}", ',
            },
            ["parrain.E023"],
        ),
        (
            {
                "BACKEND": "parrain.core.messaging.sms.HttpBackend",
                "URL": "https://sms.example/send",
                "BODY": {"to": "{to}"},
            },
            ["parrain.W020"],
        ),
    ],
)
def test_sms_setting_is_checked_at_start(settings, setting, expected) -> None:
    settings.PARRAIN_SMS = setting
    assert ids(check_sms_backend()) == expected


def test_an_http_backend_without_url_fails_each_sms_for_good(settings) -> None:
    settings.PARRAIN_SMS = {"BACKEND": "parrain.core.messaging.sms.HttpBackend"}
    with pytest.raises(SmsError) as caught:
        get_backend().send("+33612345678", "Hello")
    assert caught.value.temporary is False and "URL" in str(caught.value)


# Inbound helpers


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        " Stop ",
        "STOP SMS",
        "stop  sms",
        "ARRET",
        "ARRÊT",
        "arrêt",
        "Arrêt.",
        "UNSUBSCRIBE",
        "Unsubscribe!",
    ],
)
def test_stop_replies_are_recognised(text: str) -> None:
    assert is_stop(text)


@pytest.mark.parametrize("text", ["", "Stop it please", "STOPPER", "merci", "arrêtez", "non"])
def test_other_replies_are_not_stop(text: str) -> None:
    assert not is_stop(text)


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("+33612345678", "+33612345678"),
        ("33612345678", "+33612345678"),  # Vonage's msisdn: no "+"
        ("06 12 34 56 78", "+33612345678"),  # national, PARRAIN_PHONE_REGION
        ("+1 415 555 2671", "+14155552671"),
    ],
)
def test_inbound_sender_numbers_are_read_as_e164(raw: str, number: str) -> None:
    assert sender_number(raw) == number
