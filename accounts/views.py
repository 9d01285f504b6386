"""Thin views of the accounts app."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views import i18n
from django.views.decorators.http import require_POST

from accounts.models import User


def profile(request: HttpRequest, handle: str) -> HttpResponse:
    member = get_object_or_404(User.objects.active(), handle__iexact=handle)
    return render(request, "accounts/profile.html", {"member": member})


def profile_by_id(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User.objects.active(), pk=pk)
    return render(request, "accounts/profile.html", {"member": member})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/account.html", {"member": request.user})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, and for a member also remember the choice on the account."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        User.objects.filter(pk=request.user.pk).update(locale=language)
    return i18n.set_language(request)
