"""The shared mail module: safe headers, signed unsubscribe tokens, message building, rendering."""

from __future__ import annotations

import pytest
from django.core import mail as djmail
from django.core import signing

from community.notifications import mail


@pytest.mark.parametrize("value", ["Ana\r\nBcc: x@example.org", "Ana\nBcc: x@example.org", "Ana\rX", "Ana\x00",
                                   "Ana\x0bB", "Ana\u2028B", "Ana\x85B"])
def test_safe_header_refuses_control_characters(value):
    with pytest.raises(mail.HeaderInjection):
        mail.safe_header(value)


def test_safe_header_keeps_ordinary_text_unchanged():
    assert mail.safe_header("Līga Ozola — Անահիտ: “hi”") == "Līga Ozola — Անահիտ: “hi”"


def test_header_injection_is_a_value_error():
    assert issubclass(mail.HeaderInjection, ValueError)


@pytest.mark.parametrize("field", ["subject", "from_name", "to"])
def test_build_message_refuses_cr_lf_and_nothing_is_sent(field):
    kwargs = {"to": "ana@example.com", "subject": "Hello", "text": "t", "html": "<p>t</p>", "from_name": "Ana"}
    kwargs[field] = kwargs[field] + "\r\nBcc: victim@example.org"
    with pytest.raises(mail.HeaderInjection):
        mail.build_message(**kwargs).send()
    assert djmail.outbox == []


def test_build_message_refuses_unsafe_extra_headers():
    with pytest.raises(mail.HeaderInjection):
        mail.build_message(to="a@example.com", subject="s", text="t", html="h", headers={"X-Ref": "1\nBcc: b@x.org"})


def test_build_message_has_text_html_and_one_click_unsubscribe_headers():
    message = mail.build_message(to="ana@example.com", subject="Hello", text="plain", html="<p>rich</p>",
                                 from_name="Ana Example", unsubscribe_url="https://community.example/unsubscribe/t/")
    message.send()
    sent = djmail.outbox[0]
    assert sent.body == "plain" and sent.alternatives[0][0] == "<p>rich</p>"
    assert sent.extra_headers["List-Unsubscribe"] == "<https://community.example/unsubscribe/t/>"
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent.from_email.startswith("Ana Example <")
    raw = sent.message().as_string()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw


def test_build_message_without_unsubscribe_has_no_list_headers():
    message = mail.build_message(to="ana@example.com", subject="Hello", text="t", html="h")
    assert "List-Unsubscribe" not in message.extra_headers


def test_unsubscribe_token_round_trip_binds_email_and_scope():
    token = mail.unsubscribe_token(email="Ana@Example.com", scope="notify:reply")
    assert mail.read_unsubscribe_token(token) == ("ana@example.com", "notify:reply")


@pytest.mark.parametrize("email, scope", [("ana@example.com", "digest"), ("a" * 60 + "@example.com", "newsletter:1"),
                                          ("Zoë@Example.com", "notify:reply")])
def test_unsubscribe_token_is_exactly_what_django_signing_makes(email, scope, monkeypatch, settings):
    """The fast path keeps django.core.signing's format: tokens already sent stay readable, and vice versa."""
    monkeypatch.setattr("time.time", lambda: 1_790_000_000.5)
    expected = signing.dumps({"e": email.lower(), "s": scope}, salt=mail.UNSUBSCRIBE_SALT, compress=True)
    assert mail.unsubscribe_token(email=email, scope=scope) == expected
    settings.SECRET_KEY = "another-secret-" + "x" * 50  # a new key is used at once (the derived key follows)
    assert mail.unsubscribe_token(email=email, scope=scope) == signing.dumps(
        {"e": email.lower(), "s": scope}, salt=mail.UNSUBSCRIBE_SALT, compress=True)


def test_tampered_token_is_refused():
    token = mail.unsubscribe_token(email="ana@example.com", scope="digest")
    payload, _sep, signature = token.rpartition(":")
    forged = signing.dumps({"e": "bob@example.com", "s": "digest"}, salt="another-salt", compress=True)
    for bad in [token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], payload + ":", forged, "garbage", ""]:
        with pytest.raises(mail.BadUnsubscribeToken):
            mail.read_unsubscribe_token(bad)


def test_render_email_uses_language_and_time_zone(make_member):
    from community.notifications.models import Notification

    member = make_member(display_name="Amani")
    notification = Notification(recipient=member, kind="reply", title="Habari")
    subject, text, html = mail.render_email(
        "notification", {"member": member, "notification": notification, "sentence": "S",
                         "open_url": "https://x/1", "unsubscribe_url": "https://x/u"},
        language="sw", time_zone="Africa/Nairobi")
    assert subject == "S"
    assert "Amani" in text and "https://x/u" in text and "&" not in text
    assert 'lang="sw"' in html and "https://x/u" in html


def test_registered_scope_handler_is_found():
    calls = []
    mail.register_unsubscribe_scope("test-scope", lambda **kw: calls.append(kw))
    assert mail.unsubscribe_handler_for("test-scope:42") is not None
    assert mail.unsubscribe_handler_for("notify:reply") is not None
    assert mail.unsubscribe_handler_for("unknown") is None
