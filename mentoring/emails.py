"""One way to build a mail (as Zulip's `send_email.build_email`, healthchecks' `emails.send`).

`build_email("digest", recipient, context)` renders `templates/emails/digest-subject.txt`,
`digest-body.txt` and `digest-body.html` in the recipient's language and returns Django's
`EmailMultiAlternatives`: the text part, with the HTML version as its alternative. The subject
is one line, after the translated "[Mentoring] " prefix. Every template gets `site_url` and
`subject`; the sender sends it (`message.send()`, or a backend's `send_messages`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


class Addressee(Protocol):
    """Someone with an account (`profiles.User`): their address and their language."""

    @property
    def email(self) -> str: ...

    @property
    def preferred_language(self) -> str: ...


def build_email(
    template_prefix: str,
    recipient: Addressee | str,
    context: Mapping[str, Any],
    *,
    language: str | None = None,
    email_class: type[EmailMultiAlternatives] = EmailMultiAlternatives,
) -> EmailMultiAlternatives:
    """The mail `emails/<template_prefix>-*` to `recipient` (a person, or a bare address).

    Written in `language`, by default the person's (`User.preferred_language`; the site's
    default for a bare address). `email_class` may be a subclass that serialises the same
    message differently (messaging's broadcast fast path).
    """
    if isinstance(recipient, str):
        address, language = recipient, language or settings.LANGUAGE_CODE
    else:
        address, language = recipient.email, language or recipient.preferred_language
    values = {"site_url": settings.SITE_URL, "recipient": recipient, **context}
    with translation.override(language):
        path = f"emails/{template_prefix}"
        # One line, whatever the template or a pilot's name holds: a header has no line breaks.
        title = " ".join(render_to_string(f"{path}-subject.txt", values).split())
        values["subject"] = title
        message = email_class(
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{title}",
            body=render_to_string(f"{path}-body.txt", values),
            to=[address],
        )
        message.attach_alternative(render_to_string(f"{path}-body.html", values), "text/html")
    return message
