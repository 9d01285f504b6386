"""Emails to members: rendered in the member's language and time zone, plain text plus HTML.

The online join link is put in the context only for a confirmed attendee (`include_join`), so no template can
show it to anyone else.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Delivery
from accounts.preferences import delivery_for
from events.errors import refuse_line_breaks
from events.models import RSVP


def wants_email(member) -> bool:
    """The member's choice for kind "event" (reminders and changes); off or in-app only means no email."""
    return bool(member.email) and member.is_active and delivery_for(member, "event") not in (Delivery.OFF,
                                                                                            Delivery.IN_APP)


def join_link_for(rsvp: RSVP) -> str:
    """The join link, for a confirmed attendee of an online or hybrid event; empty for everyone else."""
    event = rsvp.event
    if rsvp.status == "going" and event.is_online and event.join_url:
        return event.join_url
    return ""


def send_member_email(*, member, template: str, subject, subject_params: dict | None = None,
                      context: dict) -> bool:
    """Render templates/events/email/<template>.txt and .html for `member` and send them."""
    with translation.override(member.locale), timezone.override(member.zoneinfo):
        full_context = {"member": member, "SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL,
                        **context}
        subject_text = str(subject) % (subject_params or {}) if subject_params else str(subject)
        subject_text = refuse_line_breaks(f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject_text}")
        text = render_to_string(f"events/email/{template}.txt", full_context)
        html = render_to_string(f"events/email/{template}.html", full_context)
    message = EmailMultiAlternatives(subject=subject_text, body=text, to=[member.email])
    message.attach_alternative(html, "text/html")
    return bool(message.send())
