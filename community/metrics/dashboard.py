"""Assemble the dashboard page from the reports: filter form, KPI cards, chart geometry and data tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from community.metrics import charts
from community.metrics.forms import DashboardFilterForm, MemberListForm
from community.metrics.reports import REPORTS, Filters
from community.metrics.reports.base import Column
from community.metrics.reports.sources import model
from community.metrics.selectors import dashboard as run_dashboard
from community.metrics.selectors import run_report


def filter_form(data) -> DashboardFilterForm:
    from community.loyalty.models import Tier

    Category = model("forum", "Category", "name")
    categories = list(Category.objects.order_by("name").only("pk", "name")) if Category else []
    form = DashboardFilterForm(data or None, tiers=list(Tier.objects.order_by("threshold")), categories=categories)
    if data:
        form.is_valid()
    return form


def fmt(value, kind: str) -> str:
    if value is None or value == "":
        return "–"
    if kind == "pct":
        return f"{number_format(value, 1)}%"
    if kind == "float":
        return number_format(value, 1 if isinstance(value, float) and value != int(value) else 0)
    if kind == "int" and isinstance(value, (int, float)):
        return number_format(value, 0, force_grouping=True)
    return str(value)


@dataclass
class Section:
    slug: str
    title: str
    description: str
    definition: str
    columns: list[Column]
    rows: list[dict]
    cells: list[list[str]] = field(default_factory=list)
    chart: charts.ChartGeometry | None = None
    note: str = ""
    csv_url: str = ""

    @property
    def table_id(self) -> str:
        return f"table-{self.slug}"

    @property
    def chart_id(self) -> str:
        return f"chart-{self.slug}"


@dataclass
class Kpi:
    label: str
    value: str
    note: str
    definition: str


def _query(filters: Filters) -> str:
    params = {"start": filters.start.isoformat(), "end": filters.end.isoformat(), "grain": filters.grain}
    for key in ("language", "tier", "category"):
        if getattr(filters, key):
            params[key] = getattr(filters, key)
    if filters.cohort:
        params["cohort"] = filters.cohort.strftime("%Y-%m")
    return urlencode(params)


def _last(rows: list[dict], key: str):
    for row in reversed(rows):
        if row.get(key) is not None:
            return row.get(key), row.get("label", "")
    return None, ""


def _complete(rows: list[dict], filters: Filters) -> list[dict]:
    """Rows of whole periods: a last period still running (it ends after the range) would understate activity
    and overstate churn in a headline figure; the charts and tables still show it."""
    from datetime import timedelta

    from community.metrics.reports.base import add_periods

    if len(rows) > 1 and "period" in rows[-1]:
        last_day = add_periods(rows[-1]["period"], filters.grain, 1) - timedelta(days=1)
        if last_day > filters.end:
            return rows[:-1]
    return rows


def kpis(results: dict[str, list[dict]], filters: Filters) -> list[Kpi]:
    active = _complete(results.get("active", []), filters)
    lifecycle = _complete(results.get("lifecycle", []), filters)
    stickiness = results.get("stickiness", [])
    growth = results.get("growth", [])
    feedback = results.get("feedback", [])
    first = results.get("first_response", [])
    a, a_label = _last(active, "active")
    e, _e_label = _last(active, "engaged")
    s, s_label = _last(stickiness, "stickiness")
    c, c_label = _last(lifecycle, "churn")
    promoters = sum(r.get("promoters", 0) for r in feedback)
    detractors = sum(r.get("detractors", 0) for r in feedback)
    responses = sum(r.get("responses", 0) for r in feedback)
    from community.metrics.reports.sources import nps

    score = nps(promoters, detractors, responses)
    m, m_label = _last(first, "median")
    return [
        Kpi(_("Active members"), fmt(a, "int"), a_label, "active"),
        Kpi(_("Engaged members"), fmt(e, "int"), a_label, "engaged"),
        Kpi(_("DAU/MAU"), fmt(s, "pct"), s_label, "stickiness"),
        Kpi(_("New members"), fmt(sum(r.get("new_members", 0) for r in growth), "int"), _("in the range"), "growth"),
        Kpi(_("Churn"), fmt(c, "pct"), c_label, "lifecycle"),
        Kpi(_("NPS"), fmt(score, "float"), _("%(n)s responses") % {"n": responses}, "nps"),
        Kpi(_("Median first response"), fmt(m, "float") + (" h" if m is not None else ""), m_label, "first-response"),
    ]


def section_for(report, rows: list[dict], query: str) -> Section:
    section = Section(slug=report.slug, title=str(report.title), description=str(report.description),
                      definition=report.definition, columns=list(report.columns), rows=rows, note=report.note,
                      csv_url=reverse("metrics:export", kwargs={"slug": report.slug}) + "?" + query)
    section.cells = [[fmt(row.get(col.key), col.kind) for col in section.columns] for row in rows]
    spec = report.chart
    if spec.kind in ("line", "bar", "stacked") and rows:
        labels = {col.key: str(col.label) for col in section.columns}
        section.chart = charts.build(kind=spec.kind, rows=rows, x=spec.x, series=spec.series, labels=labels)
    return section


def cohort_table(report, rows: list[dict]) -> dict:
    width = report.max_offset(rows)
    grain = report.grain()
    return {
        "offsets": list(range(width)),
        "grain": grain,
        "rows": [
            {"label": r["label"], "size": r["size"],
             "cells": [{"share": s, "text": fmt(s, "pct"), "count": n, "bg": charts.heat_color(s),
                        "dark": s is not None and s >= 55}
                       for s, n in zip(r["shares"], r["active"], strict=True)] + [None] * (width - len(r["shares"]))}
            for r in rows
        ],
    }


def dashboard_context(*, form: DashboardFilterForm, request) -> dict:
    filters = form.filters()
    query = _query(filters)
    results = run_dashboard(filters, fresh=request.GET.get("fresh") == "1")
    by_slug = {report.slug: (report, rows) for report, rows in results}
    sections = {slug: section_for(report, rows, query) for slug, (report, rows) in by_slug.items()}
    cohort_report, cohort_rows = by_slug["cohorts"]
    at_risk = sections["at_risk"]
    if at_risk.note:  # when the precomputed health scores were computed
        at_risk.description = f"{at_risk.description} {at_risk.note}"
    return {
        "nav": "dashboard",
        "form": form,
        "filters": filters,
        "query": query,
        "kpis": kpis({slug: rows for slug, (_r, rows) in by_slug.items()}, filters),
        "sections": sections,
        "charted": [sections[s] for s in ("active", "stickiness", "growth", "lifecycle", "repeat", "first_response",
                                          "attendance", "feedback", "newsletters")],
        "cohorts": cohort_table(cohort_report, cohort_rows),
        "cohort_section": sections["cohorts"],
        "at_risk": sections["at_risk"],
        "unanswered": sections["unanswered"],
        "campaigns": sections["campaigns"],
        "action_form": MemberListForm(),
        "computed_at": min((r.computed_at for r, _rows in results if r.computed_at), default=None),
    }


def export_rows(slug: str, filters: Filters) -> tuple[list[str], list[list]]:
    report, rows = run_report(slug, filters)
    if slug == "cohorts":
        flat = report.flat_rows(rows)
        width = report.max_offset(rows)
        header = [str(_("Cohort")), str(_("Members"))] + [f"{report.grain()} {k}" for k in range(width)]
        return header, [[r["cohort"], r["size"]] + [r[f"p{k}"] for k in range(width)] for r in flat]
    columns = list(report.columns)
    if slug == "at_risk":
        columns = [Column("member_id", "id"), Column("handle", "handle", "text")] + columns
    header = [str(col.label) for col in columns]
    return header, [[row.get(col.key) for col in columns] for row in rows]


__all__ = ["REPORTS", "filter_form", "dashboard_context", "export_rows"]
