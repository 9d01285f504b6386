"""The forum's writes: each rule of issue 3, its live events, notifications and participation records."""

from __future__ import annotations

import pytest
from django.test import override_settings

from accounts.models import AuditLog
from community import realtime
from community.forum import actions
from community.forum.models import (
    AccessLevel,
    Bookmark,
    Draft,
    Flag,
    Post,
    PostRevision,
    Reaction,
    Subscription,
    SubscriptionLevel,
    Topic,
    TopicReadState,
)
from community.forum.permissions import ForumError, NotAllowed, RateLimited

pytestmark = pytest.mark.django_db


# --- Topics and replies -----------------------------------------------------------------------------------

def test_topic_create_makes_first_post_counters_tags_and_events(category, author, published, recorded):
    topic = actions.topic_create(author=author, category=category, title="  Battery   drains fast ",
                                 raw="It **drains** overnight.", tags="battery, Power power")
    first = topic.posts.get()
    assert (topic.title, topic.slug, first.number) == ("Battery drains fast", "battery-drains-fast", 1)
    assert "<strong>drains</strong>" in first.html
    assert sorted(t.slug for t in topic.tags.all()) == ["battery", "power"]
    assert topic.last_post_number == 1 and topic.reply_count == 0
    category.refresh_from_db()
    assert category.topic_count == 1
    assert ("record", "topic.created", author) in recorded
    adds = published.of("forum.topic", "add")
    assert {realtime.latest_stream(), realtime.category_stream(category.pk)} <= {
        s for s, e in published.events if e in adds}
    assert all(e["topic_id"] == topic.pk and e["category_id"] == category.pk for e in adds)
    assert Subscription.objects.get(user=author, topic=topic).level == SubscriptionLevel.WATCHING


def test_reply_updates_counters_and_publishes_rendered_fragment(topic, reader, published, recorded):
    post = actions.reply_create(author=reader, topic=topic, raw="Hold the *power* button.")
    topic.refresh_from_db()
    assert (post.number, topic.reply_count, topic.last_post_number, topic.last_poster_id) == (2, 1, 2, reader.pk)
    assert topic.last_posted_at == post.created_at
    event = published.of("forum.post", "add", stream=realtime.topic_stream(topic.pk))[0]
    assert event["post_id"] == post.pk and event["number"] == 2 and event["topic_id"] == topic.pk
    assert "<em>power</em>" in event["html"] and 'id="post-2"' in event["html"]
    assert "csrfmiddlewaretoken" not in event["html"]  # viewer-neutral: no token, no member's own controls
    assert "/edit" not in event["html"] and "/flag" not in event["html"] and 'name="kind" value="like"' in event["html"]
    assert published.of("forum.topic", "change", stream=realtime.latest_stream())
    assert ("record", "post.replied", reader) in recorded


def test_same_token_twice_makes_one_post(topic, reader):
    first = actions.reply_create(author=reader, topic=topic, raw="Once only.", token="tok-123")
    second = actions.reply_create(author=reader, topic=topic, raw="Once only.", token="tok-123")
    assert first.pk == second.pk
    assert Post.objects.filter(topic=topic).count() == 2
    topic.refresh_from_db()
    assert topic.reply_count == 1


def test_same_token_for_new_topic_makes_one_topic(category, author):
    a = actions.topic_create(author=author, category=category, title="Only once", raw="x", token="t-1")
    b = actions.topic_create(author=author, category=category, title="Only once", raw="x", token="t-1")
    assert a.pk == b.pk and Topic.objects.count() == 1


def test_tokens_are_per_member(topic, reader, author):
    a = actions.reply_create(author=reader, topic=topic, raw="Mine.", token="same")
    b = actions.reply_create(author=author, topic=topic, raw="Mine too.", token="same")
    assert a.pk != b.pk


def test_reply_notifies_topic_author_and_replied_to_author_once(topic, author, reader, settled_member, notified):
    third = settled_member()
    parent = actions.reply_create(author=reader, topic=topic, raw="First answer.")
    notified.calls.clear()
    actions.reply_create(author=third, topic=topic, raw="Agreed.", reply_to=parent)
    assert notified.kinds_for(reader) == ["reply"]
    assert notified.kinds_for(author) == ["reply"]  # watching the topic too, but told once
    assert notified.kinds_for(third) == []


def test_mentions_link_to_profile_and_notify(topic, reader, settled_member, notified):
    mentioned = settled_member(handle="ada_l")
    post = actions.reply_create(author=reader, topic=topic, raw="Ask @Ada_L or @nobody_here about it.")
    assert f'href="{mentioned.get_absolute_url()}"' in post.html and 'class="mention"' in post.html
    assert "@nobody_here" in post.html and post.html.count('class="mention"') == 1
    assert notified.kinds_for(mentioned) == ["mention"]


def test_mention_of_member_who_cannot_read_is_not_notified(make_category, make_topic, reader, settled_member,
                                                           notified):
    from django.contrib.auth.models import Group

    secret = make_category(access_level="roles", access_groups=[Group.objects.create(name="Insiders")])
    outsider = settled_member(handle="outsider")
    staff_author = settled_member(staff=True)
    topic = make_topic(by=staff_author, cat=secret)
    actions.reply_create(author=staff_author, topic=topic, raw="Hey @outsider")
    assert notified.kinds_for(outsider) == []


def test_quote_becomes_blockquote_linking_back_and_notifies(topic, reader, settled_member, notified):
    quoted = actions.reply_create(author=reader, topic=topic, raw="The answer is to hold reset for ten seconds.")
    other = settled_member()
    notified.calls.clear()
    post = actions.reply_create(author=other, topic=topic, raw="Thanks!", quote_post=quoted,
                                quote_text="hold reset for ten seconds")
    assert post.html.startswith("<blockquote>")
    assert "hold reset for ten seconds" in post.html
    assert f'href="{topic.post_url(quoted.number)}"' in post.html
    assert "quote" in notified.kinds_for(reader)


def test_watchers_of_category_and_topic_are_told(topic, category, reader, settled_member, notified):
    watcher = settled_member()
    muted = settled_member()
    actions.subscription_set(user=watcher, category=category, level=SubscriptionLevel.WATCHING)
    actions.subscription_set(user=muted, topic=topic, level=SubscriptionLevel.MUTED)
    actions.reply_create(author=reader, topic=topic, raw="News.", )
    assert notified.kinds_for(watcher) == ["watching"]
    assert notified.kinds_for(muted) == []


def test_locked_topic_refuses_replies_but_moderator_may(topic, reader, moderator):
    actions.topic_lock(actor=moderator, topic=topic)
    with pytest.raises(NotAllowed):
        actions.reply_create(author=reader, topic=topic, raw="Let me in")
    assert actions.reply_create(author=moderator, topic=topic, raw="Closing note.").number == 2


def test_closed_topic_refuses_replies(topic, reader, moderator):
    actions.topic_close(actor=moderator, topic=topic)
    with pytest.raises(NotAllowed, match="closed"):
        actions.reply_create(author=reader, topic=topic, raw="Too late")


def test_silenced_member_cannot_post(topic, reader, moderator):
    actions.member_silence(actor=moderator, member=reader, days=3, reason="Cool down")
    with pytest.raises(NotAllowed, match="Cool down"):
        actions.reply_create(author=reader, topic=topic, raw="Hello?")
    with pytest.raises(NotAllowed):
        actions.topic_create(author=reader, category=topic.category, title="New one", raw="x")


def test_unverified_member_cannot_post(topic, settled_member):
    unverified = settled_member(verified=False)
    with pytest.raises(NotAllowed, match="confirm"):
        actions.reply_create(author=unverified, topic=topic, raw="hi")


def test_slow_mode(make_category, make_topic, reader, moderator):
    slow = make_category(slow_mode_seconds=60)
    topic = make_topic(cat=slow)
    actions.reply_create(author=reader, topic=topic, raw="One")
    with pytest.raises(RateLimited, match="Slow mode"):
        actions.reply_create(author=reader, topic=topic, raw="Two")
    actions.reply_create(author=moderator, topic=topic, raw="Moderators are not slowed")
    actions.reply_create(author=moderator, topic=topic, raw="Really not")


@override_settings(FORUM_NEW_MEMBER_POSTS_PER_MINUTE=2)
def test_new_member_posts_per_minute(topic, make_member):
    newbie = make_member()
    actions.reply_create(author=newbie, topic=topic, raw="one")
    actions.reply_create(author=newbie, topic=topic, raw="two")
    with pytest.raises(RateLimited):
        actions.reply_create(author=newbie, topic=topic, raw="three")


@override_settings(FORUM_NEW_MEMBER_MAX_LINKS=1, FORUM_NEW_MEMBER_MAX_MENTIONS=1, FORUM_NEW_MEMBER_MAX_IMAGES=0)
def test_new_member_content_limits(topic, make_member, settled_member, reader):
    newbie = make_member()
    settled_member(handle="aa1")
    settled_member(handle="bb2")
    with pytest.raises(RateLimited, match="links"):
        actions.reply_create(author=newbie, topic=topic, raw="https://a.example and https://b.example")
    with pytest.raises(RateLimited, match="mentions"):
        actions.reply_create(author=newbie, topic=topic, raw="@aa1 and @bb2")
    with pytest.raises(RateLimited, match="images"):
        actions.reply_create(author=newbie, topic=topic, raw="![x](https://img.example/x.png)")
    actions.reply_create(author=newbie, topic=topic, raw="One link https://a.example and @aa1")
    # settled members have no such limits
    actions.reply_create(author=reader, topic=topic, raw="https://a.example https://b.example @aa1 @bb2")


def test_first_posts_of_new_members_are_held(make_category, make_topic, make_member, moderator, published,
                                             notified):
    held_cat = make_category(hold_new_member_posts=True)
    topic = make_topic(cat=held_cat, by=moderator)
    newbie = make_member()
    published.clear()
    post = actions.reply_create(author=newbie, topic=topic, raw="My first words")
    topic.refresh_from_db()
    assert not post.approved and topic.reply_count == 0
    assert not published.of("forum.post")
    assert Topic.objects.visible_to(newbie).filter(pk=topic.pk).exists()
    actions.review_approve(actor=moderator, post=post)
    post.refresh_from_db()
    topic.refresh_from_db()
    assert post.approved and topic.reply_count == 1
    assert published.of("forum.post", "add")
    assert AuditLog.objects.filter(action="forum.post.approve", target_id=str(post.pk)).exists()
    # approved once: the next post goes straight through
    assert actions.reply_create(author=newbie, topic=topic, raw="Second words").approved


def test_held_new_topic_is_invisible_to_others(make_category, make_member, reader):
    held_cat = make_category(hold_new_member_posts=True)
    newbie = make_member()
    topic = actions.topic_create(author=newbie, category=held_cat, title="Hello all", raw="First!")
    assert not topic.approved
    assert not Topic.objects.visible_to(reader).filter(pk=topic.pk).exists()
    assert Topic.objects.visible_to(newbie).filter(pk=topic.pk).exists()


def test_start_policy_moderators_only(make_category, reader, moderator):
    announcements = make_category(start_policy="moderators")
    with pytest.raises(NotAllowed):
        actions.topic_create(author=reader, category=announcements, title="Me too", raw="x")
    assert actions.topic_create(author=moderator, category=announcements, title="News", raw="x").pk


def test_markup_too_long_is_a_clear_error(topic, reader):
    with pytest.raises(ForumError, match="too long"):
        actions.reply_create(author=reader, topic=topic, raw="x" * 32_001)


# --- Edits and deletion -------------------------------------------------------------------------------------

def test_edit_keeps_revision_and_marks_edited(topic, author, published):
    first = topic.posts.get(number=1)
    actions.post_edit(editor=author, post=first, raw="Updated text", title="A better title", tags="new-tag")
    first.refresh_from_db()
    topic.refresh_from_db()
    assert first.raw == "Updated text" and first.edit_count == 1 and first.edited_at is not None
    revision = PostRevision.objects.get(post=first)
    assert revision.raw == "The first post of this topic." and revision.title == "How do I reset my device?"
    assert topic.title == "A better title" and topic.slug == "a-better-title"
    assert [t.slug for t in topic.tags.all()] == ["new-tag"]
    assert published.of("forum.post", "change")[0]["post_id"] == first.pk


def test_editing_someone_elses_post_is_refused(topic, reader):
    first = topic.posts.get(number=1)
    with pytest.raises(NotAllowed):
        actions.post_edit(editor=reader, post=first, raw="Hijacked")
    first.refresh_from_db()
    assert first.raw == "The first post of this topic."


def test_moderator_edit_is_audited(topic, moderator):
    first = topic.posts.get(number=1)
    actions.post_edit(editor=moderator, post=first, raw="Cleaned up")
    assert AuditLog.objects.filter(actor=moderator, action="forum.post.edit").exists()


def test_author_deletes_own_reply_moderator_restores(topic, reader, moderator, published):
    post = actions.reply_create(author=reader, topic=topic, raw="Oops")
    actions.post_delete(actor=reader, post=post)
    topic.refresh_from_db()
    assert topic.reply_count == 0
    assert published.of("forum.post", "remove")[0]["post_id"] == post.pk
    assert "html" not in published.of("forum.post", "remove")[0]
    with pytest.raises(NotAllowed):
        actions.post_restore(actor=reader, post=post)
    actions.post_restore(actor=moderator, post=post)
    topic.refresh_from_db()
    assert topic.reply_count == 1 and Post.objects.alive().filter(pk=post.pk).exists()
    assert AuditLog.objects.filter(action="forum.post.restore").exists()


def test_member_cannot_delete_others_post(topic, reader):
    with pytest.raises(NotAllowed):
        actions.post_delete(actor=reader, post=topic.posts.get(number=1))


def test_moderator_delete_audits_and_undoes_participation(topic, reader, moderator, recorded):
    post = actions.reply_create(author=reader, topic=topic, raw="Spam spam")
    actions.post_delete(actor=moderator, post=post, reason="spam")
    assert ("undo", "post.replied", reader) in recorded
    log = AuditLog.objects.get(action="forum.post.delete")
    assert log.actor == moderator and log.data["reason"] == "spam"


def test_deleting_first_post_deletes_topic(topic, author, category, published):
    actions.post_delete(actor=author, post=topic.posts.get(number=1))
    topic.refresh_from_db()
    category.refresh_from_db()
    assert topic.deleted_at is not None and category.topic_count == 0
    assert published.of("forum.topic", "remove")


# --- Reactions, bookmarks, answers ---------------------------------------------------------------------------

def test_reaction_toggle_counts_and_events(topic, reader, settled_member, published, recorded, notified):
    post = topic.posts.get(number=1)
    other = settled_member()
    assert actions.reaction_toggle(user=reader, post=post, kind="like") == (True, {"like": 1})
    assert actions.reaction_toggle(user=other, post=post, kind="like")[1] == {"like": 2}
    assert actions.reaction_toggle(user=other, post=post, kind="heart")[1] == {"heart": 1, "like": 2}
    assert actions.reaction_toggle(user=reader, post=post, kind="like") == (False, {"heart": 1, "like": 1})
    post.refresh_from_db()
    assert post.reaction_counts == {"heart": 1, "like": 1}
    topic.refresh_from_db()
    assert topic.like_count == 2
    event = published.of("forum.reaction", "change")[-1]
    assert event == {"type": "forum.reaction", "op": "change", "topic_id": topic.pk, "post_id": post.pk,
                     "counts": {"heart": 1, "like": 1}}
    assert ("record", "reaction.given", reader) in recorded
    assert ("record", "reaction.received", post.author) in recorded
    assert ("undo", "reaction.given", reader) in recorded
    assert "reaction" in notified.kinds_for(post.author)


def test_cannot_react_to_own_post_or_unknown_kind(topic, author, reader):
    post = topic.posts.get(number=1)
    with pytest.raises(NotAllowed):
        actions.reaction_toggle(user=author, post=post)
    with pytest.raises(ForumError):
        actions.reaction_toggle(user=reader, post=post, kind="poop")
    assert not Reaction.objects.exists()


def test_bookmark_toggle(topic, reader):
    post = topic.posts.get(number=1)
    assert actions.bookmark_toggle(user=reader, post=post) is True
    assert Bookmark.objects.filter(user=reader, post=post).exists()
    assert actions.bookmark_toggle(user=reader, post=post) is False
    assert not Bookmark.objects.exists()


def test_accept_answer_in_qa_category(make_category, make_topic, author, reader, settled_member, published,
                                      recorded, notified):
    qa = make_category(qa_mode=True)
    question = make_topic(cat=qa)
    answer = actions.reply_create(author=reader, topic=question, raw="Do this.")
    other = settled_member()
    with pytest.raises(NotAllowed):
        actions.answer_accept(actor=other, post=answer)
    actions.answer_accept(actor=author, post=answer)
    question.refresh_from_db()
    assert question.accepted_answer_id == answer.pk
    assert ("record", "answer.accepted", reader) in recorded
    assert "accepted" in notified.kinds_for(reader)
    assert published.of("forum.topic", "change", stream=realtime.topic_stream(question.pk))[-1][
        "accepted_answer_id"] == answer.pk
    actions.answer_unaccept(actor=author, topic=question)
    question.refresh_from_db()
    assert question.accepted_answer_id is None
    assert ("undo", "answer.accepted", reader) in recorded


def test_moderator_may_accept_and_first_post_may_not_be_answer(make_category, make_topic, reader, moderator):
    qa = make_category(qa_mode=True)
    question = make_topic(cat=qa)
    with pytest.raises(ForumError):
        actions.answer_accept(actor=moderator, post=question.posts.get(number=1))
    answer = actions.reply_create(author=reader, topic=question, raw="Answer")
    actions.answer_accept(actor=moderator, post=answer)
    assert AuditLog.objects.filter(action="forum.answer.accept", actor=moderator).exists()


def test_no_accepted_answers_outside_qa(topic, author, reader):
    answer = actions.reply_create(author=reader, topic=topic, raw="Answer")
    with pytest.raises(ForumError):
        actions.answer_accept(actor=author, post=answer)


def test_deleting_accepted_answer_unaccepts(make_category, make_topic, author, reader, moderator, recorded):
    qa = make_category(qa_mode=True)
    question = make_topic(cat=qa)
    answer = actions.reply_create(author=reader, topic=question, raw="Answer")
    actions.answer_accept(actor=author, post=answer)
    actions.post_delete(actor=moderator, post=answer)
    question.refresh_from_db()
    assert question.accepted_answer_id is None
    assert ("undo", "answer.accepted", reader) in recorded


# --- Reading, subscriptions, drafts --------------------------------------------------------------------------

def test_mark_read_never_moves_backwards(topic, reader, add_replies):
    add_replies(topic, 4)
    topic.refresh_from_db()
    actions.mark_read(user=reader, topic=topic, number=3)
    actions.mark_read(user=reader, topic=topic, number=2)
    assert TopicReadState.objects.get(user=reader, topic=topic).last_read_post_number == 3
    actions.mark_read(user=reader, topic=topic, number=99)
    assert TopicReadState.objects.get(user=reader, topic=topic).last_read_post_number == 5


def test_subscription_set_updates_one_row(topic, category, reader):
    actions.subscription_set(user=reader, topic=topic, level="watching")
    actions.subscription_set(user=reader, topic=topic, level="muted")
    actions.subscription_set(user=reader, category=category, level="watching")
    assert Subscription.objects.filter(user=reader).count() == 2
    assert Subscription.objects.get(user=reader, topic=topic).level == "muted"
    with pytest.raises(ForumError):
        actions.subscription_set(user=reader, topic=topic, level="loud")


def test_drafts_saved_replaced_and_discarded(topic, reader):
    actions.draft_save(user=reader, topic=topic, raw="Half a thought")
    actions.draft_save(user=reader, topic=topic, raw="A whole thought")
    actions.draft_save(user=reader, title="New topic idea", raw="Body")
    assert Draft.objects.get(user=reader, topic=topic).raw == "A whole thought"
    assert Draft.objects.get(user=reader, topic__isnull=True).title == "New topic idea"
    actions.draft_save(user=reader, topic=topic, raw="   ")
    assert not Draft.objects.filter(user=reader, topic=topic).exists()
    actions.draft_discard(user=reader, topic=None)
    assert not Draft.objects.exists()


def test_posting_discards_nothing_but_view_does(topic, reader):
    # the action layer keeps drafts; the reply view discards them after posting (tested in views)
    actions.draft_save(user=reader, topic=topic, raw="Draft")
    actions.reply_create(author=reader, topic=topic, raw="Posted")
    assert Draft.objects.filter(user=reader).exists()


# --- Moderation -----------------------------------------------------------------------------------------------

@override_settings(FORUM_FLAGS_TO_HIDE=3)
def test_flags_from_distinct_members_hide_the_post(topic, reader, settled_member, published, notified):
    post = actions.reply_create(author=reader, topic=topic, raw="Buy cheap watches")
    flaggers = [settled_member() for _ in range(3)]
    actions.flag_create(user=flaggers[0], post=post, reason="spam")
    with pytest.raises(ForumError):
        actions.flag_create(user=flaggers[0], post=post, reason="spam")  # one flag per member
    actions.flag_create(user=flaggers[1], post=post, reason="spam")
    post.refresh_from_db()
    assert not post.hidden
    published.clear()
    actions.flag_create(user=flaggers[2], post=post, reason="inappropriate", message="ads")
    post.refresh_from_db()
    topic.refresh_from_db()
    assert post.hidden and topic.reply_count == 0
    assert published.of("forum.post", "remove")[0]["post_id"] == post.pk
    assert AuditLog.objects.filter(action="forum.post.auto_hide", target_id=str(post.pk)).exists()
    assert "moderation" in notified.kinds_for(reader)


def test_cannot_flag_own_post(topic, author):
    with pytest.raises(ForumError):
        actions.flag_create(user=author, post=topic.posts.get(number=1), reason="spam")


def test_review_actions_resolve_flags_and_audit(topic, reader, settled_member, moderator):
    post = actions.reply_create(author=reader, topic=topic, raw="Questionable")
    actions.flag_create(user=settled_member(), post=post, reason="off_topic")
    actions.review_hide(actor=moderator, post=post, reason="Off topic")
    assert Flag.objects.get(post=post).resolution == "hide"
    post.refresh_from_db()
    assert post.hidden
    actions.review_approve(actor=moderator, post=post)
    post.refresh_from_db()
    assert not post.hidden
    actions.review_delete(actor=moderator, post=post, reason="Changed my mind")
    post.refresh_from_db()
    assert post.deleted_at is not None
    actions_logged = set(AuditLog.objects.filter(actor=moderator).values_list("action", flat=True))
    assert {"forum.post.hide", "forum.post.approve", "forum.post.delete"} <= actions_logged


def test_review_silence_hides_and_silences(topic, reader, moderator):
    post = actions.reply_create(author=reader, topic=topic, raw="Rude words")
    actions.review_silence(actor=moderator, post=post, days=2, reason="Be kind")
    reader.refresh_from_db()
    post.refresh_from_db()
    assert reader.is_silenced() and reader.moderation_reason == "Be kind" and post.hidden
    assert AuditLog.objects.filter(action="forum.member.silence", target_id=str(reader.pk)).exists()


def test_members_cannot_moderate(topic, reader):
    post = topic.posts.get(number=1)
    for call in (lambda: actions.topic_lock(actor=reader, topic=topic),
                 lambda: actions.topic_pin(actor=reader, topic=topic),
                 lambda: actions.review_hide(actor=reader, post=post),
                 lambda: actions.member_silence(actor=reader, member=post.author, days=1, reason="x")):
        with pytest.raises(NotAllowed):
            call()
    assert not AuditLog.objects.filter(action__startswith="forum.topic").exists()


def test_category_moderator_moderates_only_their_category(make_category, make_topic, settled_member):
    mod = settled_member()
    mine = make_category(moderators=[mod])
    other = make_category()
    t1, t2 = make_topic(cat=mine), make_topic(cat=other)
    actions.topic_pin(actor=mod, topic=t1)
    with pytest.raises(NotAllowed):
        actions.topic_pin(actor=mod, topic=t2)


def test_topic_state_changes_publish_and_audit(topic, moderator, published):
    actions.topic_pin(actor=moderator, topic=topic)
    actions.topic_lock(actor=moderator, topic=topic)
    actions.topic_close(actor=moderator, topic=topic)
    topic.refresh_from_db()
    assert topic.pinned and topic.locked and topic.closed
    state = published.of("forum.topic", "change", stream=realtime.topic_stream(topic.pk))[-1]
    assert state["pinned"] and state["locked"] and state["closed"]
    assert set(AuditLog.objects.values_list("action", flat=True)) >= {
        "forum.topic.pinned", "forum.topic.locked", "forum.topic.closed"}


def test_topic_move(topic, make_category, moderator, category, published):
    target = make_category()
    actions.topic_move(actor=moderator, topic=topic, category=target)
    topic.refresh_from_db()
    target.refresh_from_db()
    category.refresh_from_db()
    assert topic.category_id == target.pk and target.topic_count == 1 and category.topic_count == 0
    assert published.of("forum.topic", "remove", stream=realtime.category_stream(category.pk))
    assert AuditLog.objects.filter(action="forum.topic.move").exists()


def test_topic_merge_renumbers_after_target(make_topic, moderator, reader):
    target = make_topic(title="Main thread")
    source = make_topic(title="Duplicate")
    actions.reply_create(author=reader, topic=target, raw="t2")
    actions.reply_create(author=reader, topic=source, raw="s2")
    actions.topic_merge(actor=moderator, source=source, target=target)
    target.refresh_from_db()
    source.refresh_from_db()
    assert list(target.posts.order_by("number").values_list("raw", flat=True)) == [
        "The first post of this topic.", "t2", "The first post of this topic.", "s2"]
    assert target.last_post_number == 4 and target.reply_count == 3
    assert source.merged_into_id == target.pk and source.deleted_at is not None
    assert AuditLog.objects.filter(action="forum.topic.merge").exists()


def test_member_suspend_with_reason(reader, moderator):
    actions.member_suspend(actor=moderator, member=reader, days=7, reason="Repeated spam")
    reader.refresh_from_db()
    assert reader.is_suspended() and reader.moderation_reason == "Repeated spam"
    assert AuditLog.objects.get(action="forum.member.suspend").data["reason"] == "Repeated spam"


def test_moderator_cannot_silence_staff_or_without_reason(reader, moderator, staff_member):
    with pytest.raises(NotAllowed):
        actions.member_silence(actor=moderator, member=staff_member, days=1, reason="x")
    with pytest.raises(ForumError):
        actions.member_silence(actor=moderator, member=reader, days=1, reason="  ")


# --- Categories ---------------------------------------------------------------------------------------------

def test_category_create_validates_and_needs_a_moderator(reader, moderator):
    with pytest.raises(NotAllowed):
        actions.category_create(actor=reader, name="Mine")
    with pytest.raises(ForumError):
        actions.category_create(actor=moderator, name="Bad colour", colour="red;background:url(x)")
    category = actions.category_create(actor=moderator, name="Tips & tricks", qa_mode=True)
    assert category.slug == "tips-tricks" and category.qa_mode
    assert AuditLog.objects.filter(action="forum.category.create", target_id=str(category.pk)).exists()


# --- access.changed: members' open sockets re-check at once -------------------------------------------------

def _access_changed(published, member) -> list[dict]:
    return published.of(realtime.ACCESS_CHANGED, stream=realtime.member_stream(member.pk))


def test_silence_suspend_and_lift_tell_the_members_sockets(reader, settled_member, moderator, published):
    other = settled_member()
    actions.member_silence(actor=moderator, member=reader, days=1, reason="Cool down")
    assert _access_changed(published, reader) == [{"type": "access.changed"}]
    actions.member_suspend(actor=moderator, member=reader, days=2, reason="Spam")
    actions.member_unsilence(actor=moderator, member=reader)
    assert len(_access_changed(published, reader)) == 3
    assert not _access_changed(published, other) and not _access_changed(published, moderator)


def test_refused_silence_publishes_nothing(reader, moderator, published):
    with pytest.raises(ForumError):
        actions.member_silence(actor=moderator, member=reader, days=1, reason=" ")
    assert not _access_changed(published, reader)


def test_review_silence_tells_the_author(topic, reader, moderator, published):
    post = actions.reply_create(author=reader, topic=topic, raw="Rude words")
    published.clear()
    actions.review_silence(actor=moderator, post=post, days=2, reason="Be kind")
    assert _access_changed(published, reader) == [{"type": "access.changed"}]


def test_move_to_a_roles_category_tells_participants_who_lose_access(topic, author, reader, settled_member,
                                                                     make_category, moderator, staff_member,
                                                                     published):
    from django.contrib.auth.models import Group

    insiders = Group.objects.create(name="Insiders")
    insider, watcher, bystander = settled_member(), settled_member(), settled_member()
    insider.groups.add(insiders)
    actions.reply_create(author=reader, topic=topic, raw="A reply by a member outside the role.")
    actions.reply_create(author=insider, topic=topic, raw="A reply by a member with the role.")
    actions.reply_create(author=moderator, topic=topic, raw="A moderator's reply.")
    actions.reply_create(author=staff_member, topic=topic, raw="A staff member's reply.")
    actions.subscription_set(user=watcher, topic=topic, level="watching")
    secret = make_category(access_level=AccessLevel.ROLES, access_groups=[insiders])
    published.clear()

    actions.topic_move(actor=moderator, topic=topic, category=secret)

    told = {int(s.split(".")[1]) for s, e in published.events if e["type"] == realtime.ACCESS_CHANGED}
    assert told == {author.pk, reader.pk, watcher.pk}  # not the insider, moderator, staff or a bystander
    assert bystander.pk not in told


def test_move_to_a_wider_or_members_category_tells_nobody(topic, reader, make_category, moderator, published,
                                                          members_only):
    actions.reply_create(author=reader, topic=topic, raw="A reply.")
    published.clear()
    actions.topic_move(actor=moderator, topic=topic, category=members_only)  # only signed-out readers lose it
    actions.topic_move(actor=moderator, topic=topic, category=make_category())
    assert not published.of(realtime.ACCESS_CHANGED)
