from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", views.read, name="read"),
    path("notifications/read-all/", views.read_all, name="read_all"),
    path("settings/notifications/", views.notification_settings, name="settings"),
    path("conversations/", views.conversation_list, name="conversations"),
    path("conversations/<int:pk>/", views.conversation, name="conversation"),
    path("conversations/<int:pk>/row/", views.conversation_row, name="row"),
    path("conversations/<int:pk>/send/", views.send, name="send"),
    path("conversations/<int:pk>/messages.json", views.history_json, name="history_json"),
    path("conversations/<int:pk>/messages/<int:message_pk>/edit/", views.edit, name="edit"),
    path("conversations/<int:pk>/messages/<int:message_pk>/delete/", views.delete, name="delete"),
    path(
        "conversations/<int:pk>/messages/<int:message_pk>/report/",
        views.report_message,
        name="report_message",
    ),
    path("people/<int:user_id>/block/", views.block, name="block"),
    path("people/<int:user_id>/unblock/", views.unblock, name="unblock"),
]
