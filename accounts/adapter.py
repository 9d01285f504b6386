"""allauth adapter: where allauth meets our member model."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        # New members start in the language they were browsing in.
        language = translation.get_language_from_request(request)
        if language in dict(settings.LANGUAGES):
            user.locale = language
        return super().save_user(request, user, form, commit=commit)
