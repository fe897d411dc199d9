"""Frames from the client: checked before they are parsed, then for their shape and types.

Client -> server (at most 16 KB, a JSON object nested at most 4 deep, a known "type"):
    {"type": "send", "conversation": <id>, "body": <str>, "client_id": <uuid>}
    {"type": "edit", "message": <id>, "body": <str>}
    {"type": "delete", "message": <id>}
    {"type": "read", "conversation": <id>, "up_to": <message id>}
    {"type": "typing", "conversation": <id>}      (at most one per 2 s and conversation)
    {"type": "ping"}
A refused frame raises FrameError, which the consumer answers with an error frame.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from messaging.forms import body_field

FRAME_MAX_BYTES = 16 * 1024
FRAME_MAX_DEPTH = 4
MAX_ID = 2**63 - 1  # PostgreSQL bigint


@dataclass
class FrameError(Exception):
    """A frame refused before it reached a service."""

    code: str
    message: str | Promise
    ref: str | None = None


NOT_FOUND = _("No such conversation or message.")

BODY_FIELD = body_field()

# Fields of each frame type: "id" a positive integer, "marker" zero or more, "text" a message
# body, "uuid" a client id. Fields that are not listed are ignored.
FRAMES: dict[str, dict[str, str]] = {
    "send": {"conversation": "id", "body": "text", "client_id": "uuid"},
    "edit": {"message": "id", "body": "text"},
    "delete": {"message": "id"},
    "read": {"conversation": "id", "up_to": "marker"},
    "typing": {"conversation": "id"},
    "ping": {},
}


def nested_deeper_than(text: str, limit: int) -> bool:
    """Whether JSON text nests arrays and objects deeper than `limit`, found without parsing
    (json.loads recurses per level). Brackets inside strings do not count."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _client_ref(content: dict[str, Any]) -> str | None:
    """The client id to name in an error frame, when the frame carried a valid one."""
    value = content.get("client_id")
    if isinstance(value, str) and len(value) <= 64:
        with contextlib.suppress(ValueError):
            return str(uuid.UUID(value))
    return None


def parse_frame(text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
    """A validated frame: a dict with a known "type" and its fields, cleaned. Raises FrameError."""
    if text_data is None:
        raise FrameError("binary", _("Send text frames with JSON, not binary ones."))
    if (
        len(text_data) > FRAME_MAX_BYTES
        or len(text_data.encode("utf-8", "surrogatepass")) > FRAME_MAX_BYTES
    ):
        raise FrameError("too_large", _("This frame is too large."))
    if nested_deeper_than(text_data, FRAME_MAX_DEPTH):
        raise FrameError("too_deep", _("This frame is nested too deeply."))
    try:
        content = json.loads(text_data)
    except (ValueError, RecursionError):  # also integers over the int-parse limit
        raise FrameError("invalid_json", _("This frame is not valid JSON.")) from None
    if not isinstance(content, dict):
        raise FrameError("invalid", _("A frame must be a JSON object."))
    ref = _client_ref(content)
    kind = content.get("type")
    if not isinstance(kind, str) or kind not in FRAMES:
        raise FrameError("unknown_type", _("Unknown frame type."), ref)
    frame: dict[str, Any] = {"type": kind, "ref": ref}
    for name, field in FRAMES[kind].items():
        frame[name] = _clean_field(content.get(name), field, name, ref)
    return frame


def _clean_field(value: Any, field: str, name: str, ref: str | None) -> Any:
    wrong = FrameError(
        "invalid",
        _("The field “%(field)s” is missing or has the wrong type.") % {"field": name},
        ref,
    )
    if field in ("id", "marker"):
        minimum = 1 if field == "id" else 0
        if type(value) is not int or not minimum <= value <= MAX_ID:
            raise wrong
        return value
    if field == "uuid":
        if not isinstance(value, str) or ref is None:
            raise wrong
        return uuid.UUID(ref)
    # A message body, as the message forms clean it: required, length, clean text.
    if not isinstance(value, str):
        raise wrong
    try:
        return BODY_FIELD.clean(value)
    except ValidationError as error:
        raise FrameError("invalid", " ".join(str(m) for m in error.messages), ref) from None


def page_language(scope: dict[str, Any]) -> str:
    """The language the page chose (cookie, then Accept-Language), as LocaleMiddleware picks
    it for the page: error frames and rendered messages speak it."""
    headers = dict(scope.get("headers") or [])
    request = SimpleNamespace(
        COOKIES=scope.get("cookies") or {},
        META={"HTTP_ACCEPT_LANGUAGE": headers.get(b"accept-language", b"").decode("latin-1")},
    )
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE  # type: ignore[arg-type]
