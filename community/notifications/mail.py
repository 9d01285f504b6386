"""Shared mail helpers: safe headers, signed unsubscribe tokens, message building and email rendering.

CONTRACT (content/newsletters and events import this; keep the signatures):

    from community.notifications import mail
    subject, text, html = mail.render_email("newsletter", context, language=user.locale, time_zone=user.time_zone)
    token = mail.unsubscribe_token(email=user.email, scope="newsletter")
    message = mail.build_message(to=user.email, subject=subject, text=text, html=html,
                                 unsubscribe_url=mail.unsubscribe_url(token))
    message.send()

- `safe_header(value)` refuses CR, LF and other control characters with `HeaderInjection` (never strips).
- Tokens are signed with django.core.signing, salted for unsubscribing, and bind the recipient's email and
  the scope ("notify:<kind>", "digest", "newsletter", ...). `read_unsubscribe_token` raises
  `BadUnsubscribeToken` for anything tampered.
- `register_unsubscribe_scope(prefix, handler)` lets another app handle its own scopes; the handler is called
  as `handler(user=..., scope=...)` by the unsubscribe view (POST only) and must be idempotent.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
import unicodedata
import zlib
import zoneinfo
from collections.abc import Callable
from email.headerregistry import Address
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

UNSUBSCRIBE_SALT = "community.notifications.unsubscribe"


class HeaderInjection(ValueError):
    """A header value built from member input contained CR, LF or another control character."""


class BadUnsubscribeToken(ValueError):
    """The unsubscribe token was tampered with, truncated or made for another purpose."""


def safe_header(value: str) -> str:
    """Return `value` unchanged if it is safe in an email header; refuse CR/LF/control characters."""
    value = str(value)
    for char in value:
        if char in "\r\n" or unicodedata.category(char) in {"Cc", "Zl", "Zp"}:
            raise HeaderInjection(f"Refused a control character ({ord(char):#04x}) in an email header.")
    return value


def _from_address(from_name: str | None) -> str:
    default_name, default_email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = safe_header(from_name) if from_name else default_name
    safe_header(default_email)
    return formataddr((name, default_email)) if name else default_email


# --- Unsubscribe tokens ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _unsubscribe_mac(secret: str) -> hmac.HMAC:
    """The HMAC django.core.signing keys for our salt (salted_hmac(salt + "signer", ..., secret)), derived once."""
    key = hashlib.sha256(f"{UNSUBSCRIBE_SALT}signer".encode() + secret.encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def unsubscribe_token(*, email: str, scope: str) -> str:
    """A signed token naming the recipient's email and what to unsubscribe from.

    Exactly what `signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)` returns (read back with
    `signing.loads`), built with the derived key kept: a newsletter makes one per recipient, and deriving the
    key every time was half of a message's cost (tests/notifications pin the two to the same output).
    """
    safe_header(scope)
    data = json.dumps({"e": email.strip().lower(), "s": scope}, separators=(",", ":")).encode("latin-1")
    compressed = zlib.compress(data)
    if len(compressed) < len(data) - 1:
        value = "." + signing.b64_encode(compressed).decode()
    else:
        value = signing.b64_encode(data).decode()
    value = f"{value}:{signing.b62_encode(int(time.time()))}"
    mac = _unsubscribe_mac(settings.SECRET_KEY).copy()
    mac.update(value.encode())
    return f"{value}:{signing.b64_encode(mac.digest()).decode()}"


def read_unsubscribe_token(token: str) -> tuple[str, str]:
    """(email, scope) from a token made by `unsubscribe_token`; raises BadUnsubscribeToken otherwise."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature as exc:
        raise BadUnsubscribeToken("This unsubscribe link is not valid.") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("e"), str) or not isinstance(payload.get("s"), str):
        raise BadUnsubscribeToken("This unsubscribe link is not valid.")
    return payload["e"], payload["s"]


def unsubscribe_url(token: str) -> str:
    """Absolute URL of the unsubscribe page for a token."""
    return settings.SITE_URL + reverse("notifications:unsubscribe", kwargs={"token": token})


UnsubscribeHandler = Callable[..., None]
_SCOPE_HANDLERS: dict[str, UnsubscribeHandler] = {}


_SCOPE_LABELS: dict[str, object] = {}


def register_unsubscribe_scope(prefix: str, handler: UnsubscribeHandler, *, label=None) -> None:
    """Handle scopes equal to `prefix` or starting with `prefix` + ":"; `handler(user=, scope=)`, idempotent.

    `label` (translatable) completes "Stop sending me ..." on the confirmation page.
    """
    _SCOPE_HANDLERS[prefix] = handler
    if label is not None:
        _SCOPE_LABELS[prefix] = label


def _scope_prefix(scope: str) -> str:
    return scope if scope in _SCOPE_HANDLERS else scope.split(":", 1)[0]


def unsubscribe_handler_for(scope: str) -> UnsubscribeHandler | None:
    return _SCOPE_HANDLERS.get(_scope_prefix(scope))


def unsubscribe_label_for(scope: str):
    return _SCOPE_LABELS.get(_scope_prefix(scope))


# --- Messages -------------------------------------------------------------------------------------------


def build_message(*, to: str, subject: str, text: str, html: str, from_name: str | None = None,
                  unsubscribe_url: str | None = None, headers: dict | None = None) -> EmailMultiAlternatives:
    """A text + HTML message; every header is checked with safe_header (raises HeaderInjection)."""
    safe_header(to)
    Address(addr_spec=parseaddr(to)[1] or to)  # raises on a malformed address
    subject = safe_header(subject)
    extra: dict[str, str] = {}
    for name, value in (headers or {}).items():
        extra[safe_header(name)] = safe_header(value)
    if unsubscribe_url:
        safe_header(unsubscribe_url)
        if not unsubscribe_url.startswith(("https://", "http://")):
            raise HeaderInjection("The unsubscribe URL must be absolute.")
        extra["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        extra["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=_from_address(from_name), to=[to], headers=extra
    )
    message.attach_alternative(html, "text/html")
    return message


def render_email(template_base: str, context: dict, *, language: str, time_zone) -> tuple[str, str, str]:
    """Render templates/email/<name>.subject.txt, .txt and .html in the member's language and time zone.

    Only the surrounding whitespace of the subject is stripped: a CR/LF inside it (from member input) is kept
    so that build_message refuses it with HeaderInjection instead of silently mending it.
    """
    name = template_base if template_base.startswith("email/") else f"email/{template_base}"
    tz = time_zone if isinstance(time_zone, zoneinfo.ZoneInfo) else _zone(time_zone)
    context = {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL, **context}
    with translation.override(language), timezone.override(tz):
        subject = render_to_string(f"{name}.subject.txt", context)
        text = render_to_string(f"{name}.txt", context)
        html = render_to_string(f"{name}.html", context)
    subject = subject.strip()
    return subject, text.strip() + "\n", html


def _zone(name) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(str(name or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
