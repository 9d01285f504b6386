"""Who a newsletter segment reaches.

Every kind reaches only people who asked for newsletters: active members with a verified address and
`MemberSettings.newsletter_opt_in`, and (for 'all' and 'by language') confirmed subscribers who are not
members. Suppressed addresses (hard bounces, complaints) are never included.

Loyalty tiers, at-risk members and saved filters come from other apps (community.loyalty, community.metrics);
they are read lazily, and a kind whose source is not installed is reported as unavailable instead of failing.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.content.models import Segment, SegmentKind, Subscriber, SubscriberStatus, Suppression, TagFollow


AT_RISK_LIMIT = 100_000  # the at-risk report lists the lowest scores first; a newsletter wants them all


class SegmentUnavailable(ValueError):
    """The segment's source (another app) is not installed or does not offer what the kind needs."""


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    name: str
    language: str
    member_id: int | None
    subscriber_id: int | None


def _model(app_label: str, name: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _function(module_name: str, name: str):
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, name, None)


def kind_availability() -> dict[str, bool]:
    """Which segment kinds can be used now (the editor's form shows the others as unavailable)."""
    return {
        SegmentKind.ALL: True,
        SegmentKind.LANGUAGE: True,
        SegmentKind.TAGS: True,
        SegmentKind.TIER: _model("loyalty", "MemberTier") is not None and _model("loyalty", "Tier") is not None,
        SegmentKind.AT_RISK: _function("community.metrics.selectors", "at_risk_members") is not None,
        # A saved filter works everywhere: a metrics SavedSegment when chosen, else the segment's own filter.
        SegmentKind.SAVED: True,
    }


def loyalty_tiers() -> list[tuple[int, str]]:
    Tier = _model("loyalty", "Tier")
    return [(tier.pk, tier.name) for tier in Tier.objects.all()] if Tier is not None else []


def saved_segments() -> list[tuple[int, str]]:
    SavedSegment = _model("metrics", "SavedSegment")
    return [(s.pk, s.name) for s in SavedSegment.objects.all()[:200]] if SavedSegment is not None else []


def opted_in_members() -> QuerySet:
    from accounts.models import User

    return (
        User.objects.active()
        .filter(settings__newsletter_opt_in=True)
        .filter(emailaddress__verified=True, emailaddress__primary=True)
        .exclude(email__in=Suppression.objects.values("email"))
    )


def confirmed_subscribers() -> QuerySet:
    return Subscriber.objects.filter(status=SubscriberStatus.CONFIRMED).exclude(
        email__in=Suppression.objects.values("email")
    )


def _member_ids_from(result) -> QuerySet | list[int]:
    """Accept what another app's selector returns: a queryset of members (or of rows with a member), or an
    iterable of members, ids or dicts."""
    from accounts.models import User

    if isinstance(result, QuerySet):
        if result.model is User:
            return result.values("pk")
        if any(field.name == "member" for field in result.model._meta.fields):
            return result.values("member_id")
        return result
    ids: list[int] = []
    for item in result or ():
        if isinstance(item, int):
            ids.append(item)
        elif isinstance(item, dict):
            ids.append(int(item.get("member_id") or item.get("id") or item.get("pk")))
        elif getattr(item, "member_id", None):
            ids.append(int(item.member_id))
        elif getattr(item, "member", None) is not None:
            ids.append(int(item.member.pk))
        else:
            ids.append(int(item.pk))
    return ids


def _own_filter(members: QuerySet, spec: dict) -> QuerySet:
    """The segment's own saved filter (used when the metrics app offers no SavedSegment)."""
    languages = [code for code in spec.get("languages") or [] if isinstance(code, str)]
    if languages:
        members = members.filter(locale__in=languages)
    for key, lookup in (("joined_after", "date_joined__date__gte"), ("joined_before", "date_joined__date__lt")):
        value = spec.get(key)
        if value:
            try:
                members = members.filter(**{lookup: date.fromisoformat(str(value))})
            except ValueError as exc:
                raise SegmentUnavailable(_("The saved filter has an invalid date.")) from exc
    inactive = spec.get("min_days_inactive")
    if inactive not in (None, ""):
        cutoff = timezone.now() - timedelta(days=int(inactive))
        members = members.filter(Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True))
    return members


def segment_members(segment: Segment) -> QuerySet:
    """The members a segment reaches (already limited to opted-in, verified, not suppressed)."""
    members = opted_in_members()
    kind = segment.kind
    if kind == SegmentKind.ALL:
        return members
    if kind == SegmentKind.LANGUAGE:
        return members.filter(locale=segment.language)
    if kind == SegmentKind.TAGS:
        follows = TagFollow.objects.filter(tag__slug__in=list(segment.tag_slugs or []))
        return members.filter(pk__in=follows.values("member_id"))
    if kind == SegmentKind.TIER:
        MemberTier = _model("loyalty", "MemberTier")
        if MemberTier is None:
            raise SegmentUnavailable(_("Loyalty tiers are not available."))
        return members.filter(pk__in=MemberTier.objects.filter(tier_id=segment.loyalty_tier_id).values("member_id"))
    if kind == SegmentKind.AT_RISK:
        at_risk_members = _function("community.metrics.selectors", "at_risk_members")
        if at_risk_members is None:
            raise SegmentUnavailable(_("The at-risk report is not available."))
        try:
            found = at_risk_members(limit=AT_RISK_LIMIT)
        except TypeError:  # an older signature without `limit`
            found = at_risk_members()
        return members.filter(pk__in=_member_ids_from(found))
    if kind == SegmentKind.SAVED:
        SavedSegment = _model("metrics", "SavedSegment")
        if segment.saved_segment_id and SavedSegment is not None:
            saved = SavedSegment.objects.filter(pk=segment.saved_segment_id).first()
            if saved is None:
                raise SegmentUnavailable(_("The saved filter no longer exists."))
            return members.filter(pk__in=saved.members.values("pk"))
        return _own_filter(members, segment.filter or {})
    raise SegmentUnavailable(_("Unknown segment kind."))


def segment_subscribers(segment: Segment) -> QuerySet:
    """Confirmed non-member subscribers a segment reaches ('all' and 'by language' only)."""
    if not segment.include_subscribers or segment.kind not in {SegmentKind.ALL, SegmentKind.LANGUAGE}:
        return Subscriber.objects.none()
    subscribers = confirmed_subscribers()
    if segment.kind == SegmentKind.LANGUAGE:
        subscribers = subscribers.filter(language=segment.language)
    return subscribers


def recipients(segment: Segment, *, chunk_size: int = 2000) -> Iterator[Recipient]:
    """Every recipient of a segment, streamed (memory flat in the number of recipients).

    Members come first, so that a member who is also a subscriber is addressed as the member (deliveries are
    unique per issue and address).
    """
    members = segment_members(segment).order_by("pk").values_list("pk", "email", "display_name", "handle", "locale")
    for pk, email, display_name, handle, locale in members.iterator(chunk_size=chunk_size):
        yield Recipient(email=email.lower(), name=display_name or (handle or ""), language=locale,
                        member_id=pk, subscriber_id=None)
    subscribers = segment_subscribers(segment).order_by("pk").values_list("pk", "email", "name", "language")
    for pk, email, name, language in subscribers.iterator(chunk_size=chunk_size):
        yield Recipient(email=email.lower(), name=name, language=language, member_id=None, subscriber_id=pk)


def segment_count(segment: Segment) -> int:
    """Recipients the segment would reach now (addresses counted once)."""
    members = segment_members(segment)
    member_count = members.count()
    subscribers = segment_subscribers(segment).exclude(email__in=members.values("email"))
    return member_count + subscribers.count()
