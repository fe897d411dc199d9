"""The e-mail of one notification, and the fast path that serialises a broadcast's mails."""

from __future__ import annotations

import binascii
import email.utils
import functools
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import punycode


@dataclass(frozen=True)
class _ReadyHeader:
    """A header value already encoded (RFC 2047) and folded: the legacy email API takes any
    object with `encode()` as it is, instead of folding the value again for every mail."""

    text: str
    encoded: str

    def encode(self, linesep: str = "\n", maxlinelen: int | None = None) -> str:
        return self.encoded.replace("\n", linesep)

    def __str__(self) -> str:
        return self.text


def _ready(name: str, value: str) -> _ReadyHeader:
    # One line, whatever the value holds: a header cannot carry a line break.
    text = " ".join(value.split())
    if text.isascii() and len(name) + len(text) < 76:
        return _ReadyHeader(text, text)
    charset = "us-ascii" if text.isascii() else "utf-8"
    return _ReadyHeader(text, Header(text, charset, header_name=name).encode())


_ready_once = functools.lru_cache(maxsize=256)(_ready)


def _header_address(address: str) -> str:
    if address.isascii() and "<" not in address:
        return address  # a bare address, the usual recipient
    name, addr = email.utils.parseaddr(address)
    local, _at, domain = addr.rpartition("@")
    if domain and not domain.isascii():
        addr = f"{local}@{punycode(domain)}"
    return email.utils.formataddr((name, addr), charset="utf-8")


_TEXT_HEADERS = [
    ("Content-Type", _ready("Content-Type", 'text/plain; charset="utf-8"')),
    ("MIME-Version", _ready("MIME-Version", "1.0")),
    ("Content-Transfer-Encoding", _ready("Content-Transfer-Encoding", "quoted-printable")),
]


class BroadcastEmail(EmailMessage):
    """A broadcast's plain-text mail, with what `EmailMessage.message()` gives it (subject,
    from, to, date, message id, quoted-printable UTF-8 text), built with the standard
    library's legacy email API, the headers encoded once per broadcast where they can be.
    The modern header registry that Django uses costs most of the CPU time of sending a
    large broadcast (benchmark W5); a one-part text mail does not need it. Every mail backend
    sends it as it sends any EmailMessage."""

    def message(self, *, policy: Any = None) -> Message:  # type: ignore[override]
        msg = Message()
        date = email.utils.formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
        headers = [
            *_TEXT_HEADERS,
            ("Subject", _ready_once("Subject", str(self.subject))),
            ("From", _ready_once("From", _header_address(self.from_email))),
            ("To", _ready("To", ", ".join(_header_address(address) for address in self.to))),
            ("Date", _ready("Date", date)),
            ("Message-ID", _ready("Message-ID", email.utils.make_msgid(domain=DNS_NAME))),
        ]
        for name, value in headers:
            msg[name] = value  # type: ignore[assignment]
        msg.set_payload(binascii.b2a_qp(self.body.encode(), istext=True).decode("ascii"))
        return msg


def render_email(*, recipient: Any, subject: str, body: str, url: str) -> EmailMessage:
    """The e-mail of one notification, its frame in the recipient's language (the subject and
    text were written for them, or by staff)."""
    context = {"recipient": recipient, "body": body, "url": url, "site_url": settings.SITE_URL}
    with translation.override(recipient.preferred_language):
        return BroadcastEmail(
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
            body=render_to_string("emails/broadcast.txt", context),
            to=[recipient.email],
        )
