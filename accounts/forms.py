"""Forms of the accounts app: they parse; the actions in accounts.actions decide and write."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from accounts.models import TIME_ZONE_CHOICES, Delivery, DigestFrequency, User
from accounts.preferences import KINDS
from accounts.validation import clean_display_name


class SignupExtraForm(forms.Form):
    """Extra fields on allauth's signup form."""

    display_name = forms.CharField(
        label=_("Display name"), max_length=60, required=False,
        help_text=_("How other members see you. You can change it later."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )

    def clean_display_name(self) -> str:
        return clean_display_name(self.cleaned_data.get("display_name") or "")

    def signup(self, request, user) -> None:
        from accounts import actions

        name = self.cleaned_data.get("display_name") or ""
        if name:
            actions.profile_update(user=user, display_name=name)
        actions.handle_assign_default(user=user)


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"), max_length=60, required=False,
        help_text=_("How other members see you. Up to 60 characters."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    handle = forms.CharField(
        label=_("Handle"), max_length=31, required=False,
        help_text=_("Your @name for mentions and your profile address: 2 to 30 letters a-z, digits and "
                    "underscores."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false", "autocomplete": "username"}),
    )
    bio = forms.CharField(
        label=_("About you"), required=False, max_length=User._meta.get_field("bio").max_length,
        help_text=_("Shown on your profile. Markdown is allowed."),
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    locale = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES,
                                  help_text=_("Times on the site are shown in this zone."))

    def clean_display_name(self) -> str:
        return clean_display_name(self.cleaned_data.get("display_name") or "")

    @classmethod
    def for_member(cls, user: User, data=None) -> ProfileForm:
        initial = {"display_name": user.display_name, "handle": user.handle or "", "bio": user.bio,
                   "locale": user.locale, "time_zone": user.time_zone}
        return cls(data=data, initial=initial)


class AvatarForm(forms.Form):
    # A plain FileField: accounts.avatars does all checking of the image itself (Django's ImageField would
    # decode it with Pillow's defaults first).
    avatar = forms.FileField(
        label=_("New picture"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["avatar"].help_text = _(
            "PNG, JPEG, GIF or WebP, at most %(size)s. It is cropped to a square."
        ) % {"size": filesizeformat(settings.AVATAR_MAX_BYTES)}


class PreferencesForm(forms.Form):
    """One choice per notification kind, plus the general settings."""

    digest_frequency = forms.ChoiceField(label=_("Digest"), choices=DigestFrequency.choices,
                                         help_text=_("How often we send you the digest."))
    newsletter_opt_in = forms.BooleanField(label=_("Send me the newsletter"), required=False)
    show_in_attendee_lists = forms.BooleanField(label=_("Show my name in event attendee lists"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind_fields = []
        for kind in KINDS:
            name = f"kind_{kind.key}"
            self.fields[name] = forms.ChoiceField(
                label=kind.label, choices=Delivery.choices, widget=forms.RadioSelect, initial=kind.default
            )
            self.kind_fields.append(name)

    def kind_boundfields(self):
        return [self[name] for name in self.kind_fields]

    def general_boundfields(self):
        return [self["digest_frequency"], self["newsletter_opt_in"], self["show_in_attendee_lists"]]

    @property
    def delivery_choices(self):
        return Delivery.choices

    def deliveries(self) -> dict[str, str]:
        return {name.removeprefix("kind_"): self.cleaned_data[name] for name in self.kind_fields}

    @classmethod
    def for_member(cls, *, choices: list[tuple], member_settings, data=None) -> PreferencesForm:
        initial = {f"kind_{kind.key}": delivery for kind, delivery in choices}
        initial.update(
            digest_frequency=member_settings.digest_frequency,
            newsletter_opt_in=member_settings.newsletter_opt_in,
            show_in_attendee_lists=member_settings.show_in_attendee_lists,
        )
        return cls(data=data, initial=initial)


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your current password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my personal data will be erased and that this cannot be undone."),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not user.has_usable_password():
            field = self.fields["password"]
            field.label = _("Your email address")
            field.help_text = _("Your account has no password; type your email address to confirm.")
            field.widget = forms.EmailInput(attrs={"autocomplete": "email"})

    def clean_password(self) -> str:
        value = self.cleaned_data.get("password") or ""
        if not value:
            raise ValidationError(_("Please enter your current password."))
        return value
