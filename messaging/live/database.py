"""The socket's database work: plain synchronous functions, run by the consumer in a thread
of DB_THREADS (`LiveConsumer._db`). Each is self-contained: its own connection from the pool,
its own transaction, access checked through `messaging.access` (a conversation or message the
user is not in raises Http404, the same as a missing id), state changed through the services
in `messaging.services.conversations`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user, get_user_model
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.utils.module_loading import import_string

from messaging import access
from messaging.models import Conversation, Notification
from messaging.services import conversations

# The sockets' database work runs in a few threads of its own, so that one socket's queries
# and commits do not queue behind another's (Channels' default is one thread per process).
# SQLite (the embedded default) gets one thread: it has a single writer anyway.
DB_THREADS = ThreadPoolExecutor(
    max_workers=4 if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else 1,
    thread_name_prefix="socket-db",
)

Unread = dict[int, tuple[int, int]]  # conversations.unread_state


def signed_in_user(user_id: int, session_key: str | None) -> Any:
    """The user, if the socket's session still signs them in, else None.

    Django's own check, as for a page request (`django.contrib.auth.get_user` on the stored
    session): the session exists and has not expired, the account is active, and the
    password has not changed since the session was made (such a session is flushed).
    """
    if not session_key:
        return None
    store: type[SessionBase] = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    request = HttpRequest()
    request.session = store(session_key)
    # get_user() may write the session: it flushes one whose password hash no longer matches
    # (what a page request does too), and with SECRET_KEY_FALLBACKS set it would cycle the
    # session key, which a socket cannot send to the browser: before setting fallbacks, give
    # this request a store whose cycle_key() keeps the key.
    user = get_user(request)
    if not user.is_authenticated or user.pk != user_id:
        return None
    return user


def starting_state(user_id: int) -> tuple[Any, list[int], Unread, int]:
    """The user (None if no longer active), their conversations, unread state and count of
    unread notifications: what a socket sends after connecting."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None, [], {}, 0
    ids = list(Conversation.objects.of_user(user).order_by("pk").values_list("pk", flat=True))
    return user, ids, conversations.unread_state(user=user), unread_notifications(user)


def send(user: Any, frame: dict[str, Any]) -> tuple[int, bool]:
    conversation = access.get_conversation_for_participant(user, frame["conversation"])
    message, created = conversations.send_message(
        sender=user, conversation=conversation, body=frame["body"], client_id=frame["client_id"]
    )
    return message.pk, created


def edit(user: Any, frame: dict[str, Any]) -> None:
    message = access.get_message_for_participant(user, frame["message"])
    conversations.edit_message(user=user, message=message, body=frame["body"])


def delete(user: Any, frame: dict[str, Any]) -> None:
    message = access.get_message_for_participant(user, frame["message"])
    conversations.delete_message(user=user, message=message)


def read(user: Any, frame: dict[str, Any]) -> None:
    conversation = access.get_conversation_for_participant(user, frame["conversation"])
    conversations.mark_read(user=user, conversation=conversation, up_to_id=frame["up_to"])


def may_type(user: Any, frame: dict[str, Any]) -> None:
    conversation = access.get_conversation_for_participant(user, frame["conversation"])
    conversations.check_writable(conversation)


def unread(user: Any) -> Unread:
    return conversations.unread_state(user=user)


def unread_notifications(user: Any) -> int:
    return Notification.objects.filter(user=user).unread().count()
