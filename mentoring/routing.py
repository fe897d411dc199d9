"""WebSocket routes. The one consumer at /ws/ arrives with the messaging app."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
