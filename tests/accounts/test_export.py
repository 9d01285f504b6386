"""accounts.export: a member's data from every app, and nobody else's."""

from __future__ import annotations

import json
import sys
import types

import pytest
from django.apps import apps

from accounts import actions, export
from accounts.models import AuditLog, Delivery, NotificationPreference

pytestmark = pytest.mark.django_db


def test_export_holds_the_members_account_data(member, other_member):
    actions.profile_update(user=member, bio="I brew **coffee**", display_name="Coffee Fan")
    NotificationPreference.objects.create(user=member, kind="reply", delivery=Delivery.OFF)
    NotificationPreference.objects.create(user=other_member, kind="reply", delivery=Delivery.DIGEST)
    actions.audit(actor=other_member, action="accounts.member.silence", target=member, reason="calm down")
    actions.audit(actor=member, action="accounts.member.silence", target=other_member, reason="not theirs")

    document = export.export_member(member)
    section = document["sections"]["accounts"]
    assert document["member_id"] == member.pk
    assert section["profile"]["email"] == member.email
    assert section["profile"]["display_name"] == "Coffee Fan"
    assert section["profile"]["bio"] == "I brew **coffee**"
    assert section["email_addresses"] == [{"email": member.email, "verified": True, "primary": True}]
    assert section["notification_preferences"]["reply"] == Delivery.OFF
    assert section["settings"]["digest_frequency"] == "weekly"
    assert "Member" in section["roles"]
    about_me = [entry["action"] for entry in section["audit_entries_about_me"]]
    assert "accounts.member.silence" in about_me and "accounts.profile.update" in about_me
    assert all(entry["data"].get("reason") != "not theirs" for entry in section["audit_entries_about_me"])

    text = json.dumps(document, default=str)
    assert other_member.email not in text
    assert other_member.display_name not in text
    assert "not theirs" not in text


def test_export_gathers_sections_from_every_app_that_provides_one(member, other_member, monkeypatch):
    """An app adds `<app>/export.py` with member_data(user); it appears under the app's label."""
    forum = apps.get_app_config("forum")
    module = types.ModuleType(f"{forum.name}.export")
    module.member_data = lambda user: {"posts": [f"post by {user.pk}"]}
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(export.importlib.util, "find_spec",
                        lambda name: object() if name in (module.__name__, "accounts.export") else None)
    document = export.export_member(member)
    assert document["sections"]["forum"] == {"posts": [f"post by {member.pk}"]}
    assert "accounts" in document["sections"]


def test_export_view_downloads_json_attachment(member_client, member, other_member):
    response = member_client.get("/account/export/")
    assert response.status_code == 200 and b"Download my data" in response.content
    response = member_client.post("/account/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".json" in response["Content-Disposition"]
    document = json.loads(response.content)
    assert document["sections"]["accounts"]["profile"]["email"] == member.email
    assert other_member.email not in response.content.decode()
    assert AuditLog.objects.filter(action="accounts.data.export", target_id=str(member.pk)).exists()


def test_export_needs_login(client):
    response = client.post("/account/export/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_export_query_count_is_constant(make_member, login, django_assert_max_num_queries):
    """Audit entries and preferences about the member do not add queries (other apps' sections may add a few
    each, but a fixed number)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for entries in (2, 20):
        member, other = make_member(), make_member()
        client = login(member)
        for i in range(entries):
            actions.audit(actor=other, action="forum.post.hide", target=member, n=i)
        NotificationPreference.objects.create(user=member, kind="reply", delivery="off")
        client.get("/account/export/")  # the first visit of the day is recorded (metrics); measure the next
        with django_assert_max_num_queries(50), CaptureQueriesContext(connection) as queries:
            response = client.post("/account/export/")
        about_me = json.loads(response.content)["sections"]["accounts"]["audit_entries_about_me"]
        assert len(about_me) == entries
        counts.append(sum(1 for q in queries if not any(
            mark in q["sql"] for mark in ("metrics_", "loyalty_", '"last_seen_at"', "SAVEPOINT"))))
    assert counts[0] == counts[1]
