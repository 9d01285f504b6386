"""Root fixtures: members of every role, signed-in clients. Apps add their own factories in tests/<app>/."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from accounts.models import MemberSettings, User
from accounts.roles import Role, add_role, ensure_roles
from accounts.validation import handle_skeleton

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` skip (before any fixture runs) unless the default database is PostgreSQL."""
    from django.db import connections

    if connections["default"].vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test starts with an empty cache (rate limits, presence)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language_and_zone(settings):
    """Each test starts in the default language and zone: a member's request activates theirs in this thread
    (accounts.middleware.MemberLocaleMiddleware) and nothing else would switch it back before the next test."""
    from django.utils import timezone, translation

    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


@pytest.fixture(autouse=True)
def _no_visit_tracking(settings):
    """The metrics visit middleware writes on a member's first request of the day; off in tests so that query
    counts measure the page itself (tests/metrics/test_middleware.py turns it on)."""
    settings.METRICS_TRACK_VISITS = False


@pytest.fixture
def make_member(db) -> Callable[..., User]:
    def make(*, role: Role | None = Role.MEMBER, verified: bool = True, staff: bool = False,
             handle: str | None = None, **fields) -> User:
        n = next(_counter)
        handle = handle or f"member{n}"
        fields.setdefault("display_name", f"Member {n}")
        user = User.objects.create_user(
            fields.pop("email", f"{handle}@example.com"), PASSWORD, handle=handle,
            handle_skeleton=handle_skeleton(handle), is_staff=staff, is_superuser=staff, **fields
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
        MemberSettings.objects.create(user=user)
        if role:
            ensure_roles()
            add_role(user, role)
        return user

    return make


@pytest.fixture
def member(make_member) -> User:
    return make_member()


@pytest.fixture
def other_member(make_member) -> User:
    return make_member()


@pytest.fixture
def moderator(make_member) -> User:
    return make_member(role=Role.MODERATOR)


@pytest.fixture
def manager(make_member) -> User:
    return make_member(role=Role.COMMUNITY_MANAGER)


@pytest.fixture
def editor(make_member) -> User:
    return make_member(role=Role.EDITOR)


@pytest.fixture
def staff_member(make_member) -> User:
    return make_member(staff=True)


@pytest.fixture
def login() -> Callable[[User], Client]:
    def make_client(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make_client


@pytest.fixture
def member_client(member, login) -> Client:
    return login(member)
