"""Views of loyalty (thin): parse, call one action or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import MANAGE_LOYALTY
from community.loyalty import actions, selectors
from community.loyalty.forms import RewardCodesForm, RuleFormSet, TierFormSet
from community.loyalty.models import PointRule, Reward, Tier


@login_required
def my_points(request):
    summary = selectors.loyalty_summary(member=request.user)
    return render(request, "loyalty/my_points.html", {"summary": summary, "nav": "points"})


def leaderboard(request):
    period = request.GET.get("period", "week")
    if period not in selectors.PERIODS:
        period = "week"
    rows = selectors.leaderboard(period=period, limit=25)
    return render(request, "loyalty/leaderboard.html", {"rows": rows, "period": period, "nav": "leaderboard"})


def rewards(request):
    balance = 0
    if request.user.is_authenticated:
        balance = selectors.loyalty_balance(member=request.user)
    return render(request, "loyalty/rewards.html",
                  {"rewards": selectors.rewards_catalogue(), "balance": balance, "nav": "rewards"})


@login_required
@require_POST
def redeem(request, pk: int):
    try:
        redemption = actions.reward_redeem(member=request.user, reward_id=pk)
    except (ValueError, PermissionDenied) as exc:
        messages.error(request, str(exc))
        return redirect("loyalty:rewards")
    messages.success(request, _("Redeemed %(reward)s. We have emailed you the details.")
                     % {"reward": redemption.reward.name})
    return redirect("loyalty:my_points")


@login_required
@permission_required(MANAGE_LOYALTY, raise_exception=True)
def manage(request):
    rules = RuleFormSet(request.POST or None, prefix="rules", queryset=PointRule.objects.all())
    tiers = TierFormSet(request.POST or None, prefix="tiers", queryset=Tier.objects.all())
    codes = RewardCodesForm(prefix="codes")
    if request.method == "POST":
        if request.POST.get("form") == "codes":
            codes = RewardCodesForm(request.POST, prefix="codes")
            if codes.is_valid():
                added = actions.reward_codes_add(actor=request.user, reward=codes.cleaned_data["reward"],
                                                 codes=codes.cleaned_data["codes"].splitlines())
                messages.success(request, _("%(n)s codes added.") % {"n": added})
                return redirect("loyalty:manage")
        elif rules.is_valid() and tiers.is_valid():
            actions.loyalty_settings_save(actor=request.user, formsets=[rules, tiers])
            messages.success(request, _("Loyalty settings saved."))
            return redirect("loyalty:manage")
    return render(request, "loyalty/manage.html", {
        "rules": rules, "tiers": tiers, "codes": codes,
        "rewards": Reward.objects.all(), "nav": "dashboard",
    })
