"""Signing up, confirming, logging in and out through allauth, rendered in our templates."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and unusual passphrase 42"


def _is_authenticated(client) -> bool:
    return "_auth_user_id" in client.session


def _confirmation_path() -> str:
    assert mail.outbox, "no email was sent"
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


@pytest.mark.parametrize("name", ["login", "signup", "reset_password", "reset_password_done"])
def test_entrance_pages_render_inside_our_layout_with_labelled_fields(client, name):
    response = client.get(reverse(f"account_{name}"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="site-header"' in html  # our base.html
    assert "css/accounts.css" in html
    for input_id in re.findall(r'<input[^>]+type="(?:email|password|text)"[^>]*id="([^"]+)"', html):
        assert f'for="{input_id}"' in html, f"input {input_id} has no label"


def test_signup_form_asks_for_display_name(client):
    html = client.get(reverse("account_signup")).content.decode()
    assert 'name="display_name"' in html
    assert 'for="id_display_name"' in html


def test_signup_verify_by_link_then_login(client, settings):
    response = client.post(reverse("account_signup"), {
        "email": "Newcomer@Example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
        "display_name": "New Comer",
    })
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="newcomer@example.com")
    assert user.display_name == "New Comer"
    assert not EmailAddress.objects.get(user=user).verified
    assert not _is_authenticated(client)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["newcomer@example.com"]
    assert settings.SITE_NAME in mail.outbox[0].body

    page = client.get(reverse("account_email_verification_sent"))
    assert b"Confirm your email address" in page.content

    path = _confirmation_path()
    get = client.get(path)  # GET only shows the page (ACCOUNT_CONFIRM_EMAIL_ON_GET is off)
    assert get.status_code == 200
    assert b"newcomer@example.com" in get.content and b'method="post"' in get.content
    assert not EmailAddress.objects.get(user=user).verified

    confirmed = client.post(path)
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    other = client.__class__()
    response = other.post(reverse("account_login"), {"login": "newcomer@example.com", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert _is_authenticated(other)


def test_signup_refuses_bidi_display_name(client):
    response = client.post(reverse("account_signup"), {
        "email": "sneaky@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
        "display_name": "evil\u202eman",
    })
    assert response.status_code == 200
    assert b"invisible or direction-changing" in response.content
    assert not User.objects.filter(email="sneaky@example.com").exists()


def test_login_before_verification_is_sent_to_verification(client, make_member):
    user = make_member(verified=False)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert not _is_authenticated(client)
    assert mail.outbox and mail.outbox[-1].to == [user.email]


def test_login_with_verified_email(client, member):
    response = client.post(reverse("account_login"), {"login": member.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert _is_authenticated(client)


def test_wrong_password_shows_an_error_in_the_form(client, member):
    response = client.post(reverse("account_login"), {"login": member.email, "password": "nope nope nope"})
    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert not _is_authenticated(client)


def test_repeated_failed_logins_get_429_with_our_page(client, member):
    statuses = [
        client.post(reverse("account_login"), {"login": member.email, "password": f"wrong {i}"}).status_code
        for i in range(5)
    ]
    assert statuses == [200] * 5
    response = client.post(reverse("account_login"), {"login": member.email, "password": "wrong again"})
    assert response.status_code == 429
    assert b"Too many requests" in response.content and b"too many failed attempts" in response.content
    assert b'class="site-header"' in response.content
    # Even the right password is refused while the limit holds.
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert response.status_code == 429
    assert not _is_authenticated(client)


def test_suspended_member_cannot_log_in(client, make_member):
    from datetime import timedelta

    from django.utils import timezone

    user = make_member(suspended_until=timezone.now() + timedelta(days=2), moderation_reason="Spam")
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD}, follow=True)
    assert not _is_authenticated(client)
    assert b"suspended until" in response.content and b"Spam" in response.content


def test_logout_by_get_does_not_log_out(member_client):
    response = member_client.get(reverse("account_logout"))
    assert response.status_code == 200
    assert b'method="post"' in response.content
    assert _is_authenticated(member_client)
    response = member_client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert not _is_authenticated(member_client)


@pytest.mark.parametrize("next_url", [
    "//evil.example", "/\\evil.example", "https:evil.example", "javascript:alert(1)", "https://evil.example/",
    "///evil.example", "\\\\evil.example",
])
def test_login_next_never_leaves_the_site(client, member, next_url):
    response = client.post(f"{reverse('account_login')}", {"login": member.email, "password": PASSWORD,
                                                           "next": next_url})
    assert response.status_code == 302
    assert _is_authenticated(client)
    location = response["Location"]
    parts = urlsplit(location)
    assert parts.scheme in ("", "http", "https") and parts.netloc in ("", "testserver"), location
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location
    assert "evil" not in location


def test_login_next_on_our_site_is_followed(client, member):
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD,
                                                       "next": "/account/preferences/"})
    assert response["Location"] == "/account/preferences/"


def test_password_change_page_renders_in_account_layout(member_client):
    response = member_client.get(reverse("account_change_password"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="account-nav"' in html and 'for="id_oldpassword"' in html


def test_password_reset_sends_a_link_that_sets_a_new_password(client, member):
    response = client.post(reverse("account_reset_password"), {"email": member.email})
    assert response.status_code == 302
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)", mail.outbox[-1].body)
    assert match
    page = client.get(match.group(1), follow=True)
    assert page.status_code == 200 and b"Choose a new password" in page.content
    done = client.post(page.redirect_chain[-1][0] if page.redirect_chain else match.group(1),
                       {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


def test_email_page_lists_addresses_and_offers_change(member_client, member):
    response = member_client.get(reverse("account_email"))
    assert response.status_code == 200
    html = response.content.decode()
    assert member.email in html and 'for="id_email"' in html and 'aria-current="page"' in html


def test_email_change_sends_confirmation(member_client, member):
    response = member_client.post(reverse("account_email"), {"email": "new-address@example.com",
                                                             "action_add": ""})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["new-address@example.com"]
    page = member_client.get(reverse("account_email"))
    assert b"new-address@example.com" in page.content and b"Waiting for confirmation" in page.content


def test_unknown_allauth_pages_still_use_our_layout(member_client):
    """Pages we did not override (here: connected accounts) render through templates/allauth/layouts."""
    response = member_client.get(reverse("socialaccount_connections"))
    assert response.status_code == 200
    assert b'class="site-header"' in response.content


def test_other_rate_limits_answer_with_the_site_429_page(client, settings):
    """allauth's own 429s (here: password reset requests) go through config.urls.handler429."""
    for _ in range(5):
        assert client.post(reverse("account_reset_password"), {"email": "someone@example.com"}).status_code == 302
    response = client.post(reverse("account_reset_password"), {"email": "someone@example.com"})
    assert response.status_code == 429
    assert b"Too many requests" in response.content and b'class="site-header"' in response.content
