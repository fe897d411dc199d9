"""Signing in records the language the person uses the site in (profiles.services)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from profiles.services import remember_language


@receiver(user_logged_in, dispatch_uid="profiles_remember_language_on_login")
def remember_language_on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Set by LocaleMiddleware on a real request (from the cookie or the browser's languages).
    language = getattr(request, "LANGUAGE_CODE", None)
    if language:
        remember_language(user=user, language=language)
