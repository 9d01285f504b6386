"""The blog as readers see it, and the editors' writing pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from community.content import actions, selectors
from community.content.forms import ArticleForm, HelpfulForm, ScheduleForm
from community.content.models import ArticleStatus, TagFollow
from community.markup import excerpt


def _meta(article) -> dict:
    """Plain text for <title>, meta description and Open Graph: autoescaped by the template, never HTML."""
    return {
        "meta_title": article.title,
        "meta_description": article.summary or excerpt(article.body_html, 200),
    }


def article_list(request: HttpRequest, tag: str | None = None) -> HttpResponse:
    language = request.GET.get("language") or None
    query = request.GET.get("q", "")[:100]
    tag_obj = selectors.tag_for(tag) if tag else None
    page = selectors.article_list(request.user, tag=tag, language=language, query=query, page=request.GET.get("page", 1))
    following = bool(tag_obj and request.user.is_authenticated
                     and TagFollow.objects.filter(member=request.user, tag=tag_obj).exists())
    return render(request, "content/article_list.html", {
        "nav": "blog", "page": page, "articles": page.object_list, "tag": tag_obj, "query": query,
        "language": language, "following": following, "can_edit": selectors.can_edit_content(request.user),
    })


def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = selectors.article_for_reader(request.user, slug)
    actions.article_read(member=request.user, article=article)
    return render(request, "content/article_detail.html", {
        "nav": "blog", "article": article, **_meta(article),
        "related": selectors.related_articles(request.user, article),
        "helpful": selectors.helpful_summary(request.user, article),
        "can_edit": selectors.can_edit_content(request.user),
    })


@login_required
def article_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """Editors see the article exactly as readers will, before it is published."""
    article = selectors.article_for_editor(request.user, slug)
    return render(request, "content/article_detail.html", {
        "nav": "blog", "article": article, **_meta(article), "preview": True, "related": [],
        "helpful": None, "can_edit": True,
    })


@require_POST
@login_required
def article_helpful(request: HttpRequest, slug: str) -> HttpResponse:
    article = selectors.article_for_reader(request.user, slug)
    form = HelpfulForm(request.POST)
    if form.is_valid():
        try:
            actions.helpful_vote(member=request.user, article=article, helpful=form.cleaned_data["helpful"])
        except actions.ArticleError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Thank you for your answer."))
    if request.headers.get("HX-Request"):
        return render(request, "content/_helpful.html", {
            "article": article, "helpful": selectors.helpful_summary(request.user, article)})
    return redirect(article.get_absolute_url() + "#helpful")


@require_POST
@login_required
def tag_follow_toggle(request: HttpRequest, tag: str) -> HttpResponse:
    tag_obj = selectors.tag_for(tag)
    if request.POST.get("follow") == "1":
        actions.tag_follow(member=request.user, tag=tag_obj)
        messages.success(request, _("You follow this tag."))
    else:
        actions.tag_unfollow(member=request.user, tag=tag_obj)
        messages.success(request, _("You no longer follow this tag."))
    return redirect("content:tag", tag=tag_obj.slug)


# --- Editors ----------------------------------------------------------------------------------------------


def _require_editor(request: HttpRequest) -> None:
    if not selectors.can_edit_content(request.user):
        raise PermissionDenied


@login_required
def editor_articles(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    status = request.GET.get("status") or None
    page = selectors.editor_articles(request.user, status=status, page=request.GET.get("page", 1))
    return render(request, "content/editor_articles.html", {
        "nav": "blog", "page": page, "articles": page.object_list, "status": status,
        "statuses": ArticleStatus.choices,
    })


@login_required
@require_http_methods(["GET", "POST"])
def article_write(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    form = ArticleForm(request.POST or None, request.FILES or None, initial={"language": request.user.locale})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = actions.article_create(
                actor=request.user, title=data["title"], slug=data["slug"], summary=data["summary"],
                body=data["body"], language=data["language"], tags=data["tags"], members_only=data["members_only"],
                cover_image=data["cover_image"], cover_alt=data["cover_alt"],
            )
        except actions.ArticleError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Draft saved."))
            if "preview" in request.POST:
                return redirect("content:article_preview", slug=article.slug)
            return redirect("content:article_edit", slug=article.slug)
    return render(request, "content/article_form.html", {"nav": "blog", "form": form, "article": None})


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, slug: str) -> HttpResponse:
    article = selectors.article_for_editor(request.user, slug)
    form = ArticleForm(request.POST or None, request.FILES or None, initial=ArticleForm.initial_for(article))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = actions.article_update(
                actor=request.user, article=article, title=data["title"], slug=data["slug"] or article.slug,
                summary=data["summary"], body=data["body"], language=data["language"], tags=data["tags"],
                members_only=data["members_only"], cover_image=data["cover_image"], cover_alt=data["cover_alt"],
            )
        except actions.ArticleError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            if "preview" in request.POST:
                return redirect("content:article_preview", slug=article.slug)
            return redirect("content:article_edit", slug=article.slug)
    return render(request, "content/article_form.html", {
        "nav": "blog", "form": form, "article": article, "schedule_form": ScheduleForm(),
    })


@require_POST
@login_required
def article_status(request: HttpRequest, slug: str) -> HttpResponse:
    """Publish now, schedule, unpublish or archive."""
    article = selectors.article_for_editor(request.user, slug)
    action = request.POST.get("action")
    try:
        if action == "publish":
            actions.article_publish(actor=request.user, article=article)
            messages.success(request, _("Published."))
        elif action == "schedule":
            form = ScheduleForm(request.POST)
            if not form.is_valid():
                raise actions.ArticleError(_("Choose a date and time."))
            actions.article_schedule(actor=request.user, article=article, publish_at=form.cleaned_data["publish_at"])
            messages.success(request, _("Scheduled."))
        elif action == "unpublish":
            actions.article_unpublish(actor=request.user, article=article)
            messages.success(request, _("Back to draft."))
        elif action == "archive":
            actions.article_archive(actor=request.user, article=article)
            messages.success(request, _("Archived."))
        else:
            raise Http404
    except actions.ArticleError as exc:
        messages.error(request, str(exc))
    return redirect("content:article_edit", slug=article.slug)
