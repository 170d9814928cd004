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
from functools import lru_cache
from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import (
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    SafeMIMEMultipart,
    forbid_multi_line_headers,
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
    long_lines = any(
        len(line.encode(errors="surrogateescape")) > RFC5322_EMAIL_LINE_LENGTH_LIMIT
        for line in content.splitlines()
    )
    if long_lines:
        return binascii.b2a_qp(raw).decode("ascii"), "quoted-printable"
    return raw.decode("ascii", "surrogateescape"), "7bit" if raw.isascii() else "8bit"


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
            write(_NEWLINES.sub(linesep, part._payload).encode("ascii", "surrogateescape"))
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


class Email(EmailMultiAlternatives):
    _prepared: Any = None

    def prepare(self, linesep: str = "\r\n") -> None:
        """Make the MIME message and its bytes now (with ``linesep``, the SMTP backend's),
        kept for the backend's ``message()``: a sending thread then only sends. The
        email must not change afterwards (its Date is now, not when sent)."""
        self._prepared = None
        prepared = self.message()
        if isinstance(prepared, _Multipart):
            prepared._flattened = (linesep, prepared.as_bytes(linesep=linesep))
        self._prepared = prepared

    def message(self) -> Any:
        if self._prepared is not None:
            return self._prepared
        if self._simple():
            return self._fast_message()
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
        msg.set_boundary(_boundary("\n".join(contents)))
        return msg
