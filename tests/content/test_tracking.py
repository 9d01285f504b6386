"""Open and click tracking: signed redirects that refuse foreign URLs; opens and clicks are participation."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core import signing

from community.content import sending, tracking
from community.content.models import IssueStatus, NewsletterClick, NewsletterDelivery
from community.content.selectors import issue_report


@pytest.fixture
def delivered(opted_in, make_subscriber, make_issue, outbox):
    member = opted_in()
    subscriber = make_subscriber()
    issue = make_issue(body="See [the guide](https://example.com/guide?a=1&b=2) and [faq](/blog/).")
    issue.status = IssueStatus.SENDING
    issue.save()
    sending.deliveries_prepare(issue)
    sending.deliver(issue.pk)
    html = {m.to[0]: m.alternatives[0][0] for m in outbox}
    return {"issue": issue, "member": member, "subscriber": subscriber, "html": html}


def _paths(html: str, kind: str) -> list[str]:
    return re.findall(rf'"https?://[^/"]+(/n/{kind}/[^"]+)"', html)


def _link_to(html: str, url: str) -> str:
    """The tracked path in `html` whose signed destination is `url`."""
    for path in _paths(html, "c"):
        if tracking.read_click_token(path.split("/")[3]).url == url:
            return path
    raise AssertionError(f"no tracked link to {url}")


@pytest.mark.django_db
def test_a_tracked_link_redirects_to_its_url_and_counts_once_as_participation(client, delivered):
    member = delivered["member"]
    guide = _link_to(delivered["html"][member.email], "https://example.com/guide?a=1&b=2")
    with mock.patch("community.content.actions.subscribers.record") as record:
        first = client.get(guide)
        client.get(guide)
    assert first.status_code == 302 and first["Location"] == "https://example.com/guide?a=1&b=2"
    kinds = [call.kwargs["kind"] for call in record.call_args_list]
    assert kinds == ["newsletter.opened", "newsletter.clicked"]  # a click implies an open; each once
    assert all(call.kwargs["member"] == member for call in record.call_args_list)
    delivery = NewsletterDelivery.objects.get(email=member.email)
    assert delivery.click_count == 2 and delivery.clicked_at and delivery.opened_at
    assert NewsletterClick.objects.filter(delivery=delivery).count() == 2


@pytest.mark.django_db
def test_relative_links_become_absolute_before_tracking(client, delivered):
    from django.conf import settings

    faq = _link_to(delivered["html"][delivered["member"].email], settings.SITE_URL + "/blog/")
    assert client.get(faq)["Location"] == settings.SITE_URL + "/blog/"


@pytest.mark.django_db
def test_the_open_pixel_counts_once_as_participation(client, delivered):
    member = delivered["member"]
    [pixel] = _paths(delivered["html"][member.email], "o")
    with mock.patch("community.content.actions.subscribers.record") as record:
        response = client.get(pixel)
        client.get(pixel)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    record.assert_called_once()
    assert record.call_args.kwargs["kind"] == "newsletter.opened"
    assert issue_report(delivered["issue"]).opened == 1


@pytest.mark.django_db
def test_subscriber_opens_are_counted_but_are_not_member_participation(client, delivered):
    subscriber = delivered["subscriber"]
    [pixel] = _paths(delivered["html"][subscriber.email], "o")
    with mock.patch("community.content.actions.subscribers.record") as record:
        client.get(pixel)
    record.assert_not_called()
    assert NewsletterDelivery.objects.get(email=subscriber.email).opened_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("foreign", ["https://evil.example/", "//evil.example", "javascript:alert(1)"])
def test_a_url_that_is_not_in_the_token_is_refused(client, delivered, foreign):
    [click, *_] = _paths(delivered["html"][delivered["member"].email], "c")
    response = client.get(click, {"url": foreign})
    assert response.status_code == 400
    assert "Location" not in response


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["https://evil.example/", "javascript:alert(1)", "//evil.example/x"])
def test_forged_or_tampered_tokens_never_redirect(client, delivered, url, settings):
    delivery = NewsletterDelivery.objects.first()
    forged = signing.dumps([delivery.pk, url], salt="another salt")
    assert client.get(f"/n/c/{forged}/").status_code == 400
    real = tracking.click_token(delivery_id=delivery.pk, url="https://example.com/guide")
    delivery_id, encoded, signature = real.split(".")
    evil = tracking._b64(url.encode())
    assert client.get(f"/n/c/{delivery_id}.{evil}.{signature}/").status_code == 400  # URL swapped
    assert client.get(f"/n/c/{int(delivery_id) + 1}.{encoded}.{signature}/").status_code == 400  # delivery swapped
    assert client.get(f"/n/c/{delivery_id}.{encoded}.{signature[:-1]}/").status_code == 400
    with mock.patch.object(settings, "SECRET_KEY", "another-secret-key" * 3):
        other_site = tracking.click_token(delivery_id=delivery.pk, url=url if url.startswith("https") else
                                          "https://evil.example/")
    assert client.get(f"/n/c/{other_site}/").status_code == 400
    assert client.get("/n/c/garbage/").status_code == 400
    assert client.get(f"/n/c/{real}/").status_code == 302


def test_tokens_survive_a_key_rotation(settings):
    token = tracking.click_token(delivery_id=7, url="https://example.com/")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" * 4
    assert tracking.read_click_token(token).url == "https://example.com/"


def test_only_http_urls_can_be_signed():
    for url in ("javascript:alert(1)", "mailto:a@b.c", "/relative", "https://x.example/\r\nSet-Cookie: a"):
        with pytest.raises(tracking.BadTrackingToken):
            tracking.click_token(delivery_id=1, url=url)


@pytest.mark.django_db
def test_a_bad_pixel_token_still_returns_a_pixel_and_records_nothing(client, delivered):
    response = client.get("/n/o/1.forged.gif")
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert issue_report(delivered["issue"]).opened == 0


@pytest.mark.django_db
def test_when_tracking_is_switched_off_later_nothing_is_recorded(client, delivered, settings):
    member = delivered["member"]
    [pixel] = _paths(delivered["html"][member.email], "o")
    [click, *_] = _paths(delivered["html"][member.email], "c")
    settings.NEWSLETTER_TRACKING = False
    client.get(pixel)
    assert client.get(click).status_code == 302  # the link still works
    delivery = NewsletterDelivery.objects.get(email=member.email)
    assert delivery.opened_at is None and delivery.clicked_at is None
