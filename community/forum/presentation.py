"""What the post templates need, computed once per page in Python instead of once per post in the template.

`{% url %}` costs a `reverse()` per call; a 20-post page has about ten links per post. The links of a post
differ only by the post's id or number, so each page reverses every route once and formats the rest.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from community.forum.models import REACTION_EMOJI, Post, ReactionKind, Topic

_MARK = "2147483647"  # an id no route will ever be asked for; replaced by the real id


class Links:
    """Link builders for the posts of one topic page."""

    def __init__(self, topic: Topic) -> None:
        self.topic_url = topic.get_absolute_url()
        self.reply_url = reverse("forum:reply", kwargs={"slug": topic.slug or "-", "pk": topic.pk})
        self.post_base = reverse("forum:post_edit", kwargs={"pk": int(_MARK)}).split(_MARK)[0]  # "/p/"
        self.profile_base = reverse("accounts:profile", kwargs={"handle": "h" + _MARK}).split("h" + _MARK)

    def profile(self, user) -> str:
        if user.handle and user.deleted_at is None:
            return f"{self.profile_base[0]}{user.handle}{self.profile_base[1]}"
        return user.get_absolute_url()


def reaction_list(post: Post, mine: Iterable[str] = ()) -> list[tuple[str, str, str, int, bool]]:
    """(kind, emoji, label, count, is it mine) for every reaction kind, in display order."""
    counts = post.reaction_counts or {}
    mine = set(mine)
    return [(kind, REACTION_EMOJI[kind], label, counts.get(kind, 0), kind in mine)
            for kind, label in ReactionKind.choices]


def reaction_buttons(reactions: list[tuple[str, str, str, int, bool]], *, interactive: bool) -> SafeString:
    """The reaction buttons (or, for readers who cannot react, the non-zero counts) of one post.

    Built with format_html (every value escaped) rather than a template loop: it runs 20 times per page and a
    template loop over five kinds was most of a topic page's rendering time.
    """
    if interactive:
        return format_html_join(
            "", '<button type="submit" name="kind" value="{}" class="reaction{}{}" aria-pressed="{}">'
                '<span aria-hidden="true">{}</span> <span class="count" data-count="{}">{}</span>'
                '<span class="visually-hidden">{}</span></button>',
            ((kind, " mine" if mine else "", "" if count else " empty", "true" if mine else "false", emoji, kind,
              count or "", label) for kind, emoji, label, count, mine in reactions))
    return format_html_join(
        "", '<span class="reaction"><span aria-hidden="true">{}</span> <span class="count" data-count="{}">{}</span>'
            '<span class="visually-hidden">{}</span></span>',
        ((emoji, kind, count, label) for kind, emoji, label, count, _mine in reactions if count))


def decorate(posts: Iterable[Post], links: Links, *, mine: dict[int, set[str]] | None = None,
             bookmarked: set[int] | None = None, viewer=None, moderator: bool = False) -> None:
    """Give each post what its template shows: `.reaction_html`, `.author_url`, `.bookmarked`, `.can_edit`."""
    mine = mine or {}
    bookmarked = bookmarked or set()
    profiles: dict[int, str] = {}
    interactive = viewer is None or viewer.is_authenticated  # None: the viewer-neutral live fragment
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    for post in posts:
        post.reaction_list = reaction_list(post, mine.get(post.pk, ()))
        post.reaction_html = reaction_buttons(post.reaction_list, interactive=interactive)
        post.can_edit = moderator or (viewer_id is not None and post.author_id == viewer_id)
        post.can_flag = viewer_id is not None and post.author_id != viewer_id
        post.is_accepted = post.topic.accepted_answer_id == post.pk if post.topic_id else False
        post.bookmarked = post.pk in bookmarked
        if post.author_id and post.author is not None:
            if post.author_id not in profiles:
                profiles[post.author_id] = links.profile(post.author)
            post.author_url = profiles[post.author_id]
        else:
            post.author_url = ""


def decorate_topics(topics: Iterable[Topic]) -> None:
    """Give each listed topic `.url`, `.category_url`, `.unread_url` (or "") and `.tag_links` [(name, url)]."""
    from community.forum.routes import fast_reverse

    for topic in topics:
        topic.url = topic.get_absolute_url()
        topic.category_url = topic.category.get_absolute_url()
        last_read = getattr(topic, "last_read", None)
        topic.unread_url = (f"{topic.url}{last_read + 1}"
                            if last_read is not None and last_read < topic.last_post_number else "")
        topic.tag_links = [(name, fast_reverse("forum:tag", slug=slug)) for name, slug in topic.tag_rows]


_ROW = ('<tr data-topic-id="{}">\n      <td>\n        {}<a class="topic-title" href="{}">{}</a>{}\n'
        '        <div class="topic-meta">\n          <a class="category-link" href="{}"><span class="swatch" '
        'style="background: {}" aria-hidden="true"></span>{}</a>\n          {}\n        </div>\n      </td>\n'
        '      <td class="num">{}</td>\n      <td class="num">{}</td>\n'
        '      <td><time datetime="{}">{}</time>{}</td>\n    </tr>\n')


def topic_rows(topics: Iterable[Topic], viewer=None) -> SafeString:
    """The <tr> rows of a topic list (templates/forum/latest.html), built with format_html (every value escaped).

    A template loop with a dozen tags a row was most of a list page's time (20 rows); this is the same HTML.
    Needs decorate_topics() first. Times are shown in the active time zone, like the template filters.
    """
    from django.utils.html import format_html
    from django.utils.safestring import mark_safe
    from django.utils.timezone import localtime
    from django.utils.translation import gettext

    member_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    pinned = format_html('<span class="tag-pill" title="{}">{}</span>\n        ', gettext("Pinned"), gettext("Pinned"))
    locked = format_html('<span class="tag-pill">{}</span>\n        ', gettext("Locked"))
    closed = format_html('<span class="tag-pill">{}</span>\n        ', gettext("Closed"))
    solved = format_html('<span class="tag-pill solved">{}</span>\n        ', gettext("Solved"))
    new = format_html(' <span class="tag-pill new">{}</span>', gettext("new"))
    unread = gettext("unread")
    rows = []
    for topic in topics:
        pills = "".join(pill for flag, pill in ((topic.pinned, pinned), (topic.locked, locked),
                                                (topic.closed, closed), (topic.accepted_answer_id, solved)) if flag)
        after = format_html(' <a class="unread-link" href="{}">{}</a>', topic.unread_url, unread) \
            if topic.unread_url else ""
        if member_id is not None and getattr(topic, "last_read", None) is None and topic.author_id != member_id:
            after += new
        tags = format_html_join("", '<a class="tag-link" href="{}">#{}</a>', topic.tag_links)
        when = localtime(topic.last_posted_at)
        poster = format_html('<br><span class="muted">{}</span>', topic.last_poster.name) \
            if topic.last_poster_id and topic.last_poster is not None else ""
        rows.append(format_html(
            _ROW, topic.pk, mark_safe(pills), topic.url, topic.title, mark_safe(after), topic.category_url,
            topic.category.colour, topic.category.name, tags, topic.reply_count, topic.view_count,
            when.isoformat(), when.strftime("%Y-%m-%d %H:%M"), poster))
    return mark_safe("".join(rows))
