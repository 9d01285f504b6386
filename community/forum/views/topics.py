"""The topic page, permalinks, writing (new topic, reply, edit, delete) and what members do with posts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community import realtime
from community.forum import actions, selectors, shared
from community.forum.pagecache import anonymous_page
from community.forum.forms import (
    DraftForm,
    FlagForm,
    PostEditForm,
    ReactionForm,
    ReplyForm,
    SubscriptionForm,
    TopicForm,
)
from community.forum.models import Category, Draft, Post, SubscriptionLevel
from community.forum.presentation import Links, decorate
from community.forum.routes import fast_reverse
from community.forum.permissions import NotAllowed, can_post, can_start_topic
from community.forum.views._util import DOMAIN_ERRORS, is_htmx, page_param, refusal


def _topic(request: HttpRequest, pk: int):
    topic = selectors.topic_for(request.user, pk)
    if topic.merged_into_id:
        raise _Redirect(reverse("forum:topic", kwargs={"slug": "-", "pk": topic.merged_into_id}))
    return topic


class _Redirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


def topic(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return anonymous_page(request, lambda _slugs: realtime.topic_stream(pk), lambda: _topic_page(request, slug, pk),
                          on_hit=lambda: selectors.count_anonymous_view(pk))


def _topic_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    page = page_param(request)
    state = None
    if request.user.is_authenticated and shared.enabled():
        topic_obj, state = shared.member_topic(request.user, pk, page)
        if topic_obj.merged_into_id:
            return HttpResponseRedirect(reverse("forum:topic", kwargs={"slug": "-", "pk": topic_obj.merged_into_id}))
    else:
        try:
            topic_obj = _topic(request, pk)
        except _Redirect as jump:
            return HttpResponseRedirect(jump.url)
    if slug != topic_obj.slug:
        url = topic_obj.get_absolute_url()
        if request.GET.get("page"):
            url += f"?page={page}"
        return HttpResponseRedirect(url)
    return _render_topic(request, topic_obj, page, state=state)


def _render_topic(request: HttpRequest, topic_obj, page: int, *, status: int = 200, form=None,
                  state: shared.TopicState | None = None) -> HttpResponse:
    """The topic page. With `state` (a member's, from community.forum.shared), posts and their HTML come from
    what members share, with the member's own marks laid over."""
    from_shared = False
    if state is not None:
        data, from_shared = shared.member_topic_page(request.user, topic_obj, state, page)
    else:
        data = selectors.topic_page(request.user, topic_obj, page=page)
    selectors.record_view(request.user, data)
    posting = can_post(request.user, topic_obj, full=False)
    if form is None and request.user.is_authenticated and posting:
        form = ReplyForm(initial={"raw": data.draft})
    links = Links(topic_obj)
    can_accept = topic_obj.category.qa_mode and request.user.is_authenticated and (
        data.moderator or topic_obj.author_id == request.user.pk)
    rendered = shared.page_posts_html(request.user, data, links, from_shared=from_shared,
                                      csrf_token=get_token(request), posting=posting, can_accept=can_accept)
    # Joined here rather than looped over in the template (20 iterations were a fifth of its rendering time);
    # the accepted answer is shown right under the opening post, so that one is kept apart.
    opening = mark_safe(rendered[0]) if data.posts and data.posts[0].number == 1 else ""
    context = {
        "nav": "forum", "topic": topic_obj, "data": data, "opening_post": opening,
        "other_posts": mark_safe("".join(rendered[1:] if opening else rendered)), "form": form, "links": links,
        "posting": posting, "moderator": data.moderator, "signed_in": request.user.is_authenticated,
        "can_accept": can_accept,
        "levels": SubscriptionLevel.choices, "tag_links": [
            (name, fast_reverse("forum:tag", slug=slug)) for name, slug in topic_obj.tag_rows],
        "move_categories": Category.objects.ordered() if data.moderator else [],
    }
    return render(request, "forum/topic.html", context, status=status)


def post_permalink(request: HttpRequest, slug: str, pk: int, number: int) -> HttpResponse:
    """/t/<slug>/<id>/<n>: the page that holds post n, scrolled to it."""
    try:
        topic_obj = _topic(request, pk)
    except _Redirect as jump:
        return HttpResponseRedirect(jump.url)
    post = Post.objects.filter(topic=topic_obj, number=number).first()
    if post is None:
        raise Http404
    post.topic = topic_obj
    from community.forum.permissions import can_view_post

    if not can_view_post(request.user, post):
        raise Http404
    page = selectors.page_of(number)
    url = topic_obj.get_absolute_url() + (f"?page={page}" if page > 1 else "") + f"#post-{number}"
    return HttpResponseRedirect(url)


# --- Writing -----------------------------------------------------------------------------------------------

@login_required
def topic_new(request: HttpRequest) -> HttpResponse:
    cats = [c for c in selectors.categories_for(request.user) if can_start_topic(request.user, c, full=False)]
    if not cats:
        messages.error(request, _("You cannot start a topic at the moment."))
        return redirect("forum:latest")
    if request.method == "POST":
        form = TopicForm(request.POST, categories=cats)
        if form.is_valid():
            data = form.cleaned_data
            try:
                topic_obj = actions.topic_create(author=request.user, category=data["category"], title=data["title"],
                                                 raw=data["raw"], tags=data["tags"], token=data["token"] or None)
            except DOMAIN_ERRORS as exc:
                form.add_error(None, str(getattr(exc, "message", exc)))
            else:
                actions.draft_discard(user=request.user, topic=None)
                if not topic_obj.approved:
                    messages.info(request, _("Thank you! Your topic waits for a moderator's approval."))
                return redirect(topic_obj.get_absolute_url())
    else:
        draft = Draft.objects.filter(user=request.user, topic__isnull=True).first()
        initial = {"category": request.GET.get("category") and next(
            (c.pk for c in cats if c.slug == request.GET["category"]), None)}
        if draft:
            initial.update(title=draft.title, raw=draft.raw, category=initial["category"] or draft.category_id)
        form = TopicForm(initial=initial, categories=cats)
    return render(request, "forum/topic_new.html", {"nav": "forum", "form": form})


@login_required
def reply(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    try:
        topic_obj = _topic(request, pk)
    except _Redirect as jump:
        return HttpResponseRedirect(jump.url)
    if request.method != "POST":
        quote = Post.objects.alive().filter(topic=topic_obj, number=request.GET.get("quote") or 0).first() \
            if (request.GET.get("quote") or "").isdigit() else None
        initial = {}
        if (request.GET.get("reply_to") or "").isdigit():
            initial["reply_to"] = int(request.GET["reply_to"])
        if quote is not None:
            initial = {"quote_post": quote.number, "quote_text": quote.raw[:2000], "reply_to": quote.number}
        return render(request, "forum/reply.html", {
            "nav": "forum", "topic": topic_obj, "form": ReplyForm(initial=initial), "quote": quote,
            "posting": can_post(request.user, topic_obj, full=False)})
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return render(request, "forum/reply.html", {"nav": "forum", "topic": topic_obj, "form": form,
                                                    "posting": can_post(request.user, topic_obj, full=False)},
                      status=400)
    data = form.cleaned_data
    by_number = {}
    wanted = {n for n in (data["reply_to"], data["quote_post"]) if n}
    if wanted:
        by_number = {p.number: p for p in Post.objects.alive().filter(topic=topic_obj, number__in=wanted)
                     .select_related("author", "topic__category")}
    try:
        post = actions.reply_create(
            author=request.user, topic=topic_obj, raw=data["raw"], reply_to=by_number.get(data["reply_to"]),
            quote_post=by_number.get(data["quote_post"]), quote_text=data["quote_text"] or "",
            token=data["token"] or None)
    except DOMAIN_ERRORS as exc:
        return refusal(request, exc, topic_obj.get_absolute_url() + "#reply")
    actions.draft_discard(user=request.user, topic=topic_obj)
    if not post.approved:
        messages.info(request, _("Thank you! Your reply waits for a moderator's approval."))
    return HttpResponseRedirect(topic_obj.post_url(post.number))


@login_required
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_for(request.user, pk)
    first = post.number == 1
    if request.method == "POST":
        form = PostEditForm(request.POST, first_post=first)
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.post_edit(editor=request.user, post=post, raw=data["raw"],
                                  title=data.get("title") if first else None,
                                  tags=data.get("tags") if first else None)
            except DOMAIN_ERRORS as exc:
                return refusal(request, exc, post.get_absolute_url())
            return HttpResponseRedirect(post.get_absolute_url())
    else:
        from community.forum.permissions import can_moderate

        if post.author_id != request.user.pk and not can_moderate(request.user, post.topic.category):
            return refusal(request, NotAllowed(_("You can only edit your own posts.")), post.get_absolute_url())
        initial = {"raw": post.raw}
        if first:
            initial.update(title=post.topic.title, tags=" ".join(t.name for t in post.topic.tags.all()))
        form = PostEditForm(initial=initial, first_post=first)
    return render(request, "forum/post_edit.html", {"nav": "forum", "form": form, "post": post})


@require_POST
@login_required
def post_delete(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_for(request.user, pk)
    try:
        actions.post_delete(actor=request.user, post=post, reason=request.POST.get("reason", "")[:500])
    except DOMAIN_ERRORS as exc:
        return refusal(request, exc, post.get_absolute_url())
    messages.success(request, _("The post was deleted."))
    if post.number == 1:
        return redirect("forum:latest")
    return HttpResponseRedirect(post.topic.get_absolute_url())


@require_POST
@login_required
def post_restore(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_for(request.user, pk)
    try:
        actions.post_restore(actor=request.user, post=post)
    except DOMAIN_ERRORS as exc:
        return refusal(request, exc, post.topic.get_absolute_url())
    return HttpResponseRedirect(post.get_absolute_url())


def post_revisions(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_for(request.user, pk)
    return render(request, "forum/revisions.html", {"nav": "forum", "post": post,
                                                    "revisions": list(post.revisions.select_related("editor"))})


# --- Reactions, bookmarks, answers, subscriptions, drafts, flags ---------------------------------------------

@require_POST
@login_required
def react(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_for(request.user, pk)
    form = ReactionForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    try:
        _added, _counts = actions.reaction_toggle(user=request.user, post=post, kind=form.cleaned_data["kind"])
    except DOMAIN_ERRORS as exc:
        return refusal(request, exc, post.get_absolute_url())
    if is_htmx(request):
        mine = set(post.reactions.filter(user=request.user).values_list("kind", flat=True))
        links = Links(post.topic)
        decorate([post], links, mine={post.pk: mine}, viewer=request.user)
        return render(request, "forum/_reactions.html", {"post": post, "signed_in": True, "links": links})
    return HttpResponseRedirect(post.get_absolute_url())


@require_POST
@login_required
def bookmark(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_for(request.user, pk)
    try:
        marked = actions.bookmark_toggle(user=request.user, post=post)
    except DOMAIN_ERRORS as exc:
        return refusal(request, exc, post.get_absolute_url())
    if is_htmx(request):
        post.bookmarked = marked
        return render(request, "forum/_bookmark.html", {"post": post, "links": Links(post.topic)})
    return HttpResponseRedirect(post.get_absolute_url())


@require_POST
@login_required
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_for(request.user, pk)
    try:
        if request.POST.get("undo"):
            actions.answer_unaccept(actor=request.user, topic=post.topic)
        else:
            actions.answer_accept(actor=request.user, post=post)
    except DOMAIN_ERRORS as exc:
        return refusal(request, exc, post.get_absolute_url())
    return HttpResponseRedirect(post.get_absolute_url())


@require_POST
@login_required
def topic_subscription(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    topic_obj = selectors.topic_for(request.user, pk)
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        actions.subscription_set(user=request.user, topic=topic_obj, level=form.cleaned_data["level"])
        messages.success(request, _("Your notification level was saved."))
    return HttpResponseRedirect(topic_obj.get_absolute_url())


@require_POST
@login_required
def category_subscription(request: HttpRequest, slug: str) -> HttpResponse:
    cat = selectors.category_for(request.user, slug)
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        actions.subscription_set(user=request.user, category=cat, level=form.cleaned_data["level"])
        messages.success(request, _("Your notification level was saved."))
    return HttpResponseRedirect(cat.get_absolute_url())


@require_POST
@login_required
def draft(request: HttpRequest, pk: int | None = None, slug: str = "") -> HttpResponse:
    """Autosave (fetch from forum.js every few seconds): a reply draft for topic `pk`, or a new-topic draft."""
    topic_obj = selectors.topic_for(request.user, pk) if pk else None
    form = DraftForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"saved": False, "errors": form.errors}, status=400)
    data = form.cleaned_data
    category = None
    if data["category"] and topic_obj is None:
        category = next((c for c in selectors.categories_for(request.user) if c.pk == data["category"]), None)
    try:
        saved = actions.draft_save(user=request.user, topic=topic_obj, category=category, title=data["title"],
                                   raw=data["raw"])
    except DOMAIN_ERRORS as exc:
        return JsonResponse({"saved": False, "error": str(getattr(exc, "message", exc))}, status=400)
    return JsonResponse({"saved": saved is not None})


@login_required
def flag(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_for(request.user, pk)
    if request.method == "POST":
        form = FlagForm(request.POST)
        if form.is_valid():
            try:
                actions.flag_create(user=request.user, post=post, reason=form.cleaned_data["reason"],
                                    message=form.cleaned_data["message"])
            except DOMAIN_ERRORS as exc:
                return refusal(request, exc, post.get_absolute_url())
            messages.success(request, _("Thank you. A moderator will look at this post."))
            return HttpResponseRedirect(post.topic.get_absolute_url())
    else:
        form = FlagForm()
    return render(request, "forum/flag.html", {"nav": "forum", "form": form, "post": post})
