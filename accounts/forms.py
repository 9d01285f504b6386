"""Forms of the accounts app."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SignupExtraForm(forms.Form):
    """Extra fields on allauth's signup form."""

    display_name = forms.CharField(label=_("Display name"), max_length=60, required=False)

    def signup(self, request, user) -> None:
        from accounts import actions

        name = self.cleaned_data.get("display_name") or ""
        if name:
            actions.profile_update(user=user, display_name=name)
