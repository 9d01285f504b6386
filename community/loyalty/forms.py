from __future__ import annotations

from django import forms
from django.forms import modelformset_factory
from django.utils.translation import gettext_lazy as _

from community.loyalty.models import PointRule, Reward, Tier

RuleFormSet = modelformset_factory(PointRule, fields=["kind", "points", "daily_cap", "active"], extra=1,
                                   can_delete=False)
TierFormSet = modelformset_factory(Tier, fields=["name", "threshold", "window_days", "color"], extra=1,
                                   can_delete=True)


class RedeemForm(forms.Form):
    confirm = forms.BooleanField(label=_("I want to spend my points on this reward"), required=True)


class RewardCodesForm(forms.Form):
    reward = forms.ModelChoiceField(queryset=Reward.objects.filter(kind=Reward.Kind.CODE), label=_("Reward"))
    codes = forms.CharField(widget=forms.Textarea, label=_("Codes, one a line"))
