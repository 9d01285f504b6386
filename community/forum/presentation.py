"""What the post templates need, computed once per page in Python instead of once per post in the template.

`{% url %}` costs a `reverse()` per call; a 20-post page has about ten links per post. The links of a post
differ only by the post's id or number, so each page reverses every route once and formats the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape as _escape

from django.urls import reverse
from django.utils.safestring import SafeData, SafeString, mark_safe

from community.forum.models import REACTION_EMOJI, Post, ReactionKind, Topic


def _esc(value) -> str:
    if isinstance(value, SafeData):
        return value
    if isinstance(value, int):  # bool included; never needs escaping
        return str(value)
    return _escape(str(value), quote=True)  # what django.utils.html.escape does, without its lazy-string wrapper


def _fmt(template: str, *args) -> SafeString:
    """django.utils.html.format_html for the hot loops here: same escaping, about three times cheaper."""
    return mark_safe(template.format(*map(_esc, args)))


def _fmt_join(sep: str, template: str, rows) -> SafeString:
    return mark_safe(sep.join(template.format(*map(_esc, row)) for row in rows))


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
        return _fmt_join(
            "", '<button type="submit" name="kind" value="{}" class="reaction{}{}" aria-pressed="{}">'
                '<span aria-hidden="true">{}</span> <span class="count" data-count="{}">{}</span>'
                '<span class="visually-hidden">{}</span></button>',
            ((kind, " mine" if mine else "", "" if count else " empty", "true" if mine else "false", emoji, kind,
              count or "", label) for kind, emoji, label, count, mine in reactions))
    return _fmt_join(
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


_ROW_HEAD = '<tr data-topic-id="{}">\n      <td>\n        {}<a class="topic-title" href="{}">{}</a>'
_ROW_TAIL = ('\n        <div class="topic-meta">\n          <a class="category-link" href="{}"><span class="swatch" '
             'style="background: {}" aria-hidden="true"></span>{}</a>\n          {}\n        </div>\n      </td>\n'
             '      <td class="num">{}</td>\n      <td class="num">{}</td>\n'
             '      <td><time datetime="{}">{}</time>{}</td>\n    </tr>\n')


@dataclass(frozen=True, slots=True)
class RowParts:
    """A topic list row as every member sees it, split where the member's own marks go (see rows_html)."""

    topic_id: int
    author_id: int | None
    last_post_number: int
    url: str
    head: str
    tail: str


def topic_row_parts(topics: Iterable[Topic]) -> list[RowParts]:
    """The <tr> rows of a topic list (templates/forum/latest.html) without the reader's marks, built with
    format_html (every value escaped): a template loop with a dozen tags a row was most of a list page's time.
    Needs decorate_topics() first. Times are shown in the active time zone, like the template filters.
    """
    from django.utils.timezone import localtime
    from django.utils.translation import gettext

    pinned = _fmt('<span class="tag-pill" title="{}">{}</span>\n        ', gettext("Pinned"), gettext("Pinned"))
    locked = _fmt('<span class="tag-pill">{}</span>\n        ', gettext("Locked"))
    closed = _fmt('<span class="tag-pill">{}</span>\n        ', gettext("Closed"))
    solved = _fmt('<span class="tag-pill solved">{}</span>\n        ', gettext("Solved"))
    parts = []
    for topic in topics:
        pills = "".join(pill for flag, pill in ((topic.pinned, pinned), (topic.locked, locked),
                                                (topic.closed, closed), (topic.accepted_answer_id, solved)) if flag)
        tags = _fmt_join("", '<a class="tag-link" href="{}">#{}</a>', topic.tag_links)
        when = localtime(topic.last_posted_at)
        poster = _fmt('<br><span class="muted">{}</span>', topic.last_poster.name) \
            if topic.last_poster_id and topic.last_poster is not None else ""
        parts.append(RowParts(
            topic_id=topic.pk, author_id=topic.author_id, last_post_number=topic.last_post_number, url=topic.url,
            head=_fmt(_ROW_HEAD, topic.pk, mark_safe(pills), topic.url, topic.title),
            tail=_fmt(_ROW_TAIL, topic.category_url, topic.category.colour, topic.category.name, tags,
                      topic.reply_count, topic.view_count, when.isoformat(), when.strftime("%Y-%m-%d %H:%M"),
                      poster)))
    return parts


def rows_html(parts: Iterable[RowParts], *, last_read: dict[int, int | None], member_id: int | None) -> SafeString:
    """The rows with the reader's marks: a jump to the first unread post, or "new" for a topic never opened
    (members only; not on their own topics)."""
    from django.utils.translation import gettext

    new = _fmt(' <span class="tag-pill new">{}</span>', gettext("new"))
    unread = gettext("unread")
    out = []
    for row in parts:
        read = last_read.get(row.topic_id)
        out.append(row.head)
        if read is not None and read < row.last_post_number:
            out.append(_fmt(' <a class="unread-link" href="{}{}">{}</a>', row.url, read + 1, unread))
        if member_id is not None and read is None and row.author_id != member_id:
            out.append(new)
        out.append(row.tail)
    return mark_safe("".join(out))


def topic_rows(topics: Iterable[Topic], viewer=None) -> SafeString:
    """The rows of a topic list for `viewer`, from each topic's `.last_read` (see topic_row_parts)."""
    topics = list(topics)
    member_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    return rows_html(topic_row_parts(topics), last_read={t.pk: getattr(t, "last_read", None) for t in topics},
                     member_id=member_id)


def posts_html(posts: Iterable[Post], links: Links, *, csrf_token: str, signed_in: bool, posting,
               moderator: bool, can_accept: bool) -> list[SafeString]:
    """Each post of a topic page as templates/forum/_post.html (with _reactions.html and _bookmark.html) renders
    it for a reader (not the live fragment), built with format_html: three template includes per post were
    most of a topic page's time. tests/forum/test_presentation.py holds the two to the same output.
    Needs decorate() first.
    """
    from django.utils.timezone import localtime
    from django.utils.translation import gettext

    csrf = _fmt('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf_token)
    t = {key: gettext(key) for key in (
        "deleted member", "Post", "edited", "Accepted answer", "Waiting for approval", "Hidden",
        "This post was deleted.", "Restore", "Bookmarked", "Bookmark", "Reply", "Quote", "Edit", "Delete", "Flag",
        "Unaccept answer", "Accept answer")}
    in_reply_to = gettext("in reply to #%(n)s")
    out = []
    for post in posts:
        base = f"{links.post_base}{post.pk}"
        author = _fmt('<a href="{}">{}</a>', post.author_url, post.author.name) if post.author_url \
            else t["deleted member"]
        when = localtime(post.created_at)
        head = [_fmt(
            '<article class="post{}{}" id="post-{}" data-post-id="{}" data-number="{}">\n  <header class="post-header">\n'
            '    <span class="post-author">{}</span>\n'
            '    <a class="post-number" href="{}{}"><span class="visually-hidden">{} </span>#{}</a>\n'
            '    <time datetime="{}">{}</time>\n    ',
            "" if post.is_alive else " post-muted", " post-accepted" if post.is_accepted else "", post.number, post.pk,
            post.number, author, links.topic_url, post.number, t["Post"], post.number, when.isoformat(),
            when.strftime("%Y-%m-%d %H:%M"))]
        if post.edited_at:
            head.append(_fmt('<a class="edited" href="{}/revisions">{}</a>', base, t["edited"]))
        head.append("\n    ")
        if post.reply_to_id and post.reply_to:
            head.append(_fmt('<a class="in-reply-to" href="{}{}">{}</a>', links.topic_url,
                                    post.reply_to.number, in_reply_to % {"n": post.reply_to.number}))
        head.append("\n    ")
        if post.is_accepted:
            head.append(_fmt('<span class="tag-pill solved">{}</span>', t["Accepted answer"]))
        head.append("\n    ")
        if not post.approved:
            head.append(_fmt('<span class="tag-pill warn">{}</span>', t["Waiting for approval"]))
        head.append("\n    ")
        if post.hidden:
            head.append(_fmt('<span class="tag-pill warn">{}</span>', t["Hidden"]))
        head.append("\n  </header>\n  ")
        if post.deleted_at:
            head.append(_fmt('\n  <p class="muted">{}</p>\n  ', t["This post was deleted."]))
            if moderator:
                head.append(_fmt('<form method="post" action="{}/restore">{}<button type="submit" '
                                        'class="small secondary">{}</button></form>', base, csrf, t["Restore"]))
            head.append("\n  ")
        else:
            head.append(_fmt('\n  <div class="prose post-body">{}</div>\n  <footer class="post-actions">\n    ',
                                    mark_safe(post.html)))
            if signed_in:
                head.append(_fmt(
                    '<form method="post" action="{}/react" class="reactions" id="reactions-{}" data-reactions="{}" '
                    'hx-post="{}/react" hx-target="this" hx-swap="outerHTML">{}{}</form>\n\n    ',
                    base, post.pk, post.pk, base, csrf, post.reaction_html))
                head.append(_fmt(
                    '\n      <form method="post" action="{}/bookmark" class="inline" id="bookmark-{}" '
                    'hx-post="{}/bookmark" hx-target="this" hx-swap="outerHTML">{}\n  <button type="submit" '
                    'class="link-button" aria-pressed="{}">{}</button>\n</form>\n\n      ',
                    base, post.pk, base, csrf, "true" if post.bookmarked else "false",
                    t["Bookmarked"] if post.bookmarked else t["Bookmark"]))
                if posting:
                    head.append(_fmt(
                        '<a href="{}?reply_to={}">{}</a>\n      <a href="{}?quote={}" data-quote="{}">{}</a>',
                        links.reply_url, post.number, t["Reply"], links.reply_url, post.number, post.number,
                        t["Quote"]))
                head.append("\n      ")
                if post.can_edit:
                    head.append(_fmt(
                        '<a href="{}/edit">{}</a>\n      <form method="post" action="{}/delete" class="inline">{}'
                        '<button type="submit" class="link-button">{}</button></form>', base, t["Edit"], base, csrf,
                        t["Delete"]))
                head.append("\n      ")
                if post.can_flag:
                    head.append(_fmt('<a href="{}/flag">{}</a>', base, t["Flag"]))
                head.append("\n      ")
                if can_accept and post.number > 1:
                    button = _fmt('<input type="hidden" name="undo" value="1"><button type="submit" '
                                         'class="small secondary">{}</button>\n        ', t["Unaccept answer"]) \
                        if post.is_accepted else _fmt('<button type="submit" class="small">{}</button>',
                                                             t["Accept answer"])
                    head.append(_fmt('\n      <form method="post" action="{}/accept" class="inline">{}\n'
                                            '        {}\n      </form>', base, csrf, button))
                head.append("\n    ")
            else:
                head.append(_fmt('<div class="reactions" id="reactions-{}" data-reactions="{}">{}</div>\n\n    ',
                                        post.pk, post.pk, post.reaction_html))
            head.append("\n  </footer>\n  ")
        head.append("\n</article>")
        out.append(mark_safe("".join(head)))
    return out
