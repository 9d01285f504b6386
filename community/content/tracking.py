"""Signed tokens for newsletter open and click tracking.

A tracked link is `/n/c/<token>/` where the token is signed (HMAC-SHA256, its own salt) and carries
both the delivery id and the destination URL. The redirect goes only to the URL inside the token, so the
endpoint cannot be used as an open redirect: nobody without the SECRET_KEY can make a token for a URL of
their choosing, and a `url` parameter that disagrees with the token is refused.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare

CLICK_SALT = "community.content.newsletter.click"
OPEN_SALT = "community.content.newsletter.open"


class BadTrackingToken(ValueError):
    """Tampered, truncated or made for another purpose."""


@dataclass(frozen=True)
class Click:
    delivery_id: int
    url: str


def is_trackable_url(url: str) -> bool:
    """Only absolute http(s) URLs are rewritten and only those are ever redirected to."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc) and not any(c in url for c in "\r\n\t\x00")


# Tokens are HMAC-SHA256 (128-bit tags) under a key derived from SECRET_KEY and a salt per purpose, the same
# construction as django.core.signing but with the derived key cached: a newsletter signs several links for
# every recipient, and re-deriving the key each time was the larger part of the cost. SECRET_KEY_FALLBACKS are
# accepted when reading, as django.core.signing does.


@functools.lru_cache(maxsize=16)
def _mac(salt: str, secret: str) -> hmac.HMAC:
    """A keyed HMAC to copy: the key is derived once per salt and secret, not once per signature."""
    return hmac.new(hashlib.sha256(f"{salt}:key:{secret}".encode()).digest(), digestmod=hashlib.sha256)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(salt: str, value: str, secret: str | None = None) -> str:
    mac = _mac(salt, secret or settings.SECRET_KEY).copy()
    mac.update(value.encode())
    return _b64(mac.digest()[:16])


def _verified(salt: str, value: str, signature: str) -> bool:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(signature, _signature(salt, value, secret)) for secret in secrets)


def encode_url(url: str) -> str:
    """The URL as it travels inside click tokens (base64url); encode once per link, sign per recipient."""
    if not is_trackable_url(url):
        raise BadTrackingToken("Only absolute http(s) links are tracked.")
    return _b64(url.encode())


def click_token(*, delivery_id: int, url: str | None = None, encoded_url: str | None = None) -> str:
    """`<delivery id>.<base64url URL>.<signature>`: the delivery and the destination, bound together."""
    value = f"{int(delivery_id)}.{encoded_url or encode_url(url or '')}"
    return f"{value}.{_signature(CLICK_SALT, value)}"


def read_click_token(token: str) -> Click:
    delivery, _dot, rest = token.partition(".")
    encoded, _dot, signature = rest.rpartition(".")
    if not (delivery.isdigit() and encoded and signature) or not _verified(CLICK_SALT, f"{delivery}.{encoded}",
                                                                           signature):
        raise BadTrackingToken("This link is not valid.")
    try:
        url = _unb64(encoded).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadTrackingToken("This link is not valid.") from exc
    if not is_trackable_url(url):
        raise BadTrackingToken("This link is not valid.")
    return Click(delivery_id=int(delivery), url=url)


def open_token(*, delivery_id: int) -> str:
    value = str(int(delivery_id))
    return f"{value}.{_signature(OPEN_SALT, value)}"


def read_open_token(token: str) -> int:
    value, _dot, signature = token.partition(".")
    if not (value.isdigit() and signature) or not _verified(OPEN_SALT, value, signature):
        raise BadTrackingToken("Not a tracking token.")
    return int(value)


def click_url_prefix() -> str:
    """Absolute URL of a tracked link with "TOKEN" where the token goes (reverse() once, not per link)."""
    return settings.SITE_URL + reverse("content:track_click", kwargs={"token": "TOKEN"})


def open_url_prefix() -> str:
    return settings.SITE_URL + reverse("content:track_open", kwargs={"token": "TOKEN"})


def click_url(*, delivery_id: int, url: str) -> str:
    return click_url_prefix().replace("TOKEN", click_token(delivery_id=delivery_id, url=url))


def open_url(*, delivery_id: int) -> str:
    return open_url_prefix().replace("TOKEN", open_token(delivery_id=delivery_id))
