"""Signed tokens for newsletter open and click tracking.

A tracked link is `/n/c/<token>/` where the token is signed (django.core.signing, its own salt) and carries
both the delivery id and the destination URL. The redirect goes only to the URL inside the token, so the
endpoint cannot be used as an open redirect: nobody without the SECRET_KEY can make a token for a URL of
their choosing, and a `url` parameter that disagrees with the token is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse

CLICK_SALT = "community.content.newsletter.click"
OPEN_SALT = "community.content.newsletter.open"
_open_signer = signing.Signer(salt=OPEN_SALT)


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


def click_token(*, delivery_id: int, url: str) -> str:
    if not is_trackable_url(url):
        raise BadTrackingToken("Only absolute http(s) links are tracked.")
    return signing.dumps([delivery_id, url], salt=CLICK_SALT)


def read_click_token(token: str) -> Click:
    try:
        payload = signing.loads(token, salt=CLICK_SALT)
    except signing.BadSignature as exc:
        raise BadTrackingToken("This link is not valid.") from exc
    if (not isinstance(payload, list) or len(payload) != 2 or not isinstance(payload[0], int)
            or not isinstance(payload[1], str) or not is_trackable_url(payload[1])):
        raise BadTrackingToken("This link is not valid.")
    return Click(delivery_id=payload[0], url=payload[1])


def click_url(*, delivery_id: int, url: str) -> str:
    return settings.SITE_URL + reverse("content:track_click", kwargs={"token": click_token(delivery_id=delivery_id,
                                                                                            url=url)})


def open_token(*, delivery_id: int) -> str:
    return _open_signer.sign(str(delivery_id))


def read_open_token(token: str) -> int:
    try:
        value = _open_signer.unsign(token)
    except signing.BadSignature as exc:
        raise BadTrackingToken("Not a tracking token.") from exc
    if not value.isdigit():
        raise BadTrackingToken("Not a tracking token.")
    return int(value)


def open_url(*, delivery_id: int) -> str:
    return settings.SITE_URL + reverse("content:track_open", kwargs={"token": open_token(delivery_id=delivery_id)})
