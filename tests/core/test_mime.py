"""The fast email bytes (core/messaging/mime.py) are Django's own, byte for byte."""

from __future__ import annotations

import email
import re

import pytest
from django.core.mail import EmailMultiAlternatives
from hypothesis import given, settings
from hypothesis import strategies as st

from parrain.core.messaging.mime import Email

FIXED = {"Date": "Fri, 04 Dec 2026 04:22:44 -0000", "Message-ID": "<1@shop.example>"}
LONG_LINK = "<https://shop.example/parrain/unsubscribe/" + "x" * 90 + "/>"


def both(subject: str, sender: str, headers: dict[str, str], text: str, html: str):
    made = []
    for cls in (EmailMultiAlternatives, Email):
        message = cls(subject, text, sender, ["camille@example.org"], headers=FIXED | headers)
        if html:
            message.attach_alternative(html, "text/html")
        made.append(message.message().as_bytes(linesep="\r\n"))
    return made


def boundaries(raw: bytes) -> list[bytes]:
    return re.findall(rb'boundary="([^"]+)"', raw)


@pytest.mark.parametrize(
    ("subject", "sender", "headers"),
    [
        ("Your code", "shop@example.com", {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}),
        ("Parrainez vos amis — 10 € offerts", "Boutique Été <shop@example.com>", {}),
        ("A subject long enough to need folding " * 3, "shop@example.com", {}),
        ("Ready", "shop@example.com", {"List-Unsubscribe": LONG_LINK}),
        ("Tabs\tand  double  spaces ", "shop@example.com", {"X-Note": "a  b\tc "}),
    ],
)
@pytest.mark.parametrize(
    "html",
    [
        "",
        "<p>Bonjour <b>Camille</b> — à bientôt</p>\n" * 50,
        # One long line (quoted-printable), '=' signs, spaces before line ends, 8-bit bytes
        # that are line breaks in Latin-1 (U+0085 in 'Å'), a trailing newline or not.
        '<td style="a=b">Été … Å  </td>' * 200 + " \n\t\n<p>fin</p>  \n",
        "x" * 999 + "=\n" + "ü" * 700,
        "<p>plain ascii</p>" * 80,
    ],
)
def test_the_same_bytes_as_django(subject, sender, headers, html) -> None:
    text = "Bonjour Camille,\nvoici votre lien : https://shop.example/r/ABC\n" * 20
    if len(html) > 4000:  # a text part with a long line and one in pure ASCII
        text = ("Ligne très longue " * 80 + "\n") if "Été" in html else "ascii only\n"
    django_bytes, fast_bytes = both(subject, sender, headers, text, html)
    for old, new in zip(boundaries(django_bytes), boundaries(fast_bytes), strict=True):
        fast_bytes = fast_bytes.replace(new, old)
    assert fast_bytes == django_bytes
    parsed = email.message_from_bytes(fast_bytes)
    assert parsed["To"] == "camille@example.org"
    parts = [p.get_content_type() for p in parsed.walk() if not p.is_multipart()]
    assert parts == (["text/plain", "text/html"] if html else ["text/plain"])


def test_each_message_has_its_own_boundary_absent_from_its_body() -> None:
    sent = [Email("s", "body", "a@example.com", ["b@example.com"]) for _ in range(2)]
    for message in sent:
        message.attach_alternative("<p>body</p>", "text/html")
    first, second = (boundaries(m.message().as_bytes()) for m in sent)
    assert first != second and len(first) == 1
    assert first[0] not in b"body<p>body</p>"


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.characters(blacklist_characters="\r", blacklist_categories=["Cs"])),
    st.integers(min_value=0, max_value=1200),
)
def test_any_body_gives_the_same_bytes(body: str, padding: int) -> None:
    """Whatever the text (long lines or not, spaces before a line end, '=', 8-bit)."""
    text = "a" * padding + body
    made = []
    for cls in (EmailMultiAlternatives, Email):
        message = cls("s", text + "\n", "a@example.com", ["b@example.com"], headers=FIXED)
        message.attach_alternative(body + "<p>" + "b" * padding, "text/html")
        made.append(message.message().as_bytes(linesep="\r\n"))
    django_bytes, fast_bytes = made
    for old, new in zip(boundaries(django_bytes), boundaries(fast_bytes), strict=True):
        fast_bytes = fast_bytes.replace(new, old)
    assert fast_bytes == django_bytes


def test_a_prepared_email_gives_the_backend_the_bytes_made_ahead() -> None:
    """The engine makes an email's bytes before its sending thread sends it."""
    html = "<p>" + "Été " * 400 + "</p>"
    made = []
    for prepare in (False, True):
        message = Email("s", "Bonjour\n", "a@example.com", ["b@example.com"], headers=FIXED)
        message.attach_alternative(html, "text/html")
        if prepare:
            message.prepare()
            assert message.message() is message.message()
        made.append(message.message().as_bytes(linesep="\r\n"))
    plain, prepared = made
    for old, new in zip(boundaries(plain), boundaries(prepared), strict=True):
        prepared = prepared.replace(new, old)
    assert prepared == plain
    assert email.message_from_bytes(prepared).get_payload()[1].get_payload(decode=True) == (
        html.encode()
    )
