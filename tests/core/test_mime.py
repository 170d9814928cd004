"""The fast email bytes (core/messaging/mime.py) are Django's own, byte for byte."""

from __future__ import annotations

import email
import re

import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from hypothesis import given, settings
from hypothesis import strategies as st

from parrain.core.messaging import mime
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


@pytest.mark.parametrize(
    ("subject", "sender", "headers", "to"),
    [
        (
            "Your code",
            "shop@example.com",
            {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            "camille@example.org",
        ),
        (
            "Parrainez vos amis — 10 € offerts",
            "Boutique Été <shop@example.com>",
            {},
            "Zoé <zoe@exämple.org>",
        ),
        (
            "A subject long enough to need folding " * 3,
            "shop@example.com",
            {},
            "c" * 80 + "@example.org",
        ),
        (
            "Ready",
            "shop@example.com",
            {"List-Unsubscribe": LONG_LINK, "Reply-To": "r@example.org"},
            "b@example.org",
        ),
        (
            "Tabs\tand  double  spaces ",
            "shop@example.com",
            {"X-Note": "a  b\tc ", "Date": FIXED["Date"]},
            "b@example.org",
        ),
        ("Ids", "shop@example.com", {"Message-ID": "<2@shop.example>"}, "b@example.org"),
    ],
)
@pytest.mark.parametrize(
    "html", ["<p>Bonjour — à bientôt</p>\n" * 50, "x" * 999 + "=\n" + "ü" * 70]
)
def test_prepared_bytes_are_written_directly_and_are_djangos(subject, sender, headers, to, html):
    """``prepare`` writes the common shape's bytes without the MIME objects: the same as
    ``message()`` afterwards (Date, Message-ID and boundary fixed then), and as Django's."""
    fast = Email(subject, "Bonjour\n" * 3, sender, [to], headers=headers)
    fast.attach_alternative(html, "text/html")
    fast.prepare()
    assert fast._prepared is None and fast._raw is not None  # no MIME object was made
    raw = fast.raw()
    assert fast.message().as_bytes(linesep="\r\n") == raw
    assert fast.message() is fast.message()
    django = EmailMultiAlternatives(subject, "Bonjour\n" * 3, sender, [to], headers=headers)
    django.attach_alternative(html, "text/html")
    django_bytes = django.message().as_bytes(linesep="\r\n")
    for name in ("Date", "Message-ID"):  # Django's own, made when it made the message
        value = fast.extra_headers[name].encode()
        django_bytes = re.sub(
            rb"\r\n" + name.encode() + rb": [^\r]*",
            b"\r\n" + name.encode() + b": " + value,
            django_bytes,
        )
    for old, new in zip(boundaries(django_bytes), boundaries(raw), strict=True):
        raw = raw.replace(new, old)
    assert raw == django_bytes


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(mime._PLAIN_ADDRESS, fullmatch=True),
        st.emails(),
        st.text(max_size=40).map(lambda t: f"{t} <a@example.org>"),
    )
)
def test_smtp_address_is_djangos_sanitize_address(address: str) -> None:
    """The engine gives the server each address as Django's SMTP backend would."""
    try:
        expected = sanitize_address(address, "utf-8")
    except Exception as exc:  # noqa: BLE001
        with pytest.raises(type(exc)):
            mime.smtp_address(address)
        return
    assert mime.smtp_address(address) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\r\n\x0b\u2028é"), st.sampled_from(["\r\n", "\n"]))
def test_line_ends_and_long_lines_as_the_standard_library_finds_them(text, linesep) -> None:
    assert mime._crlf(text, linesep) == mime._NEWLINES.sub(linesep, text)
    for padded in (text, "é" * 300 + text, "x" * 997 + text, "\U0001f600" * 250 + text):
        expected = any(
            len(line.encode(errors="surrogateescape")) > 998 for line in padded.splitlines()
        )
        assert mime._has_long_lines(padded) == expected
        assert mime._has_long_lines(padded, padded.encode()) == expected


@settings(max_examples=400, deadline=None)
@given(
    name=st.sampled_from(["List-Unsubscribe", "X-A", "Message-ID", "X-" + "h" * 70]),
    value=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=260),
    linesep=st.sampled_from(["\r\n", "\n"]),
)
def test_a_header_met_once_is_folded_as_the_policy_folds_it(name, value, linesep) -> None:
    """``_folded_once`` (an unbreakable word folded by its length's shape, a short line as
    it is) gives the policy's own bytes, whatever the value."""
    expected = mime.POLICY.clone(linesep=linesep).fold_binary(name, value)
    assert mime._folded_once(name, value, linesep) == expected


@pytest.mark.parametrize("size", [1, 40, 59, 60, 61, 77, 78, 79, 120, 400])
def test_a_long_unsubscribe_link_is_folded_as_the_policy_folds_it(size) -> None:
    value = "<https://shop.example/parrain/unsubscribe/" + "A-z_0:9" * size + "/>"
    for linesep in ("\r\n", "\n"):
        expected = mime.POLICY.clone(linesep=linesep).fold_binary("List-Unsubscribe", value)
        assert mime._folded_once("List-Unsubscribe", value, linesep) == expected
