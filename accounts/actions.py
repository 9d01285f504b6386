"""Every write to a member: validate, change, record."""

from __future__ import annotations

from accounts.models import AuditLog, User
from accounts.validation import clean_display_name


def audit(*, actor: User | None, action: str, target: object | None = None, **data: object) -> AuditLog:
    """Write one audit record: who did what to what."""
    target_type = target._meta.label_lower if target is not None and hasattr(target, "_meta") else ""
    target_id = str(getattr(target, "pk", "") or "")
    return AuditLog.objects.create(actor=actor, action=action, target_type=target_type, target_id=target_id,
                                   data=data)


def profile_update(*, user: User, display_name: str | None = None) -> User:
    fields: list[str] = []
    if display_name is not None:
        user.display_name = clean_display_name(display_name)
        fields.append("display_name")
    if fields:
        user.save(update_fields=fields)
    return user
