"""accounts.sessions and accounts.backends: Django's behaviour, read with raw queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.backends import AuthenticationBackend, ModelBackend
from accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_loads_and_an_expired_or_unknown_one_does_not():
    store = SessionStore()
    store["colour"] = "teal"
    store.save()
    assert SessionStore(store.session_key)["colour"] == "teal"
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    expired = SessionStore(store.session_key)
    assert expired.get("colour") is None and expired.session_key is None  # a fresh session if saved
    assert SessionStore("x" * 32).get("colour") is None
    assert SessionStore("short").get("colour") is None  # not a valid key at all


def test_signed_in_member_is_loaded_and_an_inactive_one_is_not(client, member, login):
    signed_in = login(member)
    assert signed_in.get("/notifications/").status_code == 200
    member.is_active = False
    member.save(update_fields=["is_active"])
    response = signed_in.get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("backend", [ModelBackend(), AuthenticationBackend()])
def test_backends_load_the_member_by_id(backend, member, make_member):
    loaded = backend.get_user(member.pk)
    expected = type(member).objects.get(pk=member.pk)
    # every column as the ORM gives it (times aware, booleans, choices...)
    assert {f.attname: getattr(loaded, f.attname) for f in expected._meta.concrete_fields} == \
        {f.attname: getattr(expected, f.attname) for f in expected._meta.concrete_fields}
    assert loaded.date_joined.tzinfo is not None
    assert backend.get_user(str(member.pk)).email == member.email
    assert backend.get_user(10**9) is None
    assert backend.get_user("not-a-number") is None
    gone = make_member(is_active=False)
    assert backend.get_user(gone.pk) is None


def test_session_of_a_member_names_our_backend(member, login):
    client = login(member)
    session = SessionStore(client.cookies["sessionid"].value)
    assert session[SESSION_KEY] == str(member.pk)
    assert session["_auth_user_backend"] == "accounts.backends.ModelBackend"
