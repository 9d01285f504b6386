"""allauth adapter: where allauth meets our member model."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        # New members start in the language they were browsing in.
        language = translation.get_language_from_request(request)
        if language in dict(settings.LANGUAGES):
            user.locale = language
        return super().save_user(request, user, form, commit=commit)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Our mail templates (templates/account/email/) sign with the configured site name and address.
        context = {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL, **context}
        super().send_mail(template_prefix, email, context)

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Too many failed logins answer 429 Too Many Requests (our page), not just a form error."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as exc:
            if exc.code == "too_many_login_attempts" and request is not None:
                response = render(request, "account/rate_limited.html",
                                  {"reset_url": reverse("account_reset_password")}, status=429)
                raise ImmediateHttpResponse(response) from None
            raise

    def pre_login(self, request: HttpRequest, user, **kwargs: Any) -> HttpResponse | None:
        """A suspended member may not sign in until the suspension ends; they are told why and until when."""
        response = super().pre_login(request, user, **kwargs)
        if response is not None:
            return response
        if getattr(user, "is_suspended", None) and user.is_suspended():
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            until = formats.date_format(timezone.localtime(user.suspended_until), "DATETIME_FORMAT")
            message = _("Your account is suspended until %(until)s.") % {"until": until}
            if user.moderation_reason:
                message = _("%(message)s Reason: %(reason)s") % {"message": message,
                                                                  "reason": user.moderation_reason}
            messages.error(request, message)
            return redirect("account_login")
        return None
