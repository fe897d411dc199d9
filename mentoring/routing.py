"""WebSocket routes: one socket per browser tab at /ws/ (messaging/live/)."""

from django.urls import URLPattern, path

from messaging.live import LiveConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/", LiveConsumer.as_asgi()),
]
