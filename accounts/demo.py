"""Demo members: one per role, in each of the four languages. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import MemberSettings, User
from accounts.roles import Role, add_role, ensure_roles

DEMO_PASSWORD = "community-demo-2026"


@dataclass(frozen=True)
class DemoMember:
    email: str
    handle: str
    display_name: str
    locale: str
    time_zone: str
    role: Role | None = None
    staff: bool = False
    bio: str = ""


DEMO_MEMBERS = [
    DemoMember("admin@example.com", "admin", "Alex Admin", "en", "Europe/London", staff=True,
               bio="I keep the lights on."),
    DemoMember("manager@example.com", "maria", "Maria Manager", "en", "America/New_York", Role.COMMUNITY_MANAGER,
               bio="Community manager. I host our meetups and webinars."),
    DemoMember("moderator@example.com", "juma", "Juma Mwangi", "sw", "Africa/Nairobi", Role.MODERATOR,
               bio="Msimamizi wa jukwaa."),
    DemoMember("editor@example.com", "liga", "Līga Ozola", "lv", "Europe/Riga", Role.EDITOR,
               bio="Rakstu redaktore."),
    DemoMember("anahit@example.com", "anahit", "Անահիտ Սարգսյան", "hy", "Asia/Yerevan", Role.MEMBER,
               bio="Սիրում եմ օգնել նոր անդամներին։"),
    DemoMember("amani@example.com", "amani", "Amani Otieno", "sw", "Africa/Nairobi", Role.MEMBER),
    DemoMember("janis@example.com", "janis", "Jānis Bērziņš", "lv", "Europe/Riga", Role.MEMBER),
    DemoMember("sam@example.com", "sam", "Sam Taylor", "en", "Europe/Dublin", Role.MEMBER),
]


@transaction.atomic
def seed(stdout=None) -> dict[str, User]:
    ensure_roles()
    members: dict[str, User] = {}
    for spec in DEMO_MEMBERS:
        user = User.objects.filter(email__iexact=spec.email).first()
        if user is None:
            user = User.objects.create_user(
                spec.email, DEMO_PASSWORD, handle=spec.handle, display_name=spec.display_name,
                locale=spec.locale, time_zone=spec.time_zone, is_staff=spec.staff, is_superuser=spec.staff,
            )
            from accounts.validation import handle_skeleton

            user.handle_skeleton = handle_skeleton(spec.handle)
            user.bio = spec.bio
            from community.markup import render_markdown

            user.bio_html = render_markdown(spec.bio) if spec.bio else ""
            user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        MemberSettings.objects.get_or_create(user=user, defaults={"newsletter_opt_in": True})
        if spec.role:
            add_role(user, spec.role)
        add_role(user, Role.MEMBER)
        members[spec.handle] = user
    return members
