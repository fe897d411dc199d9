"""WebSocket routes: one socket per browser tab at /ws/ (messaging/consumers.py)."""

from django.urls import URLPattern, path

from messaging.consumers import LiveConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/", LiveConsumer.as_asgi()),
]
