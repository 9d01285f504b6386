"""Pre-rendered newsletter messages: the MIME structure is built once per issue and language, not per recipient.

Building a message with Python's `email` package costs about a millisecond (MIME objects, header encoding,
generation), which alone caps a worker well below the newsletter throughput target. A newsletter sends the
same structure to everybody, so `MessageTemplate` asks `community.notifications.mail.build_message` for the
message once (with placeholder recipient, unsubscribe URL and bodies: every header rule, including RFC 8058
List-Unsubscribe and List-Unsubscribe-Post, stays there), serialises it, and splits the bytes around the
placeholders. Each recipient's message is then a join of bytes.

Correctness is kept by construction and checked per recipient; anything the fast path cannot represent exactly
as Django would (a non-ASCII address, a body line over RFC 5322's 998 octets, which Django would send as
quoted-printable) falls back to the ordinary `build_message` path.
"""

from __future__ import annotations

import re
import secrets
import time
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import DNS_NAME

from community.notifications import mail

_TO = "newsletter-recipient-placeholder@example.invalid"
_UNSUBSCRIBE_TOKEN = "UNSUBSCRIBETOKENPLACEHOLDER"
_DATE = "DATEPLACEHOLDER7F3A"
_MESSAGE_ID = "<MESSAGEIDPLACEHOLDER7F3A@example.invalid>"
_TEXT = "\ue001TEXT\ue001"
_HTML = "\ue001HTML\ue001"
_FIELD = re.compile(rb"\xee\x80\x81(TEXT|HTML|TO|UNSUBSCRIBE|DATE|MESSAGEID)\xee\x80\x81")
MAX_LINE = 998  # RFC 5322 line length limit, in octets


def _mark(name: str) -> bytes:
    return f"\ue001{name}\ue001".encode()


class RawMIME:
    """What `EmailMessage.message()` returns, for a message that is already serialised.

    Offers what Django's mail backends use: `as_bytes(linesep=...)` (SMTP, console, file), `as_string()`,
    `get_charset()` and header lookup.
    """

    def __init__(self, data: bytes, headers: dict[str, str]) -> None:
        self._data = data  # with "\n" line endings
        self._headers = headers

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return self._data if linesep == "\n" else self._data.replace(b"\n", linesep.encode())

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(linesep=linesep).decode("utf-8")

    def get_charset(self):
        return None

    def __getitem__(self, name: str) -> str | None:
        return self._headers.get(name.lower())

    def get(self, name: str, default=None):
        return self._headers.get(name.lower(), default)


class PrerenderedMessage(EmailMultiAlternatives):
    """An EmailMultiAlternatives whose MIME bytes were produced from a `MessageTemplate`.

    The usual attributes (to, subject, from_email, body, alternatives, extra_headers) are set, so code and tests
    that inspect messages see what they expect; `message()` returns the pre-rendered bytes.
    """

    def __init__(self, *, raw: bytes, to: str, subject: str, from_email: str, text: str, html: str,
                 headers: dict[str, str]) -> None:
        # Deliberately not calling super().__init__: it would build nothing we need and cost time.
        self.to = [to]
        self.cc = []
        self.bcc = []
        self.reply_to = []
        self.from_email = from_email
        self.subject = subject
        self.body = text
        self.alternatives = [(html, "text/html")]
        self.attachments = []
        self.extra_headers = headers
        self.connection = None
        self._raw = raw

    def message(self) -> RawMIME:
        return RawMIME(self._raw, {"to": self.to[0], "subject": self.subject, "from": self.from_email,
                                   **{k.lower(): v for k, v in self.extra_headers.items()}})

    def __deepcopy__(self, memo) -> PrerenderedMessage:
        # Every field is an immutable str/bytes, or a list/dict of them: copying the containers is a deep copy.
        copy = PrerenderedMessage.__new__(PrerenderedMessage)
        copy.__dict__.update(self.__dict__)
        copy.to, copy.cc, copy.bcc, copy.reply_to = list(self.to), [], [], []
        copy.alternatives, copy.attachments = list(self.alternatives), []
        copy.extra_headers = dict(self.extra_headers)
        return copy


class MessageTemplate:
    """The serialised message of one issue in one language, split around the per-recipient parts."""

    def __init__(self, *, subject: str, from_name: str | None, unsubscribe_url_prefix: str,
                 headers: dict[str, str]) -> None:
        self.subject = subject
        self.headers = headers
        self._unsubscribe_prefix = unsubscribe_url_prefix
        template = mail.build_message(
            to=_TO, subject=subject, text=_TEXT, html=_HTML, from_name=from_name,
            unsubscribe_url=unsubscribe_url_prefix.replace("TOKEN", _UNSUBSCRIBE_TOKEN),
            headers={**headers, "Date": _DATE, "Message-ID": _MESSAGE_ID},
        )
        self.from_email = template.from_email
        data = template.message().as_bytes(linesep="\n")
        data = data.replace(_TO.encode(), _mark("TO"))
        data = data.replace(_DATE.encode(), _mark("DATE")).replace(_MESSAGE_ID.encode(), _mark("MESSAGEID"))
        data = data.replace(f"<{unsubscribe_url_prefix.replace('TOKEN', _UNSUBSCRIBE_TOKEN)}>".encode(),
                            b"<" + _mark("UNSUBSCRIBE") + b">")
        self._parts = _FIELD.split(data)
        fields = self._parts[1::2]
        # The fast path relies on each placeholder surviving serialisation verbatim, exactly once.
        self.usable = sorted(fields) == sorted([b"TEXT", b"HTML", b"TO", b"UNSUBSCRIBE", b"DATE", b"MESSAGEID"])
        header_end = data.find(b"\n\n")
        self.usable = self.usable and b"8bit" in data and data.count(b"quoted-printable") == 0 \
            and header_end > 0

    def render(self, *, to: str, unsubscribe_token: str, text: str, html: str) -> PrerenderedMessage | None:
        """The recipient's message, or None when it needs the ordinary path (see the module docstring)."""
        if not (to.isascii() and to.isprintable()):  # for ASCII, exactly what mail.safe_header refuses
            return None
        text_bytes, html_bytes = text.encode(), html.encode()
        if not (_fits(text_bytes) and _fits(html_bytes)):
            return None
        unsubscribe_url = self._unsubscribe_prefix.replace("TOKEN", unsubscribe_token)
        values = {
            b"TO": to.encode(), b"UNSUBSCRIBE": unsubscribe_url.encode(), b"DATE": _date(),
            b"MESSAGEID": f"<{time.time_ns()}.{secrets.token_hex(8)}@{DNS_NAME}>".encode(),
            b"TEXT": text_bytes, b"HTML": html_bytes,
        }
        parts = self._parts.copy()
        for i in range(1, len(parts), 2):
            parts[i] = values[parts[i]]
        headers = {**self.headers, "List-Unsubscribe": f"<{unsubscribe_url}>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        return PrerenderedMessage(raw=b"".join(parts), to=to, subject=self.subject, from_email=self.from_email,
                                  text=text, html=html, headers=headers)


_date_cache: list = [0, b""]


def _date() -> bytes:
    """The Date header value, formatted once per second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, formatdate(now, localtime=settings.EMAIL_USE_LOCALTIME).encode()]
    return _date_cache[1]


def _fits(body: bytes) -> bool:
    """8bit transfer is exact for this body: no CR, no NUL, every line within 998 octets."""
    return b"\r" not in body and b"\x00" not in body and (
        len(body) <= MAX_LINE or max(map(len, body.split(b"\n"))) <= MAX_LINE)


def wrap_long_lines(text: str, *, limit: int = 700) -> str:
    """Break lines longer than `limit` characters at spaces (HTML and plain text alike), so that personal
    values inserted later keep every line under the 998-octet limit."""
    out: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            if cut <= 0:
                break
            out.append(line[:cut])
            line = line[cut + 1:]
        out.append(line)
    return "\n".join(out)
