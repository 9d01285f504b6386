from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.metrics.reports.base import GRAINS, Filters

MAX_RANGE_DAYS = 731


class DashboardFilterForm(forms.Form):
    """GET parameters of the dashboard: date range, grain and member filters."""

    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    grain = forms.ChoiceField(label=_("Group by"), required=False,
                              choices=[("day", _("Day")), ("week", _("Week")), ("month", _("Month"))])
    language = forms.ChoiceField(label=_("Language"), required=False)
    tier = forms.TypedChoiceField(label=_("Tier"), required=False, coerce=int, empty_value=None)
    cohort = forms.CharField(label=_("Join month"), required=False,
                             widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-01"}))
    category = forms.TypedChoiceField(label=_("Forum category"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, tiers=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("All"))] + list(settings.LANGUAGES)
        self.fields["tier"].choices = [("", _("All"))] + [(t.pk, t.name) for t in tiers]
        self.fields["category"].choices = [("", _("All"))] + [(c.pk, c.name) for c in categories]
        if not self.is_bound:
            defaults = self.filters()
            self.initial.update({"start": defaults.start, "end": defaults.end, "grain": defaults.grain})

    def clean_cohort(self):
        value = (self.cleaned_data.get("cohort") or "").strip()
        if not value:
            return None
        try:
            year, month = (int(part) for part in value.split("-")[:2])
            return date(year, month, 1)
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(_("Enter a month as YYYY-MM.")) from exc

    def clean(self):
        data = super().clean()
        today = timezone.now().date()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=12 * 7 - 1)
        if start > end:
            self.add_error("start", _("The start must be before the end."))
            start = end - timedelta(days=12 * 7 - 1)
        if (end - start).days > MAX_RANGE_DAYS:
            self.add_error("start", _("Choose at most two years."))
            start = end - timedelta(days=MAX_RANGE_DAYS)
        data["start"], data["end"] = start, end
        data["grain"] = data.get("grain") if data.get("grain") in GRAINS else "week"
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        today = timezone.now().date()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=12 * 7 - 1)  # the default view metrics_refresh warms
        return Filters(start=start, end=end, grain=data.get("grain") or "week", category=data.get("category"),
                       language=data.get("language") or None, tier=data.get("tier"), cohort=data.get("cohort"))


class MemberListForm(forms.Form):
    """At-risk actions: what to do with the ticked members (the `members` checkboxes, parsed by the view)."""

    ACTIONS = [("segment", _("Add to a newsletter segment")), ("digest", _("Include in the next digest")),
               ("campaign", _("Start a win-back campaign"))]
    action = forms.ChoiceField(choices=ACTIONS, label=_("Action"))
    name = forms.CharField(label=_("Segment or campaign name"), max_length=120, required=False)
    holdout = forms.IntegerField(label=_("Holdout %"), min_value=1, max_value=99, initial=20, required=False)


class PersonalMessageForm(forms.Form):
    message = forms.CharField(label=_("Message"), widget=forms.Textarea, max_length=2000)
