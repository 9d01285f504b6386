"""The member: a custom user with email login, profile, preferences and moderation state."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz or tz == "UTC")


class UserQuerySet(models.QuerySet):
    def active(self) -> UserQuerySet:
        """Members who can sign in: not deactivated and not erased."""
        return self.filter(is_active=True, deleted_at__isnull=True)

    def with_verified_email(self) -> UserQuerySet:
        return self.filter(emailaddress__verified=True, emailaddress__primary=True)

    def reportable(self) -> UserQuerySet:
        """Members counted in reports: staff, deleted and suspended members are excluded."""
        now = timezone.now()
        return self.active().filter(is_staff=False).exclude(suspended_until__gt=now)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def get_by_natural_key(self, email: str) -> User:
        return self.get(email__iexact=email)

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


def avatar_path(instance: User, filename: str) -> str:
    # The name is chosen by accounts.avatars (random, never the uploaded name); this only files it.
    return f"avatars/{filename}"


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), max_length=254, unique=True)
    handle = models.CharField(
        _("handle"),
        max_length=30,
        null=True,
        blank=True,
        help_text=_("Your @name: letters a-z, digits and underscores."),
    )
    handle_skeleton = models.CharField(
        max_length=30,
        null=True,
        blank=True,
        editable=False,
        help_text="Look-alike-folded form of the handle (0->o, 1/i->l, ...), unique so that handles cannot impersonate.",
    )
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to=avatar_path, blank=True)
    bio = models.TextField(_("bio"), blank=True, max_length=2000)
    bio_html = models.TextField(blank=True, editable=False, help_text="Bio rendered once, when saved.")
    locale = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")

    is_staff = models.BooleanField(_("staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    last_seen_at = models.DateTimeField(null=True, blank=True, help_text="Last request, at most once a minute.")
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="Set when the member erased the account.")

    silenced_until = models.DateTimeField(null=True, blank=True, help_text="May read but not post until then.")
    suspended_until = models.DateTimeField(null=True, blank=True, help_text="May not sign in until then.")
    moderation_reason = models.TextField(blank=True, help_text="Shown to the member while silenced or suspended.")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.UniqueConstraint(Lower("handle"), name="accounts_user_handle_ci_unique"),
            models.UniqueConstraint(fields=["handle_skeleton"], name="accounts_user_handle_skeleton_unique"),
        ]
        permissions = [
            ("moderate_community", "Can moderate the forum and members"),
            ("manage_events", "Can create and host events"),
            ("edit_content", "Can write articles and newsletters"),
            ("view_dashboard", "Can see the retention dashboard"),
            ("manage_loyalty", "Can edit loyalty rules, tiers and rewards"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """What others see: the display name, else the handle; erased members are anonymous."""
        if self.deleted_at:
            return str(_("deleted member"))
        return self.display_name or (f"@{self.handle}" if self.handle else str(_("member")))

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def is_silenced(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(self.silenced_until and self.silenced_until > now)

    def is_suspended(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(self.suspended_until and self.suspended_until > now)

    def get_absolute_url(self) -> str:
        if self.handle:
            return reverse("accounts:profile", kwargs={"handle": self.handle})
        return reverse("accounts:profile_by_id", kwargs={"pk": self.pk})

    @property
    def zoneinfo(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")


class Delivery(models.TextChoices):
    """How a member wants to hear about one kind of notification."""

    IN_APP = "in_app", _("In the app only")
    EMAIL = "email", _("By email right away")
    DIGEST = "digest", _("In the digest")
    OFF = "off", _("Off")


class DigestFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    OFF = "off", _("Never")


class NotificationPreference(models.Model):
    """One row per member and kind; a missing row means the kind's default (accounts.preferences)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(max_length=40, help_text="A kind from accounts.preferences.KINDS.")
    delivery = models.CharField(max_length=10, choices=Delivery.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="accounts_pref_user_kind_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}={self.delivery}"


class MemberSettings(models.Model):
    """Preferences that are not per notification kind."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="settings")
    digest_frequency = models.CharField(max_length=10, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY)
    newsletter_opt_in = models.BooleanField(_("receive newsletters"), default=False)
    show_in_attendee_lists = models.BooleanField(_("show my name in event attendee lists"), default=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"settings of {self.user_id}"


class AuditLog(models.Model):
    """Who did what to whom (pretix's log_action): moderator and staff actions, account changes."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=60, help_text="Dotted name, e.g. forum.post.hide.")
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=40, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}:{self.target_id}"
