"""Forms of the content app. They parse input; the actions validate and decide."""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.content import segments
from community.content.models import Article, NewsletterIssue, Segment, SegmentKind

COVER_MAX_BYTES = 5 * 1024 * 1024


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(label=_("Address (slug)"), max_length=200, required=False, allow_unicode=True,
                           help_text=_("Leave empty to make one from the title."))
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("One or two sentences, shown in lists, feeds and link previews."))
    body = forms.CharField(label=_("Body"), widget=forms.Textarea(attrs={"rows": 18}),
                           help_text=_("Markdown: **bold**, _italic_, [links](https://example.com), lists, headings."))
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    tags = forms.CharField(label=_("Tags"), required=False, max_length=500,
                           help_text=_("Separated by commas, e.g. setup, tips."))
    members_only = forms.BooleanField(label=_("Members only"), required=False,
                                      help_text=_("Visitors who are not signed in, feeds and search engines do not see it."))
    cover_image = forms.ImageField(label=_("Cover image"), required=False)
    cover_alt = forms.CharField(label=_("Cover image description"), max_length=200, required=False,
                                help_text=_("Required with a cover image: describe it for people who cannot see it."))

    def clean_cover_image(self):
        image = self.cleaned_data.get("cover_image")
        if image and image.size > COVER_MAX_BYTES:
            raise forms.ValidationError(_("The image is too large (at most 5 MB)."))
        return image

    @classmethod
    def initial_for(cls, article: Article) -> dict:
        return {
            "title": article.title, "slug": article.slug, "summary": article.summary, "body": article.body,
            "language": article.language, "members_only": article.members_only, "cover_alt": article.cover_alt,
            "tags": ", ".join(tag.name for tag in article.tags.all()),
        }


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(label=_("Publish at"), widget=DateTimeLocalInput(),
                                     help_text=_("In your time zone."))


class HelpfulForm(forms.Form):
    helpful = forms.TypedChoiceField(choices=[("yes", _("Yes")), ("no", _("No"))], coerce=lambda v: v == "yes")


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    name = forms.CharField(label=_("Name (optional)"), max_length=120, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class SubscriberPreferencesForm(forms.Form):
    subscribed = forms.BooleanField(label=_("Send me the newsletter"), required=False)
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, required=False)


class MemberPreferencesForm(forms.Form):
    subscribed = forms.BooleanField(label=_("Send me the newsletter"), required=False)


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Who"), choices=SegmentKind.choices, widget=forms.RadioSelect)
    language = forms.ChoiceField(label=_("Language"), choices=[("", "—"), *settings.LANGUAGES], required=False)
    loyalty_tier_id = forms.TypedChoiceField(label=_("Loyalty tier"), required=False, coerce=int, empty_value=None)
    tag_slugs = forms.CharField(label=_("Tags (slugs, separated by commas)"), required=False, max_length=500)
    saved_segment_id = forms.TypedChoiceField(label=_("Saved list from the reports"), required=False, coerce=int,
                                              empty_value=None)
    filter = forms.CharField(
        label=_("Own filter (JSON)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('For a saved filter without a saved list, e.g. {"languages": ["en", "sw"], '
                    '"joined_after": "2025-01-01", "min_days_inactive": 30}.'))
    include_subscribers = forms.BooleanField(label=_("Also subscribers who are not members"), required=False,
                                             initial=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        available = segments.kind_availability()
        self.fields["kind"].choices = [
            (value, label if available.get(value) else _("%(kind)s (unavailable on this site)") % {"kind": label})
            for value, label in SegmentKind.choices
        ]
        self.unavailable = [value for value, ok in available.items() if not ok]
        self.fields["loyalty_tier_id"].choices = [("", "—"), *segments.loyalty_tiers()]
        self.fields["saved_segment_id"].choices = [("", "—"), *segments.saved_segments()]

    def clean_filter(self) -> dict:
        raw = (self.cleaned_data.get("filter") or "").strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(_("Not valid JSON.")) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Write an object, like {\"languages\": [\"en\"]}."))
        return value

    def clean_tag_slugs(self) -> list[str]:
        return [slug.strip() for slug in (self.cleaned_data.get("tag_slugs") or "").split(",") if slug.strip()]

    @classmethod
    def initial_for(cls, segment: Segment) -> dict:
        return {
            "name": segment.name, "kind": segment.kind, "language": segment.language,
            "loyalty_tier_id": segment.loyalty_tier_id, "tag_slugs": ", ".join(segment.tag_slugs or []),
            "saved_segment_id": segment.saved_segment_id,
            "filter": json.dumps(segment.filter) if segment.filter else "",
            "include_subscribers": segment.include_subscribers,
        }


class IssueForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=150)
    preheader = forms.CharField(label=_("Preheader"), max_length=150, required=False,
                                help_text=_("The short line mail apps show after the subject."))
    from_name = forms.CharField(label=_("Sender name"), max_length=80, required=False,
                                help_text=_("Empty: the site's name."))
    body = forms.CharField(label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 14}),
                           help_text=_("Markdown."))
    articles = forms.ModelMultipleChoiceField(
        label=_("Articles"), required=False, queryset=Article.objects.none(),
        widget=forms.CheckboxSelectMultiple)
    include_events = forms.BooleanField(label=_("Include upcoming events"), required=False, initial=True)
    include_topics = forms.BooleanField(label=_("Include top forum topics"), required=False, initial=True)
    segment = forms.ModelChoiceField(label=_("Send to"), required=False, queryset=Segment.objects.all())
    tracking = forms.BooleanField(label=_("Count opens and clicks"), required=False, initial=True,
                                  help_text=_("Off: no tracking pixel and links go straight to their address."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["articles"].queryset = Article.objects.visible().order_by("-publish_at")[:50]
        # ModelMultipleChoiceField needs a filterable queryset for validation:
        ids = list(self.fields["articles"].queryset.values_list("pk", flat=True))
        self.fields["articles"].queryset = Article.objects.filter(pk__in=ids).order_by("-publish_at")

    @classmethod
    def initial_for(cls, issue: NewsletterIssue) -> dict:
        return {
            "subject": issue.subject, "preheader": issue.preheader, "from_name": issue.from_name, "body": issue.body,
            "articles": list(issue.articles.all()), "include_events": issue.include_events,
            "include_topics": issue.include_topics, "segment": issue.segment, "tracking": issue.tracking,
        }


class IssueScheduleForm(forms.Form):
    send_at = forms.DateTimeField(label=_("Send at"), widget=DateTimeLocalInput(), help_text=_("In your time zone."))

    def clean_send_at(self):
        value = self.cleaned_data["send_at"]
        if value <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return value
