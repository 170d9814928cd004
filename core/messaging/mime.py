"""The bytes of an email, made faster than Django's defaults give them (helper: perf).

``Email`` is Django's ``EmailMultiAlternatives``, byte for byte the same message
(tests/core/test_mime.py), without the standard library's costs that dominate a batch of
thousands:

- every header goes through ``email.header.Header`` to be folded, even a short ASCII one
  that needs no folding; the policy here writes those as they are (anything longer, with
  a line break or not ASCII goes the standard way);
- each multipart boundary is checked against the body with a regular expression compiled
  for that boundary alone; the boundary here is random and long enough never to occur in a
  body, and is checked with a plain substring search;
- a text part with a line over 998 bytes (an inlined HTML email is one long line) is
  quoted-printable encoded by ``email.quoprimime`` in pure Python; here by
  ``binascii.b2a_qp`` (C), which gives the same text for a body without a carriage return;
- the generator writes a body line by line (hundreds of writes a message); here each
  part's body is converted at once (``as_bytes``).

For the common shape (a text body, an HTML alternative, no attachment, UTF-8), Django
makes the message with one-character bodies (all its headers, exactly), and the real
bodies are then set already encoded. Anything else takes Django's own path. Any email
backend works with it (``message()`` returns Django's MIME objects); the SMTP backend is
where it shows.
"""

from __future__ import annotations

import binascii
import os
import random
import re
from email._policybase import Compat32
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.utils import formatdate
from functools import lru_cache
from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import (
    DNS_NAME,
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    SafeMIMEMultipart,
    forbid_multi_line_headers,
    make_msgid,
    sanitize_address,
)

#: RFC 5322's recommended line length, which ``Header`` folds at.
_LINE = 78
_NEWLINES = re.compile(r"\r\n|\r|\n")  # the generator's NLCRE
_PLACEHOLDER = "x"


class _Policy(Compat32):
    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and len(name) + 2 + len(value) <= _LINE
            and value.isascii()
            and "\n" not in value
            and "\r" not in value
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


POLICY = _Policy()


# Boundaries need to be unique, not secret: drawn from a generator seeded once, since
# ``os.urandom`` releases the GIL each call and the sending thread then keeps it a while.
_RANDOM = random.Random(os.urandom(16))  # nosec B311
os.register_at_fork(after_in_child=lambda: _RANDOM.seed(os.urandom(16)))


def _boundary(body: str) -> str:
    while True:
        boundary = "===============" + f"{_RANDOM.getrandbits(96):024x}" + "=="
        if boundary not in body:
            return boundary


def _encoded(content: str) -> tuple[str, str]:
    """``content`` as Django's ``SafeMIMEText`` stores it in UTF-8: (payload, transfer
    encoding)."""
    raw = content.encode("utf-8")
    if _has_long_lines(content, raw):
        return binascii.b2a_qp(raw).decode("ascii"), "quoted-printable"
    return raw.decode("ascii", "surrogateescape"), "7bit" if raw.isascii() else "8bit"


def _has_long_lines(content: str, raw: bytes | None = None) -> bool:
    """Django's test: a line longer than 998 bytes in UTF-8. A character is 1 to 4 bytes,
    so only the lines over a quarter of that are measured in bytes. ``raw``, the content
    in UTF-8, answers at once when none of its lines is that long (bytes split at fewer
    line ends than a str: its lines are never shorter than the text's)."""
    if raw is not None and max(map(len, raw.splitlines()), default=0) <= (
        RFC5322_EMAIL_LINE_LENGTH_LIMIT
    ):
        return False
    lines = content.splitlines()
    longest = max(map(len, lines), default=0)
    if longest > RFC5322_EMAIL_LINE_LENGTH_LIMIT:
        return True
    if longest * 4 <= RFC5322_EMAIL_LINE_LENGTH_LIMIT:
        return False
    return any(
        len(line.encode(errors="surrogateescape")) > RFC5322_EMAIL_LINE_LENGTH_LIMIT
        for line in lines
        if len(line) * 4 > RFC5322_EMAIL_LINE_LENGTH_LIMIT
    )


def _crlf(payload: str, linesep: str) -> str:
    """``_NEWLINES.sub(linesep, payload)`` (the generator's), by plain replacements."""
    if "\r" in payload:
        payload = payload.replace("\r\n", "\n").replace("\r", "\n")
    return payload.replace("\n", linesep) if linesep != "\n" else payload


class _Multipart(SafeMIMEMultipart):
    """Flattened in one pass: the same bytes as ``BytesGenerator`` for a multipart of
    text parts without preamble or epilogue (anything else: the generator)."""

    #: (linesep, bytes) flattened ahead by ``Email.prepare``.
    _flattened: tuple[str, bytes] | None = None

    def __setitem__(self, name: str, val: Any) -> None:
        if name in _SHARED_HEADERS and isinstance(val, str):
            # The same subject for a template's every recipient: encoded once.
            name, val = _shared_header(name, val, self.encoding)
        else:
            name, val = forbid_multi_line_headers(name, val, self.encoding)
        MIMEMultipart.__setitem__(self, name, val)

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        if self._flattened is not None and not unixfrom and self._flattened[0] == linesep:
            return self._flattened[1]
        parts = self.get_payload()
        boundary = self.get_boundary()
        if unixfrom or self.preamble is not None or self.epilogue is not None or not boundary:
            return super().as_bytes(unixfrom=unixfrom, linesep=linesep)
        if not all(isinstance(p, Message) and not p.is_multipart() for p in parts):
            return super().as_bytes(unixfrom=unixfrom, linesep=linesep)
        policy = self.policy.clone(linesep=linesep)
        out = BytesIO()
        write = out.write
        _headers(self, policy, write, linesep)
        write(f"--{boundary}{linesep}".encode("ascii"))
        for n, part in enumerate(parts):
            if n:
                write(f"{linesep}--{boundary}{linesep}".encode("ascii"))
            _headers(part, policy, write, linesep)
            write(_crlf(part._payload, linesep).encode("ascii", "surrogateescape"))
        write(f"{linesep}--{boundary}--{linesep}".encode("ascii"))
        return out.getvalue()


_SHARED_HEADERS = frozenset({"Subject", "From"})


@lru_cache(maxsize=1024)
def _shared_header(name: str, val: str, encoding: str | None) -> tuple[str, str]:
    return forbid_multi_line_headers(name, val, encoding)  # type: ignore[no-any-return]


def _headers(message: Message, policy: Any, write: Any, linesep: str) -> None:
    for name, value in message.raw_items():
        write(policy.fold_binary(name, value))
    write(linesep.encode("ascii"))


# The part headers Django's ``SafeMIMEText`` writes for a UTF-8 text part.
_PART_HEADERS = (
    ("Content-Type", '{mimetype}; charset="utf-8"'),
    ("MIME-Version", "1.0"),
    ("Content-Transfer-Encoding", "{transfer}"),
)
_ADDRESS_LISTS = (("To", "to"), ("Cc", "cc"), ("Reply-To", "reply_to"))
#: A boundary as ``_boundary`` draws it, but fixed: folded headers are cached with it.
_SAMPLE_BOUNDARY = "=" * 15 + "f" * 24 + "=="


@lru_cache(maxsize=4096)
def _folded(name: str, value: str, linesep: str) -> bytes:
    """One header line as ``_Multipart.as_bytes`` writes it (headers repeated from one
    email to the next: the subject, the sender, the parts' own)."""
    return POLICY.clone(linesep=linesep).fold_binary(name, value)  # type: ignore[no-any-return]


def _folded_once(name: str, value: str, linesep: str) -> bytes:
    """``_folded`` for a header met once (a recipient, a message id): short ASCII lines
    are written as they are, as ``_Policy._fold`` does, without the cache."""
    if (
        len(name) + 2 + len(value) <= _LINE
        and value.isascii()
        and "\n" not in value
        and "\r" not in value
    ):
        return f"{name}: {value}{linesep}".encode("ascii")
    if _UNBREAKABLE.fullmatch(value):
        # One word the folding cannot split (a List-Unsubscribe URL): where it goes
        # depends on its length alone, so a sample of that length is folded (once).
        shape = _folded(name, _SAMPLE_WORD * len(value), linesep)
        at = shape.index(_SAMPLE_WORD.encode("ascii") * len(value))
        return shape[:at] + value.encode("ascii") + shape[at + len(value) :]
    return POLICY.clone(linesep=linesep).fold_binary(name, value)  # type: ignore[no-any-return]


#: A header value ``Header`` folds as one word: printable ASCII without the spaces and the
#: ``;`` and ``,`` it splits at (nor ``=?``, which could read as an encoded word).
_UNBREAKABLE = re.compile(r"(?:[!-+\--:<>?@-~]|=(?!\?))+")
_SAMPLE_WORD = "x"


@lru_cache(maxsize=64)
def _content_type(subtype: str, size: int, linesep: str) -> bytes:
    """The multipart's Content-Type line for a boundary of ``size`` characters, folded with
    a sample boundary (folding splits at spaces and ';', never inside a boundary)."""
    value = f'multipart/{subtype}; boundary="{_SAMPLE_BOUNDARY[:size]}"'
    return POLICY.clone(linesep=linesep).fold_binary("Content-Type", value)  # type: ignore[no-any-return]


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
#: An address ``sanitize_address`` gives back as it is: a dot-atom, an ASCII domain.
_PLAIN_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})*")


def smtp_address(address: str, encoding: str = "utf-8") -> str:
    """``sanitize_address(address, encoding)``, what Django's SMTP backend gives the
    server, without parsing a plain address (``local@domain``, ASCII) it would leave as is:
    that parser costs more than composing a message's text part."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return address
    return _sanitized(address, encoding)


@lru_cache(maxsize=256)
def _sanitized(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)  # type: ignore[no-any-return]


class Email(EmailMultiAlternatives):
    _prepared: Any = None
    #: (linesep, bytes) made by ``prepare`` without the MIME objects (the common shape).
    _raw: tuple[str, bytes] | None = None
    _fixed_boundary: str = ""

    def prepare(self, linesep: str = "\r\n") -> None:
        """Make the email's bytes now (with ``linesep``, the SMTP backend's): a sending
        thread then only sends (``raw``). The Date and Message-ID are fixed now, so that
        ``message()`` gives the same bytes later. The email must not change afterwards.
        For the common shape, the bytes are written directly (no MIME objects); otherwise
        Django's MIME message is made and flattened."""
        self._prepared = None
        self._raw = None
        if self._simple():
            self._fix_headers()
            self._raw = (linesep, self._direct_bytes(linesep))
            return
        prepared = self.message()
        if isinstance(prepared, _Multipart):
            prepared._flattened = (linesep, prepared.as_bytes(linesep=linesep))
        self._prepared = prepared

    def raw(self, linesep: str = "\r\n") -> bytes:
        """The bytes to send (made by ``prepare`` when it could)."""
        if self._raw is not None and self._raw[0] == linesep:
            return self._raw[1]
        return self.message().as_bytes(linesep=linesep)  # type: ignore[no-any-return]

    def _fix_headers(self) -> None:
        names = {name.lower() for name in self.extra_headers}
        fixed = {}
        # Django writes Date, then Message-ID, then the extra headers: put first among
        # them, they keep their place.
        if "date" not in names:
            fixed["Date"] = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
        if "message-id" not in names:
            fixed["Message-ID"] = make_msgid(domain=DNS_NAME)
        self.extra_headers = {**fixed, **self.extra_headers}
        self._fixed_boundary = _boundary(self._all_text())

    def _direct_bytes(self, linesep: str) -> bytes:
        """The bytes ``_fast_message().as_bytes(linesep)`` gives, written directly."""
        encoding = self.encoding or settings.DEFAULT_CHARSET
        boundary = self._fixed_boundary
        out = [
            _content_type(self.alternative_subtype, len(boundary), linesep).replace(
                _SAMPLE_BOUNDARY[: len(boundary)].encode("ascii"), boundary.encode("ascii")
            ),
            _folded("MIME-Version", "1.0", linesep),
        ]
        headers = self.extra_headers
        out.append(_folded(*_shared_header("Subject", self.subject, encoding), linesep))
        out.append(
            _folded(
                *_shared_header("From", headers.get("From", self.from_email), encoding), linesep
            )
        )
        for name, attribute in _ADDRESS_LISTS:  # Django's _set_list_header_if_not_empty
            values = getattr(self, attribute)
            value = headers[name] if name in headers else ", ".join(str(v) for v in values)
            if name in headers or values:
                out.append(_folded_once(*forbid_multi_line_headers(name, value, encoding), linesep))
        for name, value in headers.items():
            if name.lower() not in {"from", "to", "cc", "reply-to"}:
                name, value = forbid_multi_line_headers(name, value, encoding)
                out.append(_folded_once(name, value, linesep))
        out.append(linesep.encode("ascii"))
        sep = f"--{boundary}{linesep}".encode("ascii")
        contents = [(self.body, "text/" + self.content_subtype)] + [
            (str(a[0]), a[1]) for a in self.alternatives
        ]
        for n, (content, mimetype) in enumerate(contents):
            out.append(linesep.encode("ascii") + sep if n else sep)
            payload, transfer = _encoded(content)
            for name, value in _PART_HEADERS:
                value = value.format(mimetype=mimetype, transfer=transfer)
                out.append(_folded(name, value, linesep))
            out.append(linesep.encode("ascii"))
            out.append(_crlf(payload, linesep).encode("ascii", "surrogateescape"))
        out.append(f"{linesep}--{boundary}--{linesep}".encode("ascii"))
        return b"".join(out)

    def message(self) -> Any:
        if self._prepared is not None:
            return self._prepared
        if self._simple():
            msg = self._fast_message()
            if self._raw is not None:
                self._prepared = msg  # one message after ``prepare``, as its bytes
            return msg
        msg = super().message()
        msg.policy = POLICY
        if msg.is_multipart():
            for part in msg.walk():
                if part.is_multipart():
                    part.set_boundary(_boundary(self._all_text()))
        return msg

    def _all_text(self) -> str:
        return "\n".join(str(a[0]) for a in self.alternatives) + str(self.body)

    def _simple(self) -> bool:
        """A text body and text alternatives in UTF-8, no attachment, no carriage return
        (which ``b2a_qp`` would treat otherwise)."""
        encoding = (self.encoding or settings.DEFAULT_CHARSET).lower().replace("_", "-")
        return (
            encoding == "utf-8"
            and not self.attachments
            and bool(self.alternatives)
            and isinstance(self.body, str)
            and bool(self.body)
            and "\r" not in self.body
            and self.content_subtype == "plain"
            and self.mixed_subtype == "mixed"
            and all(
                isinstance(a[0], str) and a[1].startswith("text/") and "\r" not in a[0]
                for a in self.alternatives
            )
        )

    def _create_alternatives(self, msg: Any) -> Any:
        msg = super()._create_alternatives(msg)
        if self._simple() and type(msg) is SafeMIMEMultipart:
            msg.__class__ = _Multipart  # before Django sets the headers
        return msg

    def _fast_message(self) -> Any:
        contents = [self.body] + [str(a[0]) for a in self.alternatives]
        body, alternatives = self.body, self.alternatives
        self.body = _PLACEHOLDER
        self.alternatives = [type(a)(_PLACEHOLDER, a[1]) for a in alternatives]
        try:
            msg = super().message()
        finally:
            self.body, self.alternatives = body, alternatives
        msg.policy = POLICY
        for part, content in zip(msg.get_payload(), contents, strict=True):
            part._payload, transfer = _encoded(content)
            part.replace_header("Content-Transfer-Encoding", transfer)
        msg.set_boundary(self._fixed_boundary or _boundary("\n".join(contents)))
        return msg
