"""The forum's actions against the real metrics, loyalty and notifications apps (no test doubles)."""

from __future__ import annotations

import pytest

from community.forum import actions

pytestmark = pytest.mark.django_db
REAL_DOORS = True  # tests/forum/conftest.py leaves notify/record alone for this module


def test_a_conversation_runs_through_the_real_doors(make_category, author, reader, settled_member, moderator,
                                                    published):
    qa = make_category(qa_mode=True)
    handle_owner = settled_member(handle="helper")
    topic = actions.topic_create(author=author, category=qa, title="Real doors", raw="Question for @helper")
    answer = actions.reply_create(author=reader, topic=topic, raw="Answer", reply_to=topic.posts.get(number=1))
    actions.reply_create(author=handle_owner, topic=topic, raw="Quoting", quote_post=answer, quote_text="Answer")
    actions.reaction_toggle(user=handle_owner, post=answer, kind="like")
    actions.reaction_toggle(user=handle_owner, post=answer, kind="like")
    actions.answer_accept(actor=author, post=answer)
    actions.answer_unaccept(actor=author, topic=topic)
    actions.flag_create(user=handle_owner, post=answer, reason="spam")
    actions.review_delete(actor=moderator, post=answer, reason="test")
    actions.member_silence(actor=moderator, member=reader, days=1, reason="test")
    assert published.of("forum.post", "remove")
    from community.metrics.models import Participation
    from community.notifications.models import Notification

    kinds = set(Participation.objects.values_list("kind", flat=True))
    assert {"topic.created", "post.replied", "reaction.given", "reaction.received", "answer.accepted"} <= kinds
    assert Notification.objects.filter(recipient=handle_owner, kind="mention").exists()
    assert Notification.objects.filter(recipient=author, kind="reply").exists()
    assert Notification.objects.filter(recipient=reader, kind="quote").exists()
