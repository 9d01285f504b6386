"""Turning a newsletter issue into one personal message per recipient, fast.

The issue is rendered through the templates once per language (inside `translation.override`), with marker
fields where the personal parts go: greeting, unsubscribe and preferences links, tracking pixel and tracked
links. Each recipient then costs a few signatures and a string join, not a template render, which is what
keeps sending at thousands of messages per second per worker.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from community.content import selectors, tracking
from community.content.mime import MessageTemplate, wrap_long_lines
from community.content.models import Article, NewsletterIssue
from community.notifications import mail

MARK = "\ue000"  # a private-use character: never produced by our templates or the Markdown renderer
_FIELD_RE = re.compile(f"{MARK}([A-Z0-9_]+){MARK}")
_HREF_RE = re.compile(r'href="([^"]*)"')
_SRC_RE = re.compile(r'src="(/[^"]*)"')
_BETWEEN_TAGS_RE = re.compile(r">[ \t\r\n]+<")


def _marker(name: str) -> str:
    return f"{MARK}{name}{MARK}"


@dataclass
class _Compiled:
    """A rendered body split into literal text (even positions) and field names (odd positions)."""

    parts: list[str]

    @classmethod
    def of(cls, text: str) -> _Compiled:
        return cls(_FIELD_RE.split(text))

    def fill(self, values: dict[str, str]) -> str:
        out = self.parts.copy()
        for i in range(1, len(out), 2):
            out[i] = values[out[i]]
        return "".join(out)


@dataclass
class _LanguageParts:
    html: _Compiled
    text: _Compiled
    greeting_named: str
    greeting_anonymous: str
    links: list[str] = field(default_factory=list)
    encoded_links: list[str] = field(default_factory=list)
    template: MessageTemplate | None = None


def _absolute(url: str) -> str:
    return settings.SITE_URL + url if url.startswith("/") and not url.startswith("//") else url


class IssueComposer:
    """Builds the messages of one issue. Header values are checked once, before anything is sent."""

    def __init__(self, issue: NewsletterIssue, *, tracking_enabled: bool | None = None) -> None:
        self.issue = issue
        self.tracking = issue.tracking_enabled if tracking_enabled is None else tracking_enabled
        self.subject = mail.safe_header(issue.subject)
        self.from_name = mail.safe_header(issue.from_name) if issue.from_name else None
        mail.safe_header(issue.preheader)
        self.articles = [
            {"title": a.title, "summary": a.summary, "url": _absolute(a.get_absolute_url()),
             "reading_minutes": a.reading_minutes}
            for a in Article.objects.visible().filter(pk__in=issue.articles.values("pk")).order_by("-publish_at")
        ]
        self.events = selectors.upcoming_events() if issue.include_events else []
        self.topics = selectors.top_topics() if issue.include_topics else []
        self._by_language: dict[str, _LanguageParts] = {}
        # URL prefixes, so that each recipient costs a string concatenation instead of a reverse().
        unsubscribe = reverse("content:newsletter_unsubscribe", kwargs={"token": "TOKEN"})
        preferences = reverse("content:subscriber_preferences", kwargs={"token": "TOKEN"})
        self._unsubscribe_url = settings.SITE_URL + unsubscribe
        self._preferences_url = settings.SITE_URL + preferences
        self._click_prefix = tracking.click_url_prefix()
        self._open_prefix = tracking.open_url_prefix()
        self._headers = {"X-Newsletter-Issue": str(issue.pk)}
        self._languages = dict(settings.LANGUAGES)

    def _language(self, language: str) -> _LanguageParts:
        parts = self._by_language.get(language)
        if parts is not None:
            return parts
        shown = {topic["url"] for topic in self.topics}
        with translation.override(language):
            context = {
                "issue": self.issue,
                "body_html": self.issue.body_html,
                "body_text": self.issue.body,  # Markdown source reads well as plain text
                "articles": self.articles,
                "events": self.events,
                "topics": self.topics,
                "recommended": selectors.recommended_topics(language=language, exclude_urls=shown),
                "greeting": _marker("GREETING"),
                "unsubscribe_url": _marker("UNSUBSCRIBE"),
                "preferences_url": _marker("PREFERENCES"),
                "pixel_url": _marker("PIXEL") if self.tracking else "",
                "SITE_NAME": settings.SITE_NAME,
                "SITE_URL": settings.SITE_URL,
                "LANGUAGE_CODE": language,
            }
            html_body = render_to_string("content/email/newsletter.html", context)
            text_body = render_to_string("content/email/newsletter.txt", context)
            greeting_named = gettext("Hello %(name)s,")
            greeting_anonymous = gettext("Hello,")
        html_body = _SRC_RE.sub(lambda m: f'src="{_absolute(m.group(1))}"', html_body)
        links: list[str] = []

        def rewrite(match: re.Match) -> str:
            url = _absolute(html.unescape(match.group(1)))
            if MARK in url:
                return match.group(0)
            if not self.tracking or not tracking.is_trackable_url(url):
                return f'href="{html.escape(url)}"'
            links.append(url)
            return f'href="{_marker(f"L{len(links) - 1}")}"'

        html_body = _HREF_RE.sub(rewrite, html_body)
        # Short lines, so that the message travels as 8bit exactly as written (see community.content.mime).
        html_body = wrap_long_lines(_BETWEEN_TAGS_RE.sub(">\n<", html_body.replace("<a href=", "<a\nhref=")))
        text_body = wrap_long_lines(text_body)
        template = MessageTemplate(subject=self.subject, from_name=self.from_name,
                                   unsubscribe_url_prefix=self._unsubscribe_url, headers=self._headers)
        parts = _LanguageParts(html=_Compiled.of(html_body), text=_Compiled.of(text_body),
                               greeting_named=greeting_named, greeting_anonymous=greeting_anonymous, links=links,
                               encoded_links=[tracking.encode_url(url) for url in links],
                               template=template if template.usable else None)
        self._by_language[language] = parts
        return parts

    def message_for(self, *, delivery_id: int, email: str, name: str, language: str) -> EmailMultiAlternatives:
        """The personal message of one delivery (raises mail.HeaderInjection for a bad address)."""
        parts = self._language(language if language in self._languages else settings.LANGUAGE_CODE)
        token = mail.unsubscribe_token(email=email, scope=f"newsletter:{delivery_id}")
        unsubscribe_url = self._unsubscribe_url.replace("TOKEN", token)
        greeting = parts.greeting_named % {"name": name} if name else parts.greeting_anonymous
        values = {
            "UNSUBSCRIBE": unsubscribe_url,
            "PREFERENCES": self._preferences_url.replace("TOKEN", token),
        }
        text_values = {**values, "GREETING": greeting}
        html_values = {**values, "GREETING": html.escape(greeting)}
        if self.tracking:
            html_values["PIXEL"] = self._open_prefix.replace("TOKEN", tracking.open_token(delivery_id=delivery_id))
            for i, encoded in enumerate(parts.encoded_links):
                html_values[f"L{i}"] = self._click_prefix.replace(
                    "TOKEN", tracking.click_token(delivery_id=delivery_id, encoded_url=encoded))
        text_body, html_body = parts.text.fill(text_values), parts.html.fill(html_values)
        if parts.template is not None:
            message = parts.template.render(to=email, unsubscribe_token=token, text=text_body, html=html_body)
            if message is not None:
                return message
        return mail.build_message(
            to=email, subject=self.subject, text=text_body, html=html_body, from_name=self.from_name,
            unsubscribe_url=unsubscribe_url, headers=self._headers,
        )

    def preview_html(self, *, language: str, name: str = "") -> str:
        """The HTML body as a recipient would see it, without tracking and with inert personal links."""
        parts = self._language(language)
        greeting = parts.greeting_named % {"name": name} if name else parts.greeting_anonymous
        values = {"UNSUBSCRIBE": "#", "PREFERENCES": "#", "PIXEL": "", "GREETING": html.escape(greeting)}
        values.update({f"L{i}": html.escape(url) for i, url in enumerate(parts.links)})
        return parts.html.fill(values)
