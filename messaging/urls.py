from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", views.read, name="read"),
    path("notifications/read-all/", views.read_all, name="read_all"),
    path("settings/notifications/", views.notification_settings, name="settings"),
]
