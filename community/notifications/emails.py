"""Compose and send the email of one notification (called by actions.notification_email_send after the claim)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from community.notifications import mail
from community.notifications.texts import actor_name, notification_text


def absolute(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL + (url if url.startswith("/") else "/" + url)


def send_notification_email(*, notification, recipient) -> None:
    token = mail.unsubscribe_token(email=recipient.email, scope=f"notify:{notification.kind}")
    unsubscribe_url = mail.unsubscribe_url(token)
    with translation.override(recipient.locale):
        sentence = notification_text(notification)
        from_name = actor_name(notification) if notification.actor_id else None
    context = {
        "member": recipient,
        "notification": notification,
        "sentence": sentence,
        "open_url": absolute(notification.get_absolute_url()),
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": absolute(reverse("accounts:account")),
    }
    subject, text, html = mail.render_email(
        "notification", context, language=recipient.locale, time_zone=recipient.zoneinfo
    )
    if from_name:
        from_name = f"{from_name} ({settings.SITE_NAME})"
    message = mail.build_message(
        to=recipient.email, subject=subject, text=text, html=html, from_name=from_name,
        unsubscribe_url=unsubscribe_url,
    )
    message.send()
