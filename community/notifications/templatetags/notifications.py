from django import template

from community.notifications.texts import notification_text

register = template.Library()


@register.filter
def notification_sentence(notification) -> str:
    """The notification's sentence in the active language (plain text; autoescaped by the template)."""
    return notification_text(notification)
