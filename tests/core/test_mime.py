"""The fast email bytes (core/messaging/mime.py) are Django's own, byte for byte."""

from __future__ import annotations

import email
import re

import pytest
from django.core.mail import EmailMultiAlternatives

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
@pytest.mark.parametrize("html", ["", "<p>Bonjour <b>Camille</b> — à bientôt</p>\n" * 50])
def test_the_same_bytes_as_django(subject, sender, headers, html) -> None:
    text = "Bonjour Camille,\nvoici votre lien : https://shop.example/r/ABC\n" * 20
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
