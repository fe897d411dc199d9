from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mentoring.http import int_param, safe_next
from mentoring.types import AuthedRequest
from messaging import events, services
from messaging.access import (
    get_conversation_for_participant,
    get_message_for_participant,
    get_person_for_user,
)
from messaging.forms import (
    EditMessageForm,
    MessageForm,
    NotificationSettingsForm,
    ReportForm,
)
from messaging.models import Block, Conversation, Message, Notification, Participant
from messaging.services import conversations, reports
from messaging.services.conversations import MessagingError


@login_required
def notifications(request: AuthedRequest) -> HttpResponse:
    items = Notification.objects.filter(user=request.user)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(request, "messaging/notifications.html", {"page": page})


@login_required
@require_POST
def read(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark one notification read and follow its link."""
    notification = Notification.objects.filter(user=request.user, pk=pk).first()
    if notification is None:
        raise Http404("No such notification.")
    services.mark_notifications_read(user=request.user, notification_id=pk)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("messaging:notifications")


@login_required
@require_POST
def read_all(request: AuthedRequest) -> HttpResponse:
    services.mark_notifications_read(user=request.user)
    messages.success(request, _("All notifications are marked as read."))
    return redirect("messaging:notifications")


@login_required
def notification_settings(request: AuthedRequest) -> HttpResponse:
    form = NotificationSettingsForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your notification settings are saved."))
        return redirect("messaging:settings")
    return render(request, "messaging/settings.html", {"form": form})


# --- Conversations ------------------------------------------------------------------------

CONVERSATIONS_PER_PAGE = 30
HISTORY_PAGE = 50
# Messages of one sender less than this many seconds apart show as one group (one name and
# photo); chat.js gets it for the messages that arrive live.
GROUP_GAP = 600


@dataclass(frozen=True)
class ConversationRow:
    conversation: Conversation
    others: list[Participant]
    unread: int
    last: Message | None


def _others(user: Any) -> Prefetch[Any]:
    """The other active participants of each conversation, as `conversation.others`."""
    return Prefetch(
        "participants",
        queryset=Participant.objects.filter(left_at__isnull=True)
        .exclude(user=user)
        .select_related("user__profile")
        .order_by("user__display_name", "pk"),
        to_attr="others",
    )


def _listed(user: Any) -> QuerySet[Conversation]:
    """The user's conversations as the list shows them: latest activity first, with the id
    of the latest message (`last_id`) and the other participants."""
    latest = Message.objects.filter(conversation=OuterRef("pk")).order_by("-pk").values("pk")[:1]
    return (
        Conversation.objects.of_user(user)
        .annotate(activity=Coalesce("last_message_at", "created_at"), last_id=Subquery(latest))
        .order_by("-activity", "-pk")
        .prefetch_related(_others(user))
    )


def _rows(user: Any, items: Iterable[Conversation]) -> list[ConversationRow]:
    """The rows of `items`: with their unread counts and latest messages (two queries)."""
    items = list(items)
    unread = conversations.unread_counts(user=user)
    last_ids = [item.last_id for item in items if item.last_id]  # type: ignore[attr-defined]
    latest = Message.objects.select_related("sender").in_bulk(last_ids) if last_ids else {}
    return [
        ConversationRow(
            item,
            getattr(item, "others", []),
            unread.get(item.pk, 0),
            latest.get(item.last_id),  # type: ignore[attr-defined]
        )
        for item in items
    ]


@login_required
def conversation_list(request: AuthedRequest) -> HttpResponse:
    page = Paginator(_listed(request.user), CONVERSATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = _rows(request.user, page)
    return render(request, "messaging/conversations.html", {"page": page, "rows": rows})


@login_required
@require_GET
def conversation_row(request: AuthedRequest, pk: int) -> HttpResponse:
    """One row of the list, as the list page shows it (chat.js puts it on top of the list
    when a conversation it does not show yet gets a message)."""
    get_conversation_for_participant(request.user, pk)
    item = _listed(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404("No such conversation.")
    (row,) = _rows(request.user, [item])
    # Without the request's context processors: a fragment has no navigation to count for.
    html = render_to_string("messaging/conversations.html#row", {"row": row, "user": request.user})
    return HttpResponse(html)


def _message_context(conversation: Conversation) -> dict[str, Any]:
    """What the message partial needs besides the messages: until when messages can change
    (chat.js gets the window, for the messages that arrive live), and how long an edited one
    may be."""
    window = datetime.timedelta(seconds=settings.MESSAGE_EDIT_WINDOW)
    return {
        "conversation": conversation,
        "edit_window": settings.MESSAGE_EDIT_WINDOW,
        "editable_since": timezone.now() - window,
        "read_only": conversation.is_read_only,
        "body_max_length": Message._meta.get_field("body").max_length,
    }


def _write_refusal(
    user: Any, conversation: Conversation, other: Any
) -> tuple[str | Promise | None, bool]:
    """Why the user cannot write here (None if they can), and whether they blocked `other`."""
    if conversation.is_read_only:
        return (
            _(
                "This conversation is read-only: the pilot or group it belongs to has closed, "
                "or someone has left it. You can still read it."
            ),
            False,
        )
    if other is None:
        return None, False
    blockers = set(Block.objects.between(user, other).values_list("blocker_id", flat=True))
    if user.pk in blockers:
        return _("You have blocked this person. Unblock them to write again."), True
    if blockers:
        return _("You cannot write to this person."), False
    return None, False


def _arrange(messages: list[Message], *, viewer_id: int, last_read_id: int | None) -> None:
    """Mark each message with where it stands among those shown (the message partial reads
    these): `day_start` (the first of its day: a day heading), `continued` (the same sender as
    the message before, soon after it: no name and photo again) and `first_unread` (the "new
    messages" divider: the first one from someone else after what the viewer had read)."""
    gap = datetime.timedelta(seconds=GROUP_GAP)
    previous: Message | None = None
    divider_placed = last_read_id is None
    for message in messages:
        day = timezone.localdate(message.created_at)
        first_unread = (
            not divider_placed
            and message.pk > (last_read_id or 0)
            and message.sender_id != viewer_id
        )
        divider_placed = divider_placed or first_unread
        message.day_start = previous is None or timezone.localdate(previous.created_at) != day  # type: ignore[attr-defined]
        message.first_unread = first_unread  # type: ignore[attr-defined]
        message.continued = (  # type: ignore[attr-defined]
            previous is not None
            and not message.day_start  # type: ignore[attr-defined]
            and not first_unread
            and message.sender_id is not None
            and message.sender_id == previous.sender_id
            and message.created_at - previous.created_at < gap
        )
        previous = message


def _conversation_page(
    request: AuthedRequest,
    conversation: Conversation,
    form: MessageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    before = int_param(request.GET.get("before"))
    shown = conversations.history(
        conversation=conversation, before_id=before, limit=HISTORY_PAGE + 1
    )
    has_older = len(shown) > HISTORY_PAGE
    shown = shown[-HISTORY_PAGE:]
    others = list(
        Participant.objects.filter(conversation=conversation, left_at__isnull=True)
        .exclude(user=request.user)
        .select_related("user")
        .order_by("user__display_name", "pk")
    )
    is_direct = conversation.kind == Conversation.Kind.DIRECT
    other = others[0].user if is_direct and others else None
    last_read_id = (
        Participant.objects.filter(conversation=conversation, user=request.user)
        .values_list("last_read_id", flat=True)
        .first()
    ) or 0
    if shown and before is None:
        conversations.mark_read(user=request.user, conversation=conversation, up_to_id=shown[-1].pk)
    # The divider marks what was new before this visit; not on a page of older messages.
    _arrange(
        shown, viewer_id=request.user.pk, last_read_id=last_read_id if before is None else None
    )
    refusal, blocked_by_me = _write_refusal(request.user, conversation, other)
    context = {
        **_message_context(conversation),
        "chat_messages": shown,
        "has_older": has_older,
        "viewing_older": before is not None,
        "others": others,
        "other": other,
        "is_direct": is_direct,
        "is_pair": conversation.kind == Conversation.Kind.PAIR,
        "write_refusal": refusal,
        "blocked_by_me": blocked_by_me,
        "form": form or MessageForm(),
        "group_gap": GROUP_GAP,
    }
    return render(request, "messaging/conversation.html", context, status=status)


@login_required
def conversation(request: AuthedRequest, pk: int) -> HttpResponse:
    return _conversation_page(request, get_conversation_for_participant(request.user, pk))


@login_required
@require_POST
def send(request: AuthedRequest, pk: int) -> HttpResponse:
    item = get_conversation_for_participant(request.user, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            message, _created = conversations.send_message(
                sender=request.user,
                conversation=item,
                body=form.cleaned_data["body"],
                client_id=form.cleaned_data["client_id"],
            )
        except MessagingError as refused:
            form.add_error(None, str(refused.message))
        else:
            return redirect(f"{item.get_absolute_url()}#message-{message.pk}")
    return _conversation_page(request, item, form, status=400)


@login_required
@require_GET
def history_json(request: AuthedRequest, pk: int) -> HttpResponse:
    """The payloads of "message.new", each with its markup in the page's language, oldest
    first: what came after `after` (a reconnecting client resyncs), at most 50, or the page
    of 50 before `before` (scrolling up loads older ones) and whether there is more."""
    item = get_conversation_for_participant(request.user, pk)
    read_only = item.is_read_only
    if "before" in request.GET:
        before = int_param(request.GET["before"])
        if before is None:
            return JsonResponse({"error": "before must be a message id"}, status=400)
        older = conversations.history(conversation=item, before_id=before, limit=HISTORY_PAGE + 1)
        return JsonResponse(
            {
                "messages": [
                    events.message_payload(m, read_only=read_only) for m in older[-HISTORY_PAGE:]
                ],
                "has_older": len(older) > HISTORY_PAGE,
            }
        )
    after = int_param(request.GET.get("after", "0"))
    if after is None:
        return JsonResponse({"error": "after must be a message id"}, status=400)
    shown = conversations.history(conversation=item, after_id=after, limit=HISTORY_PAGE)
    last_read_id = (
        Participant.objects.filter(conversation=item, user=request.user)
        .values_list("last_read_id", flat=True)
        .first()
    ) or 0
    return JsonResponse(
        {
            "messages": [events.message_payload(m, read_only=read_only) for m in shown],
            "last_read_id": last_read_id,
        }
    )


def _message_in(user: Any, pk: int, message_pk: int) -> Message:
    message = get_message_for_participant(user, message_pk)
    if message.conversation_id != pk:
        raise Http404("No such message.")
    return message


@login_required
def edit(request: AuthedRequest, pk: int, message_pk: int) -> HttpResponse:
    message = _message_in(request.user, pk, message_pk)
    back = f"{message.conversation.get_absolute_url()}#message-{message.pk}"
    try:
        conversations.check_may_change(user=request.user, message=message)
    except MessagingError as refused:
        messages.error(request, str(refused.message))
        return redirect(back)
    form = EditMessageForm(request.POST or None, initial={"body": message.body})
    if request.method == "POST" and form.is_valid():
        try:
            conversations.edit_message(
                user=request.user, message=message, body=form.cleaned_data["body"]
            )
        except MessagingError as refused:
            messages.error(request, str(refused.message))
        return redirect(back)
    status = 400 if request.method == "POST" else 200
    return render(request, "messaging/edit.html", {"form": form, "message": message}, status=status)


@login_required
def delete(request: AuthedRequest, pk: int, message_pk: int) -> HttpResponse:
    """Asks first (a page of its own, so it works without JavaScript), deletes on POST."""
    message = _message_in(request.user, pk, message_pk)
    back = f"{message.conversation.get_absolute_url()}#message-{message.pk}"
    try:
        conversations.check_may_change(user=request.user, message=message)
    except MessagingError as refused:
        messages.error(request, str(refused.message))
        return redirect(back)
    if request.method != "POST":
        return render(request, "messaging/delete.html", {"message": message, "back": back})
    try:
        conversations.delete_message(user=request.user, message=message)
    except MessagingError as refused:
        messages.error(request, str(refused.message))
    else:
        messages.success(request, _("Your message is deleted."))
    return redirect(back)


@login_required
@require_POST
def block(request: AuthedRequest, user_id: int) -> HttpResponse:
    person = get_person_for_user(request.user, user_id)
    try:
        conversations.block(blocker=request.user, blocked=person)
    except MessagingError as refused:
        messages.error(request, str(refused.message))
    else:
        messages.success(
            request,
            _("You have blocked %(name)s. They cannot write to you any more.")
            % {"name": person.display_name},
        )
    return redirect(safe_next(request, reverse("messaging:conversations")))


@login_required
@require_POST
def unblock(request: AuthedRequest, user_id: int) -> HttpResponse:
    person = get_person_for_user(request.user, user_id)
    conversations.unblock(blocker=request.user, blocked=person)
    messages.success(request, _("You have unblocked %(name)s.") % {"name": person.display_name})
    return redirect(safe_next(request, reverse("messaging:conversations")))


def report_page(
    request: AuthedRequest,
    *,
    person: Any,
    message: Message | None,
    context: str,
    back: str,
    conversation_id: int | None = None,
) -> HttpResponse:
    """The report form about `person` (and `message`), filed under `context`."""
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reports.report(
            reporter=request.user,
            reported_user=person,
            message=message,
            reason=form.cleaned_data["reason"],
            details=form.cleaned_data["details"],
            context=context,
        )
        messages.success(
            request, _("Thank you. The staff of your pilot will look into your report.")
        )
        return redirect(back)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "messaging/report.html",
        {
            "form": form,
            "person": person,
            "reported_message": message,
            "back": back,
            "conversation_id": conversation_id,
        },
        status=status,
    )


@login_required
def report_message(request: AuthedRequest, pk: int, message_pk: int) -> HttpResponse:
    message = _message_in(request.user, pk, message_pk)
    if message.sender is None or message.sender_id == request.user.pk:
        raise Http404("No such message.")
    back = f"{message.conversation.get_absolute_url()}#message-{message.pk}"
    return report_page(
        request,
        person=message.sender,
        message=message,
        context=message.conversation.context,
        back=back,
    )
