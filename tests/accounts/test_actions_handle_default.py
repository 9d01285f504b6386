"""New members get a free @handle at signup, derived from their name or email."""

from __future__ import annotations

import pytest

from accounts import actions
from accounts.models import User


@pytest.mark.django_db
def test_default_handle_from_display_name_and_unique(make_member):
    make_member(handle="ana_lopez")
    user = User.objects.create_user("someone@example.com", "pw-1234567890", display_name="Ana López")
    actions.handle_assign_default(user=user)
    user.refresh_from_db()
    assert user.handle == "ana_lopez2"
    assert user.handle_skeleton


@pytest.mark.django_db
def test_default_handle_from_email_when_no_name():
    user = User.objects.create_user("Jānis.B@example.com", "pw-1234567890")
    actions.handle_assign_default(user=user)
    user.refresh_from_db()
    assert user.handle == "janis_b"


@pytest.mark.django_db
def test_signup_assigns_a_handle(client, mailoutbox):
    response = client.post("/accounts/signup/", {
        "email": "fresh@example.com", "password1": "a-long-and-unusual-passphrase",
        "password2": "a-long-and-unusual-passphrase", "display_name": "Fresh Face",
    })
    assert response.status_code == 302
    assert User.objects.get(email="fresh@example.com").handle == "fresh_face"
