"""Thin views of the accounts app: parse, call one action or selector, render."""

from __future__ import annotations

import json

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import actions, selectors
from accounts.errors import AccountError
from accounts.forms import AvatarForm, DeleteAccountForm, PreferencesForm, ProfileForm
from accounts.models import User


def profile(request: HttpRequest, handle: str) -> HttpResponse:
    member = get_object_or_404(User.objects.active(), handle__iexact=handle)
    return render(request, "accounts/profile.html", {"member": member, **selectors.profile_sections(member)})


def profile_by_id(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User.objects.active(), pk=pk)
    return render(request, "accounts/profile.html", {"member": member, **selectors.profile_sections(member)})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    context = {"member": request.user, "section": "account", **selectors.account_overview(request.user)}
    return render(request, "accounts/account.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm.for_member(user, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.profile_update(user=user, **form.cleaned_data)
        except AccountError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile_edit")
    status = 400 if form.errors else 200
    return render(request, "accounts/profile_edit.html",
                  {"form": form, "avatar_form": AvatarForm(), "member": user, "section": "profile"}, status=status)


@login_required
@require_POST
def avatar(request: HttpRequest) -> HttpResponse:
    user = request.user
    if "remove" in request.POST:
        actions.avatar_remove(user=user)
        messages.success(request, _("Your picture has been removed."))
        return redirect("accounts:profile_edit")
    avatar_form = AvatarForm(request.POST, request.FILES)
    if avatar_form.is_valid():
        try:
            actions.avatar_set(user=user, upload=avatar_form.cleaned_data["avatar"])
        except AccountError as exc:
            avatar_form.add_error("avatar", exc)
        else:
            messages.success(request, _("Your new picture has been saved."))
            return redirect("accounts:profile_edit")
    user.refresh_from_db(fields=["avatar"])
    return render(request, "accounts/profile_edit.html",
                  {"form": ProfileForm.for_member(user), "avatar_form": avatar_form, "member": user,
                   "section": "profile"}, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm.for_member(
        choices=selectors.notification_choices(user), member_settings=selectors.member_settings(user),
        data=request.POST if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.preferences_update(
                user=user, deliveries=form.deliveries(), digest_frequency=form.cleaned_data["digest_frequency"],
                newsletter_opt_in=form.cleaned_data["newsletter_opt_in"],
                show_in_attendee_lists=form.cleaned_data["show_in_attendee_lists"],
            )
        except AccountError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your preferences have been saved."))
            return redirect("accounts:preferences")
    status = 400 if form.errors else 200
    return render(request, "accounts/preferences.html", {"form": form, "section": "preferences"}, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def export(request: HttpRequest) -> HttpResponse:
    """GET explains; POST downloads everything as one JSON file."""
    if request.method == "GET":
        return render(request, "accounts/export.html", {"section": "export"})
    document = actions.data_export(user=request.user)
    body = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"community-data-{request.user.pk}-{timezone.now():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = DeleteAccountForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST":
        # Guessing the password through this form is limited like any other re-authentication.
        limited = ratelimit.consume_or_429(request, action="reauthenticate", user=user)
        if limited:
            return limited
        if form.is_valid():
            try:
                actions.account_delete(user=user, password=form.cleaned_data["password"])
            except AccountError as exc:
                form.add_error(None, exc)
            else:
                get_adapter(request).logout(request)
                messages.success(request, _("Your account has been deleted. Thank you for having been part of "
                                            "the community."))
                return redirect("/")
    status = 400 if form.errors else 200
    return render(request, "accounts/delete.html", {"form": form, "section": "delete"}, status=status)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, and for a member also remember the choice on the account."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        actions.language_set(user=request.user, locale=language)
    return i18n.set_language(request)
