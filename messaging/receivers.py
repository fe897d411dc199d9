"""Open sockets end with the session: logout, password change and deactivation close them.

The HTTP side ends sessions by itself (logout flushes one, a password change invalidates the
others, an inactive user is signed in nowhere); these receivers tell the open WebSockets too.
"""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from messaging import events


@receiver(user_logged_out, dispatch_uid="messaging_end_sockets_on_logout")
def end_sockets_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    session = getattr(request, "session", None)
    events.end_sessions(user.pk, session_key=getattr(session, "session_key", None))


@receiver(password_changed, dispatch_uid="messaging_end_sockets_on_password_changed")
@receiver(password_set, dispatch_uid="messaging_end_sockets_on_password_set")
@receiver(password_reset, dispatch_uid="messaging_end_sockets_on_password_reset")
def end_sockets_on_new_password(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    events.end_sessions(user.pk)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="messaging_end_deactivated")
def end_sockets_on_deactivation(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Whoever turns `is_active` off (the admin, a service, the shell) closes the sockets."""
    if not created and not instance.is_active:
        events.end_sessions(instance.pk)
