"""Moderator pages: the review queue, topic moderation, member silence/suspend, the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from community.forum import actions, selectors
from community.forum.forms import MemberModerationForm, ReviewForm, TopicModerationForm
from community.forum.models import Topic
from community.forum.permissions import ForumError, can_moderate, is_global_moderator
from community.forum.views._util import DOMAIN_ERRORS, page_param, refusal


def _moderator_anywhere(user) -> bool:
    return user.is_authenticated and (is_global_moderator(user) or user.moderated_categories.exists())


@login_required
def review(request: HttpRequest) -> HttpResponse:
    if not _moderator_anywhere(request.user):
        raise Http404
    page = selectors.review_queue(request.user, page=page_param(request))
    return render(request, "forum/review.html", {"nav": "review", "page_obj": page, "form": ReviewForm()})


@require_POST
@login_required
def review_post(request: HttpRequest, pk: int) -> HttpResponse:
    post = selectors.post_for(request.user, pk)
    if not can_moderate(request.user, post.topic.category):
        raise Http404
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an action."))
        return redirect("forum:review")
    data = form.cleaned_data
    reason = data["reason"] or ""
    try:
        if data["action"] == "approve":
            actions.review_approve(actor=request.user, post=post)
        elif data["action"] == "hide":
            actions.review_hide(actor=request.user, post=post, reason=reason)
        elif data["action"] == "delete":
            actions.review_delete(actor=request.user, post=post, reason=reason)
        else:
            actions.review_silence(actor=request.user, post=post, days=data["days"] or 7, reason=reason)
    except DOMAIN_ERRORS as exc:
        return refusal(request, exc, "/review/")
    messages.success(request, _("Done."))
    return redirect("forum:review")


@require_POST
@login_required
def topic_moderate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    topic = selectors.topic_for(request.user, pk)
    if not can_moderate(request.user, topic.category):
        raise Http404
    form = TopicModerationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an action."))
        return HttpResponseRedirect(topic.get_absolute_url())
    data = form.cleaned_data
    action = data["action"]
    try:
        if action in ("lock", "unlock"):
            actions.topic_lock(actor=request.user, topic=topic, locked=action == "lock")
        elif action in ("pin", "unpin"):
            actions.topic_pin(actor=request.user, topic=topic, pinned=action == "pin")
        elif action in ("close", "open"):
            actions.topic_close(actor=request.user, topic=topic, closed=action == "close")
        elif action == "move":
            if data["category"] is None:
                raise ForumError(_("Choose a category."))
            actions.topic_move(actor=request.user, topic=topic, category=data["category"])
        elif action == "merge":
            target = Topic.objects.select_related("category").filter(pk=data["target"] or 0,
                                                                     deleted_at__isnull=True).first()
            if target is None:
                raise ForumError(_("There is no topic with that number."))
            actions.topic_merge(actor=request.user, source=topic, target=target)
            return HttpResponseRedirect(target.get_absolute_url())
    except DOMAIN_ERRORS as exc:
        return refusal(request, exc, topic.get_absolute_url())
    messages.success(request, _("Done."))
    return HttpResponseRedirect(topic.get_absolute_url())


@login_required
def member_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    if not is_global_moderator(request.user):
        raise Http404
    member = get_object_or_404(User, pk=pk)
    if request.method == "POST":
        form = MemberModerationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["action"] == "silence":
                    actions.member_silence(actor=request.user, member=member, days=data["days"], reason=data["reason"])
                elif data["action"] == "suspend":
                    actions.member_suspend(actor=request.user, member=member, days=data["days"], reason=data["reason"])
                else:
                    actions.member_unsilence(actor=request.user, member=member)
            except DOMAIN_ERRORS as exc:
                form.add_error(None, str(getattr(exc, "message", exc)))
            else:
                messages.success(request, _("Done."))
                return redirect("forum:member_moderate", pk=member.pk)
    else:
        form = MemberModerationForm()
    return render(request, "forum/member_moderate.html", {"nav": "review", "form": form, "member": member})


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not is_global_moderator(request.user):
        raise Http404
    page = selectors.audit_log(page=page_param(request))
    return render(request, "forum/audit.html", {"nav": "review", "page_obj": page})



