"""Websocket routes of every app, gathered in one list for config.asgi."""

from django.urls import path

from community.live.consumers import LiveConsumer

websocket_urlpatterns: list = [
    # One endpoint for every stream (topic, list, member, event): see community.live.consumers.
    path("ws/", LiveConsumer.as_asgi()),
]
