"""allauth's strings that appear on our pages, listed so `makemessages` puts them in our catalogues.

django-allauth ships no Swahili or Armenian translation. Listing its msgids here (identical text, and the same
context where allauth uses one) extracts them into locale/*/LC_MESSAGES/django.po; LOCALE_PATHS come first when
Django merges catalogues, so our translations are used for allauth's forms, errors, messages and emails.

Generated from django-allauth 65.21.1 (`makemessages` over its package, entries referenced from
account/forms.py, account/fields.py, account/adapter.py, templates/account/messages/ and the account emails our
templates/account/email/ does not override); phone, passkey and MFA strings are left out (not enabled here).
DJANGO_STRINGS holds the few Django strings members see (password rules, length errors, "3 days") that Django's
Swahili or Armenian catalogues lack or its Latvian catalogue gets wrong. After upgrading allauth or Django, compare
with their catalogues and update these lists. Nothing needs to import this module; the values are the msgids.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy

ALLAUTH_STRINGS = (
    # --- Form labels, placeholders and help (allauth/account/forms.py, fields.py)
    gettext_noop("Email"),  # account/fields.py, account/forms.py
    gettext_noop("Email address"),  # account/fields.py
    gettext_noop("Forgot your password?"),  # account/fields.py
    gettext_noop("You must type the same password each time."),  # account/forms.py
    gettext_noop("Password"),  # account/forms.py
    gettext_noop("Remember Me"),  # account/forms.py
    gettext_noop("Username"),  # account/forms.py
    pgettext_lazy("field label", "Login"),  # account/forms.py
    gettext_noop("Username or email"),  # account/forms.py
    gettext_noop("Email (again)"),  # account/forms.py
    gettext_noop("Email address confirmation"),  # account/forms.py
    gettext_noop("Email (optional)"),  # account/forms.py
    gettext_noop("Username (optional)"),  # account/forms.py
    gettext_noop("You must type the same email each time."),  # account/forms.py
    gettext_noop("Password (again)"),  # account/forms.py
    gettext_noop("Current Password"),  # account/forms.py
    gettext_noop("New Password"),  # account/forms.py
    gettext_noop("New Password (again)"),  # account/forms.py
    gettext_noop("Code"),  # account/forms.py
    # --- Error messages (allauth/account/adapter.py)
    gettext_noop("This account is currently inactive."),  # account/adapter.py
    gettext_noop("You cannot remove your primary email address."),  # account/adapter.py
    gettext_noop("This email address is already associated with this account."),  # account/adapter.py
    gettext_noop("The email address and/or password you specified are not correct."),  # account/adapter.py
    gettext_noop("A user is already registered with this email address."),  # account/adapter.py
    gettext_noop("Please type your current password."),  # account/adapter.py
    gettext_noop("Incorrect code."),  # account/adapter.py
    gettext_noop("Incorrect password."),  # account/adapter.py
    gettext_noop("Invalid or expired key."),  # account/adapter.py
    gettext_noop("Invalid login."),  # account/adapter.py
    gettext_noop("The password reset token was invalid."),  # account/adapter.py
    gettext_noop("You cannot add more than %d email addresses."),  # account/adapter.py
    gettext_noop("Too many failed login attempts. Try again later."),  # account/adapter.py
    gettext_noop("The email address is not assigned to any user account."),  # account/adapter.py
    gettext_noop("Your primary email address must be verified."),  # account/adapter.py, messages/unverified_primary_email.txt
    gettext_noop("Username can not be used. Please use other username."),  # account/adapter.py
    gettext_noop("The username and/or password you specified are not correct."),  # account/adapter.py
    gettext_noop("Please select only one."),  # account/adapter.py
    gettext_noop("The new value must be different from the current one."),  # account/adapter.py
    gettext_noop("Be patient, you are sending too many requests."),  # account/adapter.py
    # --- Flash messages (allauth/templates/account/messages/*.txt)
    gettext_noop("Unable to confirm %(email)s because it is already confirmed by a different account."),  # email_confirm.html, messages/email_confirmation_failed.txt
    gettext_noop("You cannot remove your primary email address (%(email)s)."),  # messages/cannot_delete_primary_email.txt
    gettext_noop("Confirmation email sent to %(email)s."),  # messages/email_confirmation_sent.txt
    gettext_noop("You have confirmed %(email)s."),  # messages/email_confirmed.txt
    gettext_noop("Removed email address %(email)s."),  # messages/email_deleted.txt
    gettext_noop("Successfully signed in as %(name)s."),  # messages/logged_in.txt
    gettext_noop("You have signed out."),  # messages/logged_out.txt
    gettext_noop("A sign-in code has been sent to %(recipient)s."),  # messages/login_code_sent.txt
    gettext_noop("Password successfully changed."),  # messages/password_changed.txt
    gettext_noop("Password successfully set."),  # messages/password_set.txt
    gettext_noop("Primary email address set."),  # messages/primary_email_set.txt
    # --- Emails we do not override (allauth/templates/account/email/: password reset, unknown account, account already exists)
    gettext_noop("You are receiving this email because you or someone else tried to signup for an\naccount using email address:\n\n%(email)s\n\nHowever, an account using that email address already exists.  In case you have\nforgotten about this, please use the password forgotten procedure to recover\nyour account:\n\n%(password_reset_url)s"),  # email/account_already_exists_message.txt
    gettext_noop("Account Already Exists"),  # email/account_already_exists_subject.txt
    gettext_noop("This mail can be safely ignored if you did not initiate this action."),  # email/login_code_message.txt, email/password_reset_code_message.txt, email/unknown_account_message.txt
    gettext_noop("You're receiving this email because you or someone else has requested a password reset for your user account.\nIt can be safely ignored if you did not request a password reset. Click the link below to reset your password."),  # email/password_reset_key_message.txt
    gettext_noop("In case you forgot, your username is %(username)s."),  # email/password_reset_key_message.txt
    gettext_noop("Password Reset Email"),  # email/password_reset_key_subject.txt
    gettext_noop("You are receiving this email because you, or someone else, tried to access an account with email %(email)s. However, we do not have any record of such an account in our database."),  # email/unknown_account_message.txt
    gettext_noop("If it was you, you can sign up for an account using the link below."),  # email/unknown_account_message.txt
    gettext_noop("Unknown Account"),  # email/unknown_account_subject.txt
)

DJANGO_STRINGS = (
    # django/contrib/auth/password_validation.py: rules and help texts on the signup and password forms
    # (untranslated in Django's sw and hy catalogues)
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
    ),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
    ),
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("Your password can’t be entirely numeric."),
    # django/core/validators.py: max_length / min_length errors on our forms (untranslated in Django's sw)
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
    ),
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
    ),
    # django/utils/timesince.py: "3 days" on the notifications page (untranslated in Django's sw and hy; Django's
    # lv catalogue orders these plural forms for another plural rule, so "3 days" came out as "3 diena")
    ngettext_lazy("%(num)d year", "%(num)d years"),
    ngettext_lazy("%(num)d month", "%(num)d months"),
    ngettext_lazy("%(num)d week", "%(num)d weeks"),
    ngettext_lazy("%(num)d day", "%(num)d days"),
    ngettext_lazy("%(num)d hour", "%(num)d hours"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes"),
)
