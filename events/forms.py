"""Forms of the events app: they parse and validate input; the actions decide."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from datetime import timezone as dt_timezone

from django import forms
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from accounts.models import TIME_ZONE_CHOICES
from events.models import Event, Format, Frequency, RSVPStatus, Visibility
from events.selectors import host_choices, later_occurrences

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def aware_in(naive: datetime | None, tz: zoneinfo.ZoneInfo) -> datetime | None:
    """A wall-clock time in `tz`; refuses times that do not exist there (skipped by a DST change)."""
    if naive is None:
        return None
    naive = naive.replace(tzinfo=None)
    aware = naive.replace(tzinfo=tz)
    if aware.astimezone(dt_timezone.utc).astimezone(tz).replace(tzinfo=None) != naive:
        raise forms.ValidationError(_("This time does not exist in the chosen time zone (clocks change)."))
    return aware


class EventForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False,
                           help_text=_("Markdown: **bold**, lists, links."))
    cover = forms.ImageField(label=_("Cover image"), required=False, help_text=_("JPEG, PNG, WebP or GIF."))
    remove_cover = forms.BooleanField(label=_("Remove the cover image"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone of the event"), choices=TIME_ZONE_CHOICES, initial="UTC")
    starts_at = forms.DateTimeField(label=_("Starts (in the event's time zone)"), widget=DATETIME_WIDGET,
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    ends_at = forms.DateTimeField(label=_("Ends (in the event's time zone)"), widget=DATETIME_WIDGET,
                                  input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    format = forms.ChoiceField(label=_("Format"), choices=Format.choices, widget=forms.RadioSelect,
                               initial=Format.IN_PERSON)
    venue = forms.CharField(label=_("Venue"), max_length=200, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    map_url = forms.URLField(label=_("Map link"), required=False, assume_scheme="https")
    join_url = forms.URLField(label=_("Online join link"), required=False, max_length=500, assume_scheme="https",
                              help_text=_("Only confirmed attendees ever see it."))
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, required=False,
                                  help_text=_("Seats, guests included. Empty: no limit."))
    max_plus_ones = forms.IntegerField(label=_("Guests per member"), min_value=0, max_value=10, initial=0)
    rsvp_deadline = forms.DateTimeField(label=_("RSVP deadline (in the event's time zone)"), required=False,
                                        widget=DATETIME_WIDGET, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                        help_text=_("Empty: until the event starts."))
    hosts = forms.ModelMultipleChoiceField(label=_("Hosts"), queryset=None, required=False,
                                           help_text=_("Community managers. Empty: you."))
    tags = forms.CharField(label=_("Tags"), required=False, max_length=300, help_text=_("Separated by commas."))
    visibility = forms.ChoiceField(label=_("Who can see it"), choices=Visibility.choices, initial=Visibility.PUBLIC)
    roles = forms.ModelMultipleChoiceField(label=_("Roles (when only some roles can see it)"),
                                           queryset=Group.objects.order_by("name"), required=False)
    discussion_category = forms.ModelChoiceField(label=_("Discussion category"), queryset=None, required=False,
                                                 help_text=_("A discussion topic is started there when published."))
    repeat = forms.ChoiceField(label=_("Repeats"), required=False,
                               choices=[("", _("Does not repeat")), *Frequency.choices])
    occurrences = forms.IntegerField(label=_("Number of occurrences"), min_value=1, max_value=52, initial=1,
                                     required=False)
    apply_to = forms.ChoiceField(label=_("Apply the changes to"), widget=forms.RadioSelect, initial="this",
                                 choices=[("this", _("This event only")),
                                          ("following", _("This and the following events of the series"))])

    def __init__(self, *args, event: Event | None = None, **kwargs) -> None:
        self.event = event
        if event is not None and "initial" not in kwargs:
            tz = event.zoneinfo
            kwargs["initial"] = {
                "title": event.title, "body": event.body, "time_zone": event.time_zone,
                "starts_at": event.starts_at.astimezone(tz).replace(tzinfo=None),
                "ends_at": event.ends_at.astimezone(tz).replace(tzinfo=None),
                "rsvp_deadline": event.rsvp_deadline.astimezone(tz).replace(tzinfo=None) if event.rsvp_deadline else None,
                "format": event.format, "venue": event.venue, "address": event.address, "map_url": event.map_url,
                "join_url": event.join_url, "capacity": event.capacity, "max_plus_ones": event.max_plus_ones,
                "hosts": list(event.hosts.all()), "tags": ", ".join(sorted(event.tags.names())),
                "visibility": event.visibility, "roles": list(event.roles.all()),
                "discussion_category": event.discussion_category_id,
            }
        super().__init__(*args, **kwargs)
        self.fields["hosts"].queryset = host_choices()
        self.fields["hosts"].label_from_instance = lambda user: user.name
        try:
            from community.forum.models import Category

            self.fields["discussion_category"].queryset = Category.objects.all()
        except ImportError:  # pragma: no cover - the forum app is always installed
            del self.fields["discussion_category"]
        if event is not None:
            del self.fields["repeat"]
            del self.fields["occurrences"]
        else:
            del self.fields["remove_cover"]
        if event is None or not later_occurrences(event).exists():
            del self.fields["apply_to"]

    def clean(self):
        data = super().clean()
        try:
            tz = zoneinfo.ZoneInfo(data.get("time_zone") or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.add_error("time_zone", _("Unknown time zone."))
            return data
        for name in ("starts_at", "ends_at", "rsvp_deadline"):
            if data.get(name):
                try:
                    data[name] = aware_in(data[name], tz)
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return data

    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data.get("tags", "").split(",") if tag.strip()]

    def action_kwargs(self) -> dict:
        data = self.cleaned_data
        fields = {name: data.get(name) for name in (
            "title", "body", "starts_at", "ends_at", "time_zone", "format", "venue", "address", "map_url",
            "join_url", "capacity", "max_plus_ones", "rsvp_deadline", "visibility")}
        for name in ("body", "venue", "address", "map_url", "join_url"):
            fields[name] = fields[name] or ""
        fields["max_plus_ones"] = fields["max_plus_ones"] or 0
        return {**fields, "hosts": list(data.get("hosts") or []), "tags": self.tag_list(),
                "roles": list(data.get("roles") or []), "cover": data.get("cover") or None,
                "discussion_category": data.get("discussion_category")}


class RSVPForm(forms.Form):
    status = forms.ChoiceField(choices=[(s, s.label) for s in (RSVPStatus.GOING, RSVPStatus.INTERESTED,
                                                                RSVPStatus.NOT_GOING)])
    plus_ones = forms.IntegerField(label=_("Guests"), min_value=0, max_value=10, required=False, initial=0)


class MessageForm(forms.Form):
    audience = forms.ChoiceField(label=_("To"), choices=[
        ("going", _("Confirmed attendees")), ("waitlisted", _("The waitlist")),
        ("all", _("Everyone who answered (going, waitlist, interested)"))])
    subject = forms.CharField(label=_("Subject"), max_length=150)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea, help_text=_("Markdown."))


class FeedbackForm(forms.Form):
    nps = forms.TypedChoiceField(
        label=_("How likely are you to recommend this event to a friend? (0 = not at all, 10 = extremely)"),
        choices=[(n, str(n)) for n in range(11)], coerce=int, widget=forms.RadioSelect)
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied were you with the event?"), coerce=int, widget=forms.RadioSelect,
        choices=[(1, _("1 – very unsatisfied")), (2, "2"), (3, "3"), (4, "4"), (5, _("5 – very satisfied"))])
    comment = forms.CharField(label=_("Anything else you would like to tell the hosts?"), required=False,
                              max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
