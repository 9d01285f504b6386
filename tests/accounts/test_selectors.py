"""accounts.selectors: who may take part, and why not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts import actions
from accounts.models import Delivery, NotificationPreference
from accounts.preferences import KINDS
from accounts.selectors import can_participate, notification_choices, participation_refusal
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_verified_active_member_may_participate(member):
    assert can_participate(member)
    assert participation_refusal(member) is None


def test_unverified_member_is_flagged_as_unable_to_post(make_member):
    user = make_member(verified=False)
    assert not can_participate(user)
    assert "confirm your email address" in participation_refusal(user)


def test_verified_but_not_primary_address_does_not_count(make_member):
    user = make_member(verified=False)
    EmailAddress.objects.create(user=user, email="second@example.com", verified=True, primary=False)
    assert not can_participate(user)


def test_anonymous_visitor_is_asked_to_log_in():
    assert not can_participate(AnonymousUser())
    assert "log in" in participation_refusal(AnonymousUser())
    assert not can_participate(None)


def test_silenced_member_may_not_post_and_sees_reason(make_member):
    user = make_member(silenced_until=timezone.now() + timedelta(hours=3), moderation_reason="Off-topic spam")
    assert not can_participate(user)
    message = participation_refusal(user)
    assert "not take part" in message and "Off-topic spam" in message


def test_silence_that_ended_no_longer_applies(make_member):
    user = make_member(silenced_until=timezone.now() - timedelta(minutes=1))
    assert can_participate(user)


def test_suspended_member_may_not_post(make_member):
    user = make_member(suspended_until=timezone.now() + timedelta(days=1))
    assert "suspended" in participation_refusal(user)


def test_inactive_and_deleted_members_may_not_post(make_member):
    inactive = make_member(is_active=False)
    assert participation_refusal(inactive) == "This account is closed."
    deleted = make_member()
    actions.account_delete(user=deleted, password=PASSWORD)
    assert not can_participate(deleted)


def test_email_check_is_one_query_per_user_object(member, django_assert_num_queries):
    with django_assert_num_queries(1):
        for _ in range(5):
            assert can_participate(member)


def test_notification_choices_fall_back_to_defaults(member, django_assert_num_queries):
    NotificationPreference.objects.create(user=member, kind="reply", delivery=Delivery.OFF)
    with django_assert_num_queries(1):
        choices = notification_choices(member)
    assert [kind.key for kind, _ in choices] == [kind.key for kind in KINDS]
    chosen = {kind.key: delivery for kind, delivery in choices}
    assert chosen["reply"] == Delivery.OFF
    assert chosen["mention"] == next(k.default for k in KINDS if k.key == "mention")
