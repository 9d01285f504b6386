import pytest
from django.core import mail

from events.emails import send_member_email
from events.errors import HeaderInjection

pytestmark = pytest.mark.django_db


def test_subject_from_member_input_refuses_line_breaks(member, event):
    with pytest.raises(HeaderInjection):
        send_member_email(member=member, template="survey", subject="%(title)s",
                          subject_params={"title": "Hi\r\nBcc: all@example.com"},
                          context={"event": event, "survey_url": "https://x"})
    assert mail.outbox == []


def test_plain_and_html_parts(member, event):
    send_member_email(member=member, template="survey", subject="How was it?", context={
        "event": event, "survey_url": "https://example.com/s"})
    message = mail.outbox[0]
    assert message.subject.endswith("How was it?")
    assert "https://example.com/s" in message.body and "<html" not in message.body
    assert message.alternatives[0][1] == "text/html" and "<html" in message.alternatives[0][0]
