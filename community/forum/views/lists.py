"""Topic lists, categories, tags, bookmarks and search."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag

from community import realtime
from community.forum import selectors, shared
from community.forum.pagecache import anonymous_page
from community.forum.forms import SearchForm
from community.forum.permissions import can_start_topic, load_permissions, prime_visible_categories
from community.forum.presentation import decorate_topics, topic_rows
from community.forum.search import SearchFilters, search_posts
from community.forum.views._util import page_param


def _list(request: HttpRequest, *, kind: str, heading, category=None, tag=None, period: str = "all",
          tab: str = "") -> HttpResponse:
    found = None
    if request.user.is_authenticated and kind == "latest" and tag is None and shared.enabled():
        # (the member's state, read in one query, includes their permissions and the categories they may see)
        found = shared.member_topic_list(request.user, category=category, page=page_param(request))
    if found is not None:  # rows every member shares, with this member's read marks laid over
        page, rows = found.page, found.rows
        tracking = shared.member_tracking(request.user, found.state) if category is None else None
    else:
        load_permissions(request.user)  # one query for the page's permission checks instead of two
        prime_visible_categories(request.user)  # the list and the tracking counts both need them: read once
        page = selectors.topic_list(request.user, kind=kind, category=category, tag=tag.slug if tag else None,
                                    period=period, page=page_param(request))
        tracking = selectors.tracking_counts(request.user) if category is None and tag is None else None
        decorate_topics(page.object_list)
        rows = topic_rows(page.object_list, request.user)
    context = {
        "nav": "forum", "page_obj": page, "topics": page.object_list, "heading": heading, "category": category,
        "topic_rows": rows,
        "tag": tag, "tab": tab or kind, "period": period, "periods": list(selectors.PERIODS),
        "tracking": tracking,
        "can_start": category is None or bool(can_start_topic(request.user, category, full=False)),
    }
    return render(request, "forum/latest.html", context)


def latest(request: HttpRequest) -> HttpResponse:
    return anonymous_page(request, lambda _slugs: realtime.latest_stream(),
                          lambda: _list(request, kind="latest", heading=_("Latest topics")))


def top(request: HttpRequest) -> HttpResponse:
    period = request.GET.get("period", "month")
    if period not in selectors.PERIODS:
        period = "month"
    return _list(request, kind="top", heading=_("Top topics"), period=period)


def unanswered(request: HttpRequest) -> HttpResponse:
    return _list(request, kind="unanswered", heading=_("Unanswered topics"))


@login_required
def unread(request: HttpRequest) -> HttpResponse:
    load_permissions(request.user)
    page = selectors.unread_topics(request.user, page=page_param(request))
    decorate_topics(page.object_list)
    return render(request, "forum/latest.html", {
        "nav": "forum", "page_obj": page, "topics": page.object_list, "heading": _("Unread topics"),
        "topic_rows": topic_rows(page.object_list, request.user),
        "tab": "unread", "tracking": selectors.tracking_counts(request.user), "can_start": True,
    })


def category(request: HttpRequest, slug: str) -> HttpResponse:
    def render() -> HttpResponse:
        cat = selectors.category_for(request.user, slug)
        return _list(request, kind="latest", heading=cat.name, category=cat, tab="category")

    return anonymous_page(request, lambda ids: realtime.category_stream(ids[slug]) if slug in ids else None, render)


def tag(request: HttpRequest, slug: str) -> HttpResponse:
    tag_obj = Tag.objects.filter(slug=slug).first()
    if tag_obj is None:
        raise Http404
    return _list(request, kind="latest", heading=_("Topics tagged %(tag)s") % {"tag": tag_obj.name}, tag=tag_obj,
                 tab="tag")


def categories(request: HttpRequest) -> HttpResponse:
    return render(request, "forum/categories.html", {
        "nav": "forum", "categories": selectors.categories_for(request.user)})


@login_required
def bookmarks(request: HttpRequest) -> HttpResponse:
    page = selectors.bookmarks_of(request.user, page=page_param(request))
    return render(request, "forum/bookmarks.html", {"nav": "forum", "page_obj": page})


def search(request: HttpRequest) -> HttpResponse:
    cats = selectors.categories_for(request.user)
    wanted = request.GET.get("category")
    if wanted and wanted.isdigit() and int(wanted) not in {c.pk for c in cats}:
        raise Http404  # a restricted (or unknown) category is not there for this member
    form = SearchForm(request.GET or None, categories=cats)
    page = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        data = form.cleaned_data
        filters = SearchFilters(q=data["q"], category_id=data["category"].pk if data["category"] else None,
                                tag=data["tag"] or "", author=data["author"] or "", since=data["since"],
                                until=data["until"])
        page = search_posts(request.user, filters, page=page_param(request))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "forum/search.html", {"nav": "forum", "form": form, "page_obj": page,
                                                 "query": query.urlencode()})
