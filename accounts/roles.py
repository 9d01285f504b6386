"""Roles are Django groups with permissions; staff is the `is_staff` flag.

Code asks for a permission (`user.has_perm("accounts.moderate_community")`), never for a group name, so
that a brand can give a permission to another group without touching code.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    MEMBER = "Member"
    MODERATOR = "Moderator"
    COMMUNITY_MANAGER = "Community manager"
    EDITOR = "Editor"


ROLE_LABELS = {
    Role.MEMBER: _("Member"),
    Role.MODERATOR: _("Moderator"),
    Role.COMMUNITY_MANAGER: _("Community manager"),
    Role.EDITOR: _("Editor"),
}

# Permission codenames (app label accounts) granted to each role.
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.MEMBER: [],
    Role.MODERATOR: ["moderate_community"],
    Role.COMMUNITY_MANAGER: ["moderate_community", "manage_events", "view_dashboard", "manage_loyalty"],
    Role.EDITOR: ["edit_content"],
}

MODERATE = "accounts.moderate_community"
MANAGE_EVENTS = "accounts.manage_events"
EDIT_CONTENT = "accounts.edit_content"
VIEW_DASHBOARD = "accounts.view_dashboard"
MANAGE_LOYALTY = "accounts.manage_loyalty"


def ensure_roles(apps=None) -> None:
    """Create the groups and give them their permissions; safe to run again (migrations, seed_demo)."""
    from django.apps import apps as global_apps

    apps = apps or global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    user_type, _created = ContentType.objects.get_or_create(app_label="accounts", model="user")
    from accounts.models import User  # the codenames and names live on User.Meta.permissions

    names = dict(User._meta.permissions)
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        for codename in codenames:
            permission, _created = Permission.objects.get_or_create(
                content_type=user_type, codename=codename, defaults={"name": names[codename]}
            )
            group.permissions.add(permission)


def add_role(user, role: Role) -> None:
    from django.contrib.auth.models import Group

    group, _created = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
