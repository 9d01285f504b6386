import pytest
from community.notifications.models import Notification
def test_page(member, member_client, make_member):
    a = make_member(display_name="Ana")
    Notification.objects.create(recipient=member, kind="reaction", actor=a, title="Speakers", url="/t/x/1/2", actor_ids=[a.pk, 99, 98], count=3)
    Notification.objects.create(recipient=member, kind="reply", actor=a, title="Speakers", url="/t/x/1/2", read_at="2026-01-01T00:00Z")
    html = member_client.get("/notifications/").content.decode()
    print(html[html.index("<main"):html.index("</main>")])
