"""Writes of the loyalty app. Points are only ever changed by appending a PointEntry here.

Concurrency: every change to one member's points first locks that member's MemberPoints row
(`select_for_update`), so daily caps, balances and redemptions stay consistent under concurrent actions.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from accounts.roles import MANAGE_LOYALTY
from community.loyalty.badges import BADGES, Totals, badges_triggered_by
from community.loyalty.models import (
    BadgeAward,
    MemberPoints,
    MemberTier,
    PointEntry,
    PointRule,
    Redemption,
    Reward,
    RewardCode,
    Tier,
)
from community.notifications.actions import notify

log = logging.getLogger(__name__)

# Entries that count as "earned" (leaderboards, tiers): everything except spending points on rewards.
EARNING_REASONS = [PointEntry.Reason.EARNED, PointEntry.Reason.REVERSED, PointEntry.Reason.ADJUSTED,
                   PointEntry.Reason.BADGE]


class LoyaltyError(ValueError):
    """A loyalty action that cannot be done; the message is shown to the member."""


# --- points -----------------------------------------------------------------------------------------------

def _lock_points(member) -> MemberPoints:
    """The member's MemberPoints row, created if needed and locked until the transaction ends."""
    try:
        return MemberPoints.objects.select_for_update().get(member=member)
    except MemberPoints.DoesNotExist:
        try:
            with transaction.atomic():
                MemberPoints.objects.create(member=member)
        except IntegrityError:
            pass  # a concurrent action created it; lock theirs
        return MemberPoints.objects.select_for_update().get(member=member)


def _append(*, member, points: int, reason: str, kind: str = "", note: str = "", participation=None,
            reverses: PointEntry | None = None, at: datetime | None = None) -> PointEntry:
    """Append one entry and move the cached balance in the same transaction (caller holds the lock)."""
    at = at or timezone.now()
    entry = PointEntry.objects.create(
        member=member, points=points, reason=reason, kind=kind, note=note[:200], participation=participation,
        reverses=reverses, day=at.astimezone(dt_timezone.utc).date() if timezone.is_aware(at) else at.date(),
        created_at=at,
    )
    earned_delta = points if reason in EARNING_REASONS else 0
    MemberPoints.objects.filter(member=member).update(
        balance=F("balance") + points, earned=F("earned") + earned_delta, updated_at=timezone.now()
    )
    return entry


def _rule_for(kind: str) -> PointRule | None:
    return PointRule.objects.filter(kind=kind, active=True).first()


@transaction.atomic
def points_award_for_participation(*, participation) -> int:
    """Award the rule's points for one recorded act, within the kind's daily cap. Returns points awarded."""
    rule = _rule_for(participation.kind)
    if rule is None or rule.points == 0:
        return 0
    member = participation.member
    _lock_points(member)
    points = rule.points
    if rule.daily_cap is not None and points > 0:
        used = (
            PointEntry.objects.filter(member=member, kind=participation.kind, day=participation.day,
                                      reason=PointEntry.Reason.EARNED).aggregate(s=Sum("points"))["s"]
            or 0
        )
        points = min(points, rule.daily_cap - used)
        if points <= 0:
            return 0
    _append(member=member, points=points, reason=PointEntry.Reason.EARNED, kind=participation.kind,
            participation=participation, at=participation.occurred_at)
    return points


@transaction.atomic
def points_reverse_for_participation(*, participation, note: str = "") -> int:
    """Cancel every not-yet-reversed entry earned by this act with a negative entry. Returns points removed."""
    member = participation.member
    _lock_points(member)
    removed = 0
    entries = PointEntry.objects.filter(participation=participation, points__gt=0, reversal__isnull=True)
    for entry in entries:
        _append(member=member, points=-entry.points, reason=PointEntry.Reason.REVERSED, kind=entry.kind,
                note=note or gettext_now("Reversed: %(kind)s") % {"kind": entry.kind},
                participation=participation, reverses=entry)
        removed += entry.points
    return removed


@transaction.atomic
def points_adjust(*, actor, member, points: int, note: str) -> PointEntry:
    """A manager's manual correction, audited."""
    if not actor.has_perm(MANAGE_LOYALTY):
        raise PermissionDenied(_("You may not adjust points."))
    if points == 0:
        raise LoyaltyError(_("Enter a non-zero number of points."))
    _lock_points(member)
    entry = _append(member=member, points=points, reason=PointEntry.Reason.ADJUSTED, note=note)
    from accounts.actions import audit

    audit(actor=actor, action="loyalty.points.adjust", target=member, points=points, note=note)
    return entry


# --- tiers ------------------------------------------------------------------------------------------------

def window_points(member, *, window_days: int, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return (
        PointEntry.objects.filter(member=member, reason__in=EARNING_REASONS,
                                  created_at__gt=now - timedelta(days=window_days)).aggregate(s=Sum("points"))["s"]
        or 0
    )


def tier_for(member, *, now: datetime | None = None, tiers: list[Tier] | None = None) -> Tier | None:
    """The highest tier whose threshold the member's points over its window reach."""
    tiers = tiers if tiers is not None else list(Tier.objects.order_by("-threshold"))
    by_window: dict[int, int] = {}
    for tier in sorted(tiers, key=lambda t: -t.threshold):
        if tier.window_days not in by_window:
            by_window[tier.window_days] = window_points(member, window_days=tier.window_days, now=now)
        if by_window[tier.window_days] >= tier.threshold:
            return tier
    return None


@transaction.atomic
def tier_refresh(*, member, now: datetime | None = None, allow_down: bool = True,
                 tiers: list[Tier] | None = None) -> MemberTier:
    """Bring the member's tier up to date; notify on change. Promotions happen at once, demotions in the
    periodic `loyalty_tier_check` (allow_down)."""
    now = now or timezone.now()
    tiers = tiers if tiers is not None else list(Tier.objects.order_by("-threshold"))
    state, _created = MemberTier.objects.select_for_update().get_or_create(member=member)
    new = tier_for(member, now=now, tiers=tiers)
    old = state.tier
    old_threshold = old.threshold if old else -1
    new_threshold = new.threshold if new else -1
    if new_threshold == old_threshold or (new_threshold < old_threshold and not allow_down):
        return state
    state.tier = new
    state.since = now
    state.warned_at = None
    state.save(update_fields=["tier", "since", "warned_at"])
    url = reverse("loyalty:my_points")
    if new_threshold > old_threshold:
        notify(recipient=member, kind="loyalty", target=new, url=url,
               data={"event": "tier.up", "tier": new.name if new else "",
                     "title": _say(member, _("You reached %(tier)s"), tier=new.name if new else "")})
    else:
        notify(recipient=member, kind="loyalty", target=new, url=url,
               data={"event": "tier.down", "tier": new.name if new else "", "previous": old.name if old else "",
                     "title": _say(member, _("Your tier is now %(tier)s"),
                                   tier=new.name if new else _say(member, _("none")))})
    return state


def _say(member, message, **values) -> str:
    """A notification title in the member's language."""
    with translation.override(getattr(member, "locale", None) or settings.LANGUAGE_CODE):
        return str(message) % {k: str(v) for k, v in values.items()} if values else str(message)


# --- badges -----------------------------------------------------------------------------------------------

def member_totals(member) -> Totals:
    from community.metrics.models import DailyActivity

    agg = DailyActivity.objects.filter(member=member).aggregate(
        topics=Sum("topics"), replies=Sum("replies"), reactions_received=Sum("reactions_received"),
        answers_accepted=Sum("answers_accepted"), attended=Sum("attended"), active_days=Count("pk"),
    )
    return Totals(**{k: v or 0 for k, v in agg.items()})


def badge_award(*, member, slug: str, at: datetime | None = None) -> BadgeAward | None:
    """Award a badge once. Two racing awards: the unique constraint lets one win; the other returns None."""
    badge = BADGES[slug]
    try:
        with transaction.atomic():
            award = BadgeAward.objects.create(member=member, badge=slug, awarded_at=at or timezone.now())
    except IntegrityError:
        return None
    notify(recipient=member, kind="loyalty", target=award, url=reverse("loyalty:my_points"),
           data={"event": "badge", "badge": slug, "name": _say(member, badge.name),
                 "title": _say(member, _("New badge: %(badge)s"), badge=badge.name)})
    return award


def badges_check(*, member, kind: str) -> list[BadgeAward]:
    """After an act of `kind`, award the badges it may have earned (criteria in community.loyalty.badges)."""
    candidates = badges_triggered_by(kind)
    if not candidates:
        return []
    have = set(BadgeAward.objects.filter(member=member, badge__in=[b.slug for b in candidates])
               .values_list("badge", flat=True))
    candidates = [b for b in candidates if b.slug not in have]
    if not candidates:
        return []
    totals = member_totals(member)
    awarded = []
    for badge in candidates:
        if badge.earned(member, totals):
            award = badge_award(member=member, slug=badge.slug)
            if award:
                awarded.append(award)
    return awarded


# --- rewards ----------------------------------------------------------------------------------------------

def reward_redeem(*, member, reward_id: int) -> Redemption:
    """Spend points on a reward: checks balance and stock under row locks, assigns a code, emails it after
    commit."""
    if not member.is_authenticated or member.is_suspended():
        raise PermissionDenied(_("You may not redeem rewards."))
    with transaction.atomic():
        reward = Reward.objects.select_for_update().filter(pk=reward_id, active=True).first()
        if reward is None:
            raise LoyaltyError(_("This reward is not available."))
        if reward.stock is not None and reward.stock <= 0:
            raise LoyaltyError(_("This reward is out of stock."))
        points = _lock_points(member)
        if points.balance < reward.price:
            raise LoyaltyError(_("You need %(price)s points; you have %(balance)s.")
                               % {"price": reward.price, "balance": points.balance})
        code = None
        if reward.kind == Reward.Kind.CODE:
            code = RewardCode.objects.select_for_update().filter(reward=reward, assigned_at__isnull=True).order_by(
                "pk").first()
            if code is None:
                raise LoyaltyError(_("This reward is out of stock."))
            code.assigned_at = timezone.now()
            code.save(update_fields=["assigned_at"])
        if reward.stock is not None:
            Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - 1)
        entry = _append(member=member, points=-reward.price, reason=PointEntry.Reason.REDEEMED,
                        note=reward.name)
        redemption = Redemption.objects.create(member=member, reward=reward, points=reward.price, entry=entry,
                                               code=code)
        transaction.on_commit(lambda: redemption_email(redemption_id=redemption.pk))
    return redemption


def redemption_email(*, redemption_id: int) -> None:
    """Email the member their reward (and code). Runs after commit."""
    redemption = Redemption.objects.select_related("member", "reward", "code").get(pk=redemption_id)
    member = redemption.member
    if not member.email or member.is_deleted:
        return
    from community.notifications import mail  # the one door for outgoing mail (headers checked)

    with translation.override(member.locale or settings.LANGUAGE_CODE):
        lines = [gettext_now("Thank you for redeeming %(points)s points for: %(reward)s.")
                 % {"points": redemption.points, "reward": redemption.reward.name}]
        if redemption.code:
            lines.append(gettext_now("Your code: %(code)s") % {"code": redemption.code.code})
        else:
            lines.append(gettext_now("We will contact you about delivery."))
        lines.append(settings.SITE_URL + reverse("loyalty:my_points"))
        subject = gettext_now("Your reward: %(reward)s") % {"reward": redemption.reward.name}
    text = "\n\n".join(lines)
    try:
        mail.build_message(to=member.email, subject=subject, text=text, html="<p>" + "</p><p>".join(
            escape(line) for line in lines) + "</p>").send()
    except Exception:  # noqa: BLE001 - mail failure must not lose the redemption; it stays visible on /me/points/
        log.exception("reward email failed for redemption %s", redemption_id)
        return
    Redemption.objects.filter(pk=redemption_id).update(emailed_at=timezone.now())


# --- managers' edits --------------------------------------------------------------------------------------

def _require_manager(actor) -> None:
    if not actor.has_perm(MANAGE_LOYALTY):
        raise PermissionDenied(_("You may not change loyalty settings."))


@transaction.atomic
def loyalty_settings_save(*, actor, formsets) -> None:
    """Save the manager page's rule and tier formsets (already validated), audited."""
    _require_manager(actor)
    from accounts.actions import audit

    for formset in formsets:
        formset.save()
    audit(actor=actor, action="loyalty.settings.change", target=None)


@transaction.atomic
def reward_codes_add(*, actor, reward: Reward, codes: list[str]) -> int:
    _require_manager(actor)
    added = 0
    for code in {c.strip() for c in codes if c.strip()}:
        _obj, created = RewardCode.objects.get_or_create(reward=reward, code=code[:80])
        added += created
    return added


def tier_check_all(*, now: datetime | None = None, warn_days: int = 14, stdout=None) -> dict[str, int]:
    """Periodic: demote members below their tier and warn members about to lose it (loyalty_tier_check)."""
    from community.loyalty.selectors import tier_outlook

    now = now or timezone.now()
    tiers = list(Tier.objects.order_by("-threshold"))
    counts = {"checked": 0, "changed": 0, "warned": 0}
    holders = MemberTier.objects.filter(tier__isnull=False).select_related("member", "tier")
    for state in holders.iterator(chunk_size=500):
        counts["checked"] += 1
        before = state.tier_id
        new_state = tier_refresh(member=state.member, now=now, allow_down=True, tiers=tiers)
        if new_state.tier_id != before:
            counts["changed"] += 1
            continue
        outlook = tier_outlook(member=state.member, now=now, horizon_days=warn_days, tiers=tiers)
        if outlook and (state.warned_at is None or state.warned_at < now - timedelta(days=7)):
            notify(recipient=state.member, kind="loyalty", target=state.tier, url=reverse("loyalty:my_points"),
                   data={"event": "tier.at_risk", "tier": state.tier.name, "points": outlook.points_needed,
                         "by": outlook.deadline.isoformat(),
                         "title": _say(state.member, _("%(points)s points by %(date)s keeps %(tier)s"),
                                       points=outlook.points_needed, tier=state.tier.name,
                                       date=date_format(outlook.deadline, "j F"))})
            MemberTier.objects.filter(pk=state.pk).update(warned_at=now)
            counts["warned"] += 1
    return counts


def utc_day(at: datetime) -> date:
    return at.astimezone(dt_timezone.utc).date() if timezone.is_aware(at) else at.date()
