"""Views of metrics (thin): the managers' dashboard, its definitions, CSV exports and at-risk actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.roles import VIEW_DASHBOARD
from community.metrics import actions
from community.spreadsheet import write_csv
from community.metrics.dashboard import dashboard_context, export_rows, filter_form
from community.metrics.forms import MemberListForm, PersonalMessageForm
from community.metrics.reports import REPORTS

dashboard_required = permission_required(VIEW_DASHBOARD, raise_exception=True)


@login_required
@dashboard_required
def dashboard(request):
    form = filter_form(request.GET)
    return render(request, "metrics/dashboard.html", dashboard_context(form=form, request=request))


@login_required
@dashboard_required
def definitions(request):
    return render(request, "metrics/definitions.html", {"nav": "dashboard"})


@login_required
@dashboard_required
def export(request, slug: str):
    if slug not in REPORTS:
        raise Http404
    form = filter_form(request.GET)
    form.is_valid()
    header, rows = export_rows(slug, form.filters())
    response = HttpResponse(write_csv(rows, header=header), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}.csv"'
    return response


def _selected_members(request) -> list[int]:
    ids = []
    for value in request.POST.getlist("members"):
        try:
            ids.append(int(value))
        except ValueError:
            continue
    return ids


@login_required
@dashboard_required
@require_POST
def at_risk_action(request):
    form = MemberListForm(request.POST)
    member_ids = _selected_members(request)
    if not form.is_valid() or not member_ids:
        messages.error(request, _("Tick at least one member and choose an action."))
        return redirect("metrics:dashboard")
    action = form.cleaned_data["action"]
    name = form.cleaned_data.get("name") or _("Members at risk")
    try:
        if action == "segment":
            segment = actions.segment_save(actor=request.user, name=name, member_ids=member_ids, source="at_risk")
            messages.success(request, _("Saved %(n)s members as the segment “%(name)s”.")
                             % {"n": segment.members.count(), "name": segment.name})
        elif action == "digest":
            n = actions.digest_boost(actor=request.user, member_ids=member_ids, reason="at_risk")
            messages.success(request, _("%(n)s members will be included in the next digest.") % {"n": n})
        else:
            campaign = actions.campaign_start(actor=request.user, name=name, member_ids=member_ids,
                                              holdout_percent=form.cleaned_data.get("holdout") or 20)
            messages.success(request, _("Campaign “%(name)s” started; its treatment group is a newsletter segment.")
                             % {"name": campaign.name})
    except (ValueError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    return redirect("metrics:dashboard")


@login_required
@dashboard_required
def message_member(request, pk: int):
    member = get_object_or_404(User.objects.active(), pk=pk)
    form = PersonalMessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.personal_message(actor=request.user, member=member, message=form.cleaned_data["message"])
        except (ValueError, PermissionDenied) as exc:
            form.add_error("message", str(exc))
        else:
            messages.success(request, _("Message sent to %(name)s.") % {"name": member.name})
            return redirect("metrics:dashboard")
    return render(request, "metrics/message.html", {"member": member, "form": form, "nav": "dashboard"})
