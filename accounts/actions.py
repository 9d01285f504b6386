"""Every write to a member: validate, change, record.

Errors a member can fix are raised as `accounts.errors.AccountError` (a ValidationError and a ValueError),
with messages keyed by form field where there is one, so that views hand them to `form.add_error(None, exc)`.
"""

from __future__ import annotations

import secrets

import logging
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import AccountError
from accounts.models import AuditLog, Delivery, DigestFrequency, MemberSettings, NotificationPreference, User
from accounts.validation import clean_display_name, clean_handle, handle_skeleton

logger = logging.getLogger(__name__)

# Handles nobody may choose, compared by skeleton so that "adm1n" is as reserved as "admin". Members who
# already hold one (the demo admin, made by a seed) keep it.
RESERVED_HANDLES = frozenset({
    "admin", "administrator", "moderator", "mod", "staff", "support", "help", "root", "system", "official",
    "team", "security", "deleted", "everyone", "here", "all", "null", "none", "anonymous",
})
_RESERVED_SKELETONS = frozenset(handle_skeleton(handle) for handle in RESERVED_HANDLES)


def audit(*, actor: User | None, action: str, target: object | None = None, **data: object) -> AuditLog:
    """Write one audit record: who did what to what."""
    target_type = target._meta.label_lower if target is not None and hasattr(target, "_meta") else ""
    target_id = str(getattr(target, "pk", "") or "")
    return AuditLog.objects.create(actor=actor, action=action, target_type=target_type, target_id=target_id,
                                   data=data)


def _field_error(field: str, error: ValidationError) -> AccountError:
    return AccountError({field: error.messages}, code=getattr(error, "code", None))


# --- Profile --------------------------------------------------------------------------------------------


def _checked_handle(*, user: User, handle: str) -> tuple[str, str]:
    """(handle, skeleton) once the handle is well formed, not reserved and mistakable for nobody else's."""
    try:
        handle = clean_handle(handle)
    except ValidationError as exc:
        raise _field_error("handle", exc) from None
    skeleton = handle_skeleton(handle)
    current = user.handle_skeleton
    taken = (
        User.objects.filter(handle_skeleton=skeleton).exclude(pk=user.pk).exists()
        or User.objects.filter(handle__iexact=handle).exclude(pk=user.pk).exists()
    )
    if taken:
        raise AccountError(
            {"handle": _("The handle @%(handle)s is taken or looks too much like another member's handle. "
                         "Please choose another one.") % {"handle": handle}},
            code="handle_taken",
        )
    if skeleton in _RESERVED_SKELETONS and skeleton != current:
        raise AccountError({"handle": _("The handle @%(handle)s is reserved. Please choose another one.")
                            % {"handle": handle}}, code="handle_reserved")
    return handle, skeleton


def handle_set(*, user: User, handle: str) -> User:
    """Give the member a new @handle (ASCII only, and no look-alike of another member's)."""
    handle, skeleton = _checked_handle(user=user, handle=handle)
    if handle == user.handle:
        return user
    user.handle, user.handle_skeleton = handle, skeleton
    _save_profile(user, ["handle", "handle_skeleton"])
    audit(actor=user, action="accounts.profile.update", target=user, fields=["handle"])
    return user


def handle_assign_default(*, user: User) -> User:
    """Give a new member a free @handle from their name or email, so they can be mentioned at once.

    They can change it on the profile page; trying a handful of numbered variants keeps this bounded.
    """
    if user.handle:
        return user
    import unicodedata

    source = user.display_name or user.email.split("@", 1)[0]
    base = unicodedata.normalize("NFKD", source).encode("ascii", "ignore").decode().lower()
    base = "".join(ch if ch.isalnum() else "_" for ch in base).strip("_")[:24] or "member"
    if len(base) < 2:
        base = f"{base}_member"
    for suffix in ["", *[str(n) for n in range(2, 12)], secrets.token_hex(3)]:
        try:
            return handle_set(user=user, handle=f"{base}{suffix}"[:30])
        except AccountError:
            continue
    return user


def _save_profile(user: User, fields: list[str]) -> None:
    try:
        with transaction.atomic():
            user.save(update_fields=fields)
    except IntegrityError:
        # Two members asked for mistakable handles at the same moment: the unique constraint decided.
        raise AccountError({"handle": _("This handle was just taken. Please choose another one.")},
                           code="handle_taken") from None


def _clean_bio(bio: str) -> tuple[str, str]:
    from community.markup import render_markdown  # the one door for member text

    bio = bio.strip()
    limit = User._meta.get_field("bio").max_length
    if len(bio) > limit:
        raise AccountError({"bio": _("Your bio may be at most %(limit)s characters long.") % {"limit": limit}},
                           code="bio_long")
    if not bio:
        return "", ""
    try:
        return bio, render_markdown(bio)
    except ValueError as exc:  # markup refuses text it cannot render safely (too long, too deep)
        raise AccountError({"bio": [str(exc) or _("Your bio could not be formatted.")]}, code="bio_markup") from None


def profile_update(
    *,
    user: User,
    display_name: str | None = None,
    handle: str | None = None,
    bio: str | None = None,
    locale: str | None = None,
    time_zone: str | None = None,
) -> User:
    """Change what others see of the member and how the site speaks to them. Arguments left None stay.

    Either every change is saved or, when any value is refused, none is (the errors name their fields).
    """
    updates: dict[str, object] = {}
    errors: dict[str, list[str]] = {}

    if display_name is not None:
        try:
            updates["display_name"] = clean_display_name(display_name)
        except ValidationError as exc:
            errors["display_name"] = exc.messages
    if handle is not None:
        if handle.strip() == "":
            updates["handle"], updates["handle_skeleton"] = None, None
        else:
            try:
                updates["handle"], updates["handle_skeleton"] = _checked_handle(user=user, handle=handle)
            except AccountError as exc:
                errors.update(exc.message_dict)
    if bio is not None:
        try:
            updates["bio"], updates["bio_html"] = _clean_bio(bio)
        except AccountError as exc:
            errors.update(exc.message_dict)
    if locale is not None:
        if locale in dict(settings.LANGUAGES):
            updates["locale"] = locale
        else:
            errors["locale"] = [_("Please choose one of the offered languages.")]
    if time_zone is not None:
        if _is_time_zone(time_zone):
            updates["time_zone"] = time_zone
        else:
            errors["time_zone"] = [_("Please choose a time zone from the list.")]
    if errors:
        raise AccountError(errors)

    fields = [name for name, value in updates.items() if getattr(user, name) != value]
    if fields:
        for name in fields:
            setattr(user, name, updates[name])
        _save_profile(user, fields)
        changed = sorted(set(fields) - {"handle_skeleton", "bio_html"})
        audit(actor=user, action="accounts.profile.update", target=user, fields=changed)
    return user


def _is_time_zone(name: str) -> bool:
    from accounts.models import TIME_ZONE_CHOICES

    if name not in dict(TIME_ZONE_CHOICES):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def language_set(*, user: User, locale: str) -> User:
    """Remember the language a member picked in the switcher."""
    if locale in dict(settings.LANGUAGES) and locale != user.locale:
        user.locale = locale
        user.save(update_fields=["locale"])
    return user


# --- Avatar ---------------------------------------------------------------------------------------------


def _delete_file_on_commit(name: str) -> None:
    if not name:
        return
    storage = User._meta.get_field("avatar").storage

    def delete() -> None:
        try:
            storage.delete(name)
        except Exception:  # a missing file must not turn a finished request into an error
            logger.warning("could not delete avatar file %s", name, exc_info=True)

    transaction.on_commit(delete)


@transaction.atomic
def avatar_set(*, user: User, upload) -> User:
    """Check, re-encode and store a new avatar; the previous file is deleted after commit."""
    from accounts.avatars import process_avatar

    content = process_avatar(upload)  # raises AvatarError with a message for the member
    old = user.avatar.name if user.avatar else ""
    user.avatar.save(content.name, content, save=False)
    user.save(update_fields=["avatar"])
    _delete_file_on_commit(old)
    audit(actor=user, action="accounts.avatar.set", target=user)
    return user


@transaction.atomic
def avatar_remove(*, user: User) -> User:
    old = user.avatar.name if user.avatar else ""
    if not old:
        return user
    user.avatar = ""
    user.save(update_fields=["avatar"])
    _delete_file_on_commit(old)
    audit(actor=user, action="accounts.avatar.remove", target=user)
    return user


# --- Preferences ----------------------------------------------------------------------------------------


@transaction.atomic
def preferences_update(
    *,
    user: User,
    deliveries: dict[str, str],
    digest_frequency: str,
    newsletter_opt_in: bool,
    show_in_attendee_lists: bool,
) -> MemberSettings:
    """Save every notification choice and the general settings at once, in a bounded number of queries.

    Only choices that differ from a kind's default are stored, so a later change of a default reaches every
    member who never chose otherwise.
    """
    from accounts.preferences import KIND_BY_KEY

    errors: dict[str, list[str]] = {}
    valid_deliveries = set(Delivery.values)
    for key, delivery in deliveries.items():
        if key not in KIND_BY_KEY:
            errors.setdefault("__all__", []).append(_("Unknown notification kind: %(kind)s") % {"kind": key})
        elif delivery not in valid_deliveries:
            errors[f"kind_{key}"] = [_("Please choose one of the offered options.")]
    if digest_frequency not in DigestFrequency.values:
        errors["digest_frequency"] = [_("Please choose one of the offered options.")]
    if errors:
        raise AccountError(errors)

    chosen = {key: delivery for key, delivery in deliveries.items() if delivery != KIND_BY_KEY[key].default}
    back_to_default = [key for key in deliveries if key not in chosen]
    if back_to_default:
        NotificationPreference.objects.filter(user=user, kind__in=back_to_default).delete()
    if chosen:
        NotificationPreference.objects.bulk_create(
            [NotificationPreference(user=user, kind=key, delivery=delivery) for key, delivery in chosen.items()],
            update_conflicts=True, unique_fields=["user", "kind"], update_fields=["delivery"],
        )
    values = {"digest_frequency": digest_frequency, "newsletter_opt_in": newsletter_opt_in,
              "show_in_attendee_lists": show_in_attendee_lists}
    # Update only these columns (the digest sender writes last_digest_at concurrently).
    if not MemberSettings.objects.filter(user=user).update(**values):
        MemberSettings.objects.create(user=user, **values)
    return MemberSettings.objects.get(user=user)


# --- Data export and erasure ----------------------------------------------------------------------------


def data_export(*, user: User) -> dict:
    """Everything the member created and everything stored about them, gathered from every app."""
    from accounts.export import export_member

    document = export_member(user)
    audit(actor=user, action="accounts.data.export", target=user)
    return document


def _password_confirms(user: User, password: str) -> bool:
    if user.has_usable_password():
        return user.check_password(password)
    # A member who signed up through another site has no password: they confirm with their email address.
    return bool(password) and password.strip().lower() == user.email.lower()


@transaction.atomic
def account_delete(*, user: User, password: str) -> User:
    """Erase the member's personal data; their contributions stay, attributed to "deleted member".

    Each app may erase its own personal data about the member in `<app>.export.member_erase(user)`; those are
    called first, while the account is still whole.
    """
    from allauth.account.models import EmailAddress
    from allauth.socialaccount.models import SocialAccount

    from accounts.export import erase_member

    if user.is_deleted:
        raise AccountError(_("This account has already been deleted."), code="already_deleted")
    if not _password_confirms(user, password):
        raise AccountError({"password": _("That is not your current password. Your account was not deleted.")},
                           code="wrong_password")

    erase_member(user)

    old_avatar = user.avatar.name if user.avatar else ""
    EmailAddress.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()
    NotificationPreference.objects.filter(user=user).delete()
    MemberSettings.objects.filter(user=user).delete()
    user.groups.clear()
    user.user_permissions.clear()

    user.email = f"deleted-{user.pk}@invalid"
    user.handle = None
    user.handle_skeleton = None
    user.display_name = ""
    user.bio = ""
    user.bio_html = ""
    user.avatar = ""
    user.locale = settings.LANGUAGE_CODE
    user.time_zone = "UTC"
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.last_login = None
    user.deleted_at = timezone.now()
    user.set_unusable_password()  # also ends every other session: their auth hash no longer matches
    user.save()
    _delete_file_on_commit(old_avatar)
    audit(actor=user, action="accounts.member.erase", target=user)
    return user
