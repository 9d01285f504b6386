"""Websocket routes of every app, gathered in one list for config.asgi."""

from django.urls import path

websocket_urlpatterns: list = [
    # Filled in by community.realtime consumers (topic, list and member streams).
]
