"""Pre-rendered newsletter messages are what Django's own message building would produce."""

from __future__ import annotations

import email
from email import policy

import pytest
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from community.content import sending
from community.content.compose import IssueComposer
from community.content.mime import PrerenderedMessage
from community.content.models import IssueStatus


def _parse(message) -> email.message.EmailMessage:
    return email.message_from_bytes(message.message().as_bytes(linesep="\r\n"), policy=policy.default)


@pytest.fixture
def issue(make_issue):
    return make_issue(subject="Les conseils de novembre: sécurité", from_name="Équipe Tips",
                      body="Héllo **all** — see [the guide](https://example.com/guide).\n\n" + "Long line " * 300)


@pytest.mark.django_db
def test_the_fast_message_parses_back_to_its_parts(issue):
    message = IssueComposer(issue).message_for(delivery_id=42, email="reader@example.org", name="Zoë <x>",
                                               language="lv")
    assert isinstance(message, PrerenderedMessage)
    parsed = _parse(message)
    assert parsed["To"] == "reader@example.org"
    assert parsed["Subject"] == "Les conseils de novembre: sécurité"
    assert parsed["From"].addresses[0].display_name == "Équipe Tips"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Unsubscribe"].strip() == message.extra_headers["List-Unsubscribe"]
    assert parsed["X-Newsletter-Issue"] == str(issue.pk)
    assert parsed["Message-ID"] and parsed["Date"]
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert text.replace("\r\n", "\n") == message.body
    assert html.replace("\r\n", "\n") == message.alternatives[0][0]
    assert "Zoë <x>" in text and "Zoë &lt;x&gt;" in html
    assert all(len(line) <= 998 for line in message.message().as_bytes().split(b"\n"))


@pytest.mark.django_db
def test_the_fast_message_equals_what_django_builds(issue):
    from community.notifications import mail

    fast = IssueComposer(issue).message_for(delivery_id=7, email="reader@example.org", name="Ann", language="hy")
    slow = mail.build_message(to="reader@example.org", subject=fast.subject, text=fast.body,
                              html=fast.alternatives[0][0], from_name="Équipe Tips",
                              unsubscribe_url=fast.extra_headers["List-Unsubscribe"].strip("<>"),
                              headers={"X-Newsletter-Issue": str(issue.pk)})

    def normal(message) -> list[str]:
        lines = []
        for line in message.message().as_bytes().decode().split("\n"):
            if line.startswith(("Date:", "Message-ID:")) or "===============" in line:
                continue
            lines.append(line)
        return lines

    assert normal(fast) == normal(slow)


@pytest.mark.django_db
def test_each_message_has_its_own_message_id_and_tokens(issue):
    composer = IssueComposer(issue)
    first = _parse(composer.message_for(delivery_id=1, email="a@example.org", name="A", language="en"))
    second = _parse(composer.message_for(delivery_id=2, email="b@example.org", name="B", language="en"))
    assert first["Message-ID"] != second["Message-ID"]
    assert first["List-Unsubscribe"] != second["List-Unsubscribe"]


@pytest.mark.django_db
def test_what_the_fast_path_cannot_represent_takes_the_ordinary_path(make_issue):
    long_url = "https://example.com/" + "x" * 1200
    issue = make_issue(body=f"[long]({long_url})", tracking=False)
    composer = IssueComposer(issue)
    message = composer.message_for(delivery_id=1, email="a@example.org", name="A", language="en")
    assert not isinstance(message, PrerenderedMessage)  # Django encodes the over-long line itself
    assert long_url in message.alternatives[0][0]
    plain = IssueComposer(make_issue()).message_for(delivery_id=2, email="reader@bücher.example", name="J",
                                                   language="en")
    assert not isinstance(plain, PrerenderedMessage)


@pytest.mark.django_db
def test_an_smtp_server_receives_crlf_lines(opted_in, make_issue, monkeypatch):
    opted_in()
    issue = make_issue()
    issue.status = IssueStatus.SENDING
    issue.save()
    sending.deliveries_prepare(issue)
    received = []

    class FakeSMTP:
        def sendmail(self, from_addr, to_addrs, msg):
            received.append(msg)

    backend = SmtpBackend()
    backend.connection = FakeSMTP()
    monkeypatch.setattr(backend, "open", lambda: False)
    monkeypatch.setattr(backend, "close", lambda: None)
    assert sending.deliver(issue.pk, connection=backend).sent == 1
    [data] = received
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert email.message_from_bytes(data, policy=policy.default)["List-Unsubscribe-Post"]
