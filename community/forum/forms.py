"""Forms of the forum. Each lists its fields explicitly: anything else a request carries is ignored."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from community.forum.models import Category, FlagReason, ReactionKind, SubscriptionLevel
from community.markup import MAX_LENGTH


def new_token() -> str:
    return uuid.uuid4().hex


class TokenMixin(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def initial_token(self) -> None:
        self.initial.setdefault("token", new_token())


class TopicForm(TokenMixin):
    title = forms.CharField(label=_("Title"), min_length=3, max_length=200)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), empty_label=None)
    raw = forms.CharField(label=_("Your post"), widget=forms.Textarea(attrs={"rows": 10}), max_length=MAX_LENGTH,
                          help_text=_("Markdown: **bold**, *italic*, [links](https://example.com), @mentions."))
    tags = forms.CharField(label=_("Tags"), required=False, max_length=200,
                           help_text=_("Up to five words, separated by spaces or commas."))

    def __init__(self, *args, categories: list[Category] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        ids = [c.pk for c in (categories or [])]
        self.fields["category"].queryset = Category.objects.filter(pk__in=ids).order_by("position", "name")
        self.initial_token()


class ReplyForm(TokenMixin):
    raw = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 6}), max_length=MAX_LENGTH)
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    quote_post = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    quote_text = forms.CharField(label=_("Quoted passage"), required=False, max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial_token()


class PostEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), min_length=3, max_length=200, required=False)
    raw = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 10}), max_length=MAX_LENGTH)
    tags = forms.CharField(label=_("Tags"), required=False, max_length=200)

    def __init__(self, *args, first_post: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not first_post:
            del self.fields["title"]
            del self.fields["tags"]
        else:
            self.fields["title"].required = True


class ReactionForm(forms.Form):
    kind = forms.ChoiceField(choices=ReactionKind.choices)


class SubscriptionForm(forms.Form):
    level = forms.ChoiceField(label=_("Notifications"), choices=SubscriptionLevel.choices)


class DraftForm(forms.Form):
    title = forms.CharField(required=False, max_length=200)
    raw = forms.CharField(required=False, max_length=MAX_LENGTH, strip=False)
    category = forms.IntegerField(required=False)


class FlagForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why should moderators look at this post?"), choices=FlagReason.choices,
                               widget=forms.RadioSelect)
    message = forms.CharField(label=_("Anything else (optional)"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class TopicModerationForm(forms.Form):
    ACTIONS = [("lock", _("Lock")), ("unlock", _("Unlock")), ("pin", _("Pin")), ("unpin", _("Unpin")),
               ("close", _("Close")), ("open", _("Reopen")), ("move", _("Move")), ("merge", _("Merge into"))]
    action = forms.ChoiceField(choices=ACTIONS)
    category = forms.ModelChoiceField(label=_("Move to category"), queryset=Category.objects.all(), required=False)
    target = forms.IntegerField(label=_("Merge into topic number"), required=False, min_value=1)


class ReviewForm(forms.Form):
    ACTIONS = [("approve", _("Approve")), ("hide", _("Hide")), ("delete", _("Delete")),
               ("silence", _("Hide and silence the author"))]
    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.CharField(label=_("Reason the member sees"), required=False, max_length=1000)
    days = forms.IntegerField(label=_("Days"), required=False, min_value=1, max_value=3650, initial=7)


class MemberModerationForm(forms.Form):
    ACTIONS = [("silence", _("Silence: may read but not post")), ("suspend", _("Suspend: may not sign in")),
               ("lift", _("Lift silence and suspension"))]
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS, widget=forms.RadioSelect)
    days = forms.IntegerField(label=_("For how many days"), min_value=1, max_value=3650, initial=7, required=False)
    reason = forms.CharField(label=_("Reason (the member sees it)"), max_length=1000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        if data.get("action") in ("silence", "suspend"):
            if not data.get("days"):
                self.add_error("days", _("Choose for how long."))
            if not (data.get("reason") or "").strip():
                self.add_error("reason", _("Please give the member a reason."))
        return data


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False,
                                      empty_label=_("All categories"))
    tag = forms.SlugField(label=_("Tag"), required=False, allow_unicode=True)
    author = forms.CharField(label=_("Author (handle)"), required=False, max_length=31)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, categories: list[Category] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        ids = [c.pk for c in (categories or [])]
        self.fields["category"].queryset = Category.objects.filter(pk__in=ids).order_by("position", "name")
