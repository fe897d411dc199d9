"""Signing in records the language the person uses the site in; a superuser made with
`createsuperuser` gets a verified address (profiles.services)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from profiles.models import User
from profiles.services import remember_language, verify_superuser_address


@receiver(user_logged_in, dispatch_uid="profiles_remember_language_on_login")
def remember_language_on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Set by LocaleMiddleware on a real request. A language chosen with the switch (its
    # cookie) is remembered; a browser's guess only when the person has none yet.
    language = getattr(request, "LANGUAGE_CODE", None)
    chosen = settings.LANGUAGE_COOKIE_NAME in getattr(request, "COOKIES", {})
    if language and (chosen or not user.language):
        remember_language(user=user, language=language)


@receiver(post_save, sender=User, dispatch_uid="profiles_verify_new_superuser")
def verify_new_superuser(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    if created and instance.is_superuser and not kwargs.get("raw"):
        verify_superuser_address(user=instance)
