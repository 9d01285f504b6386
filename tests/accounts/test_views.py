"""Account pages: overview, profile, avatar, preferences, deletion, language switcher."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts import actions
from accounts.models import AuditLog, Delivery, MemberSettings, NotificationPreference, User
from accounts.preferences import KINDS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _labelled(html: str) -> None:
    """Every visible form control has a label that points at it."""
    controls = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="(?:hidden|submit)")[^>]*\bid="([^"]+)"', html)
    assert controls
    for control_id in controls:
        assert f'for="{control_id}"' in html, f"control {control_id} has no label"


@pytest.mark.parametrize("url", ["/account/", "/account/profile/", "/account/preferences/", "/account/export/",
                                 "/account/delete/"])
def test_account_pages_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_account_page_links_everything(member_client, member):
    response = member_client.get("/account/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ["accounts:profile_edit", "accounts:preferences", "account_email", "account_change_password",
                 "accounts:export", "accounts:delete"]:
        assert f'href="{reverse(name)}"' in html
    assert member.email in html and 'aria-current="page"' in html


def test_profile_edit_page_renders_labelled_form(member_client, member):
    response = member_client.get("/account/profile/")
    assert response.status_code == 200
    html = response.content.decode()
    _labelled(html)
    assert f'value="{member.handle}"' in html
    assert 'enctype="multipart/form-data"' in html


def test_profile_edit_saves(member_client, member):
    response = member_client.post("/account/profile/", {
        "display_name": "Jo Jones", "handle": "jo_jones", "bio": "Hi *there*", "locale": "sw",
        "time_zone": "Africa/Nairobi",
    })
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.display_name, member.handle, member.locale, member.time_zone) == (
        "Jo Jones", "jo_jones", "sw", "Africa/Nairobi")
    assert "<em>there</em>" in member.bio_html


def test_profile_edit_shows_clear_errors(member_client, member, make_member):
    make_member(handle="admin")
    response = member_client.post("/account/profile/", {
        "display_name": "Bad\u200bName", "handle": "adm1n", "bio": "", "locale": "en", "time_zone": "UTC",
    })
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "invisible or direction-changing" in html
    member.refresh_from_db()
    assert member.handle != "adm1n"


def test_profile_edit_refuses_lookalike_handle_with_message(member_client, make_member):
    make_member(handle="admin")
    response = member_client.post("/account/profile/", {
        "display_name": "Fine", "handle": "adm1n", "bio": "", "locale": "en", "time_zone": "UTC",
    })
    assert response.status_code == 400
    assert "looks too much like another member" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()


def _png(size=(64, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "purple").save(buffer, format="PNG")
    return buffer.getvalue()


def test_avatar_upload_via_page(member_client, member, settings):
    upload = SimpleUploadedFile("me.png", _png(), content_type="image/png")
    response = member_client.post("/account/avatar/", {"avatar": upload})
    assert response.status_code == 302
    member.refresh_from_db()
    assert re.fullmatch(r"avatars/[0-9a-f]{32}\.(webp|png)", member.avatar.name)
    with member.avatar.open("rb") as stored:
        assert Image.open(stored).size == (settings.AVATAR_SIZE, settings.AVATAR_SIZE)
    page = member_client.get("/account/profile/")
    assert member.avatar.url.encode() in page.content


def test_avatar_refusal_is_shown_on_the_page(member_client, member):
    upload = SimpleUploadedFile("doc.png", b"%PDF-1.7 not an image", content_type="image/png")
    response = member_client.post("/account/avatar/", {"avatar": upload})
    assert response.status_code == 400
    assert "not an image we can read" in response.content.decode()
    member.refresh_from_db()
    assert not member.avatar


def test_avatar_remove_via_page(member_client, member):
    actions.avatar_set(user=member, upload=SimpleUploadedFile("me.png", _png()))
    response = member_client.post("/account/avatar/", {"remove": "1"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert not member.avatar


def test_preferences_page_renders_every_kind_with_labels(member_client):
    response = member_client.get("/account/preferences/")
    assert response.status_code == 200
    html = response.content.decode()
    _labelled(html)
    for kind in KINDS:
        assert str(kind.label) in html
        assert f'name="kind_{kind.key}" value="{kind.default}" id' in html
    default_checked = re.search(r'name="kind_reply" value="email" id="[^"]+" checked', html)
    assert default_checked


def test_preferences_saved(member_client, member):
    data = {f"kind_{kind.key}": kind.default for kind in KINDS}
    data.update({"kind_mention": Delivery.OFF, "digest_frequency": "daily", "newsletter_opt_in": "on"})
    response = member_client.post("/account/preferences/", data)
    assert response.status_code == 302
    assert dict(NotificationPreference.objects.filter(user=member).values_list("kind", "delivery")) == {
        "mention": Delivery.OFF}
    settings_row = MemberSettings.objects.get(user=member)
    assert settings_row.digest_frequency == "daily"
    assert settings_row.newsletter_opt_in is True
    assert settings_row.show_in_attendee_lists is False  # unchecked box
    page = member_client.get("/account/preferences/").content.decode()
    assert re.search(r'name="kind_mention" value="off" id="[^"]+" checked', page)


def test_preferences_refuse_bad_choice(member_client, member):
    data = {f"kind_{kind.key}": kind.default for kind in KINDS}
    data.update({"kind_reply": "pigeon", "digest_frequency": "daily"})
    response = member_client.post("/account/preferences/", data)
    assert response.status_code == 400
    assert not NotificationPreference.objects.filter(user=member).exists()


# Visit bookkeeping done by the metrics middleware at most once a minute per member (and so dependent on a
# cache that concurrent test runs may share): not part of what a page costs.
_VISIT_BOOKKEEPING = ("metrics_", "loyalty_", '"last_seen_at"', "SAVEPOINT")


def _page_query_count(queries) -> int:
    return sum(1 for query in queries if not any(mark in query["sql"] for mark in _VISIT_BOOKKEEPING))


@pytest.mark.parametrize("url", ["/account/", "/account/profile/", "/account/preferences/", "/account/delete/"])
def test_account_pages_query_count_is_constant(make_member, login, url, django_assert_max_num_queries):
    """Rows that a member accumulates (preferences, audit entries) do not add queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for rows in (2, 20):
        user = make_member()
        client = login(user)
        for kind in KINDS[: min(rows, len(KINDS))]:
            NotificationPreference.objects.create(user=user, kind=kind.key, delivery=Delivery.OFF)
        for i in range(rows):
            actions.audit(actor=user, action="forum.post.create", target=user, n=i)
        client.get(url)  # the first visit of the day is recorded by the metrics middleware; measure the next
        with django_assert_max_num_queries(30), CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(_page_query_count(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 12, counts


def test_delete_page_asks_for_password(member_client):
    response = member_client.get("/account/delete/")
    assert response.status_code == 200
    html = response.content.decode()
    _labelled(html)
    assert 'type="password"' in html and "deleted member" in html


def test_delete_with_wrong_password_refused(member_client, member):
    response = member_client.post("/account/delete/", {"password": "wrong password!", "confirm": "on"})
    assert response.status_code == 400
    assert "not your current password" in response.content.decode()
    member.refresh_from_db()
    assert member.deleted_at is None
    assert "_auth_user_id" in member_client.session


def test_delete_needs_the_confirmation_box(member_client, member):
    response = member_client.post("/account/delete/", {"password": PASSWORD})
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.deleted_at is None


def test_delete_with_right_password_erases_and_logs_out(member_client, member, other_member):
    kept = actions.audit(actor=member, action="forum.topic.create", target=other_member)
    response = member_client.post("/account/delete/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in member_client.session
    member.refresh_from_db()
    assert member.deleted_at is not None and member.email == f"deleted-{member.pk}@invalid"
    kept.refresh_from_db()
    assert str(kept.actor) == "deleted member"
    # The old session cannot come back, and logging in with the old address fails.
    assert member_client.get("/account/").status_code == 302
    response = member_client.post(reverse("account_login"), {"login": f"member{member.pk}@example.com",
                                                              "password": PASSWORD})
    assert "_auth_user_id" not in member_client.session


def test_delete_password_guessing_is_rate_limited(member_client, member):
    statuses = [member_client.post("/account/delete/", {"password": f"guess {i}", "confirm": "on"}).status_code
                for i in range(12)]
    assert 429 in statuses
    member.refresh_from_db()
    assert member.deleted_at is None


# --- language switcher ----------------------------------------------------------------------------------


def test_language_switcher_remembers_members_choice(member_client, member):
    response = member_client.post(reverse("accounts:set_language"), {"language": "lv", "next": "/account/"})
    assert response.status_code == 302 and response["Location"] == "/account/"
    member.refresh_from_db()
    assert member.locale == "lv"
    page = member_client.get("/account/")
    assert b'<html lang="lv"' in page.content
    assert page["Content-Language"] == "lv"


def test_language_switcher_for_visitors_sets_cookie(client):
    response = client.post(reverse("accounts:set_language"), {"language": "hy", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "hy"
    page = client.get("/accounts/login/")
    assert b'<html lang="hy"' in page.content


def test_language_switcher_ignores_unknown_language_and_foreign_next(member_client, member):
    response = member_client.post(reverse("accounts:set_language"), {"language": "xx",
                                                                     "next": "https://evil.example/"})
    assert "evil" not in response.get("Location", "")
    member.refresh_from_db()
    assert member.locale == "en"


def test_language_switcher_refuses_get(member_client):
    assert member_client.get(reverse("accounts:set_language")).status_code == 405


def test_public_profile_of_deleted_member_is_gone(client, member):
    handle = member.handle
    actions.account_delete(user=member, password=PASSWORD)
    assert client.get(f"/u/{handle}/").status_code == 404
    assert User.objects.filter(pk=member.pk).exists()
    assert AuditLog.objects.filter(action="accounts.member.erase").exists()


def test_deletion_ends_sessions_on_other_devices(member, login):
    phone, laptop = login(member), login(member)
    assert phone.get("/account/").status_code == 200
    response = laptop.post("/account/delete/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert phone.get("/account/").status_code == 302  # sent to the login page


def test_account_page_shows_connected_accounts(member_client, member):
    from allauth.socialaccount.models import SocialAccount

    SocialAccount.objects.create(user=member, provider="github", uid="42")
    response = member_client.get("/account/")
    assert response.status_code == 200 and b"Github" in response.content
