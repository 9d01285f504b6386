"""Reports that read other apps' tables (forum, events, content), looked up lazily: when an app or model is
missing the report says it is not available instead of failing."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.apps import apps
from django.db.models import Count, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.metrics.models import DailyActivity
from community.metrics.reports.base import (
    Chart,
    Column,
    Report,
    index_to_start,
    members,
    percentile,
    period_index,
    period_label,
    periods,
    ratio,
)
from community.metrics.reports.totals import period_totals


def model(app_label: str, name: str, *fields: str):
    """The model if its app is installed and it has every named field, else None."""
    if not apps.is_installed(f"community.{app_label}") and not apps.is_installed(app_label):
        return None
    try:
        found = apps.get_model(app_label, name)
    except LookupError:
        return None
    names = {f.name for f in found._meta.get_fields()}
    return found if all(f in names for f in fields) else None


def _bounds(f):
    start = datetime(f.start.year, f.start.month, f.start.day, tzinfo=dt_timezone.utc)
    end = datetime(f.end.year, f.end.month, f.end.day, tzinfo=dt_timezone.utc) + timedelta(days=1)
    return start, end


def _as_date(value):
    return value.date() if isinstance(value, datetime) else value


# --- forum ------------------------------------------------------------------------------------------------

def first_response_hours(f) -> list[tuple[int, datetime, float | None]]:
    """(topic id, created_at, hours to the first visible reply by someone else or None) for topics started in
    the range by reportable members. One query."""
    Topic = model("forum", "Topic", "created_at", "author", "category", "deleted_at")
    Post = model("forum", "Post", "topic", "created_at", "author", "number")
    if Topic is None or Post is None:
        return []
    start, end = _bounds(f)
    first_reply = (
        Post.objects.alive().filter(topic=OuterRef("pk"), number__gt=1).exclude(author=OuterRef("author"))
        .order_by().values("topic").annotate(first=Min("created_at")).values("first")
    )
    topics = Topic.objects.alive().filter(created_at__gte=start, created_at__lt=end,
                                          author__in=members(f).values("pk"))
    if f.category:
        topics = topics.filter(category_id=f.category)
    out = []
    for pk, created, first in topics.annotate(first=Subquery(first_reply[:1])).values_list("pk", "created_at",
                                                                                         "first"):
        out.append((pk, created, (first - created).total_seconds() / 3600 if first else None))
    return out


class TimeToFirstResponse(Report):
    slug = "first_response"
    title = _("Time to first response")
    description = _("Hours from a new topic to the first reply by someone else: median and 90th percentile.")
    definition = "first-response"
    columns = [Column("label", _("Period"), "text"), Column("topics", _("New topics")),
               Column("answered", _("Answered")), Column("median", _("Median (h)"), "float"),
               Column("p90", _("90th percentile (h)"), "float"), Column("unanswered", _("Without a response"))]
    chart = Chart("line", x="label", series=["median", "p90"])

    def available(self) -> bool:
        return model("forum", "Topic", "created_at") is not None and model("forum", "Post", "topic") is not None

    def run(self):
        f = self.params
        if not self.available():
            self.note = str(_("Not available: the forum app has no topics and posts yet."))
            return []
        from community.metrics.reports.base import period_start

        buckets: dict = {p: [] for p in periods(f.start, f.end, f.grain)}
        unanswered: dict = {p: 0 for p in buckets}
        for _pk, created, hours in first_response_hours(f):
            p = period_start(created.astimezone(dt_timezone.utc).date(), f.grain)
            if p not in buckets:
                continue
            if hours is None:
                unanswered[p] += 1
            else:
                buckets[p].append(hours)
        rows = []
        for p, values in buckets.items():
            med, p90 = percentile(values, 50), percentile(values, 90)
            rows.append({"period": p, "label": period_label(p, f.grain), "topics": len(values) + unanswered[p],
                         "answered": len(values), "median": round(med, 1) if med is not None else None,
                         "p90": round(p90, 1) if p90 is not None else None, "unanswered": unanswered[p]})
        return rows


class TopicsWithoutResponse(Report):
    slug = "unanswered"
    title = _("Topics without a response")
    description = _("Topics started in the range that nobody else has replied to yet, oldest first.")
    definition = "unanswered"
    columns = [Column("title", _("Topic"), "text"), Column("created", _("Started"), "text"),
               Column("age_days", _("Age (days)"))]

    def available(self) -> bool:
        return model("forum", "Topic", "title", "created_at") is not None

    def run(self):
        f = self.params
        if not self.available():
            self.note = str(_("Not available: the forum app has no topics yet."))
            return []
        Topic = model("forum", "Topic")
        ids = [pk for pk, _created, hours in first_response_hours(f) if hours is None]
        now = timezone.now()
        rows = []
        for topic in Topic.objects.filter(pk__in=ids).order_by("created_at")[:20]:
            url = topic.get_absolute_url() if hasattr(topic, "get_absolute_url") else ""
            rows.append({"title": topic.title, "url": url, "created": topic.created_at.date().isoformat(),
                         "age_days": (now - topic.created_at).days})
        return rows


# --- events -----------------------------------------------------------------------------------------------

class EventAttendance(Report):
    slug = "attendance"
    title = _("Event attendance")
    description = _("For events that started in the range: members going, attended, no-shows; attendance rate = "
                    "attended / going.")
    definition = "attendance"
    columns = [Column("label", _("Period"), "text"), Column("events", _("Events")), Column("going", _("Going")),
               Column("attended", _("Attended")), Column("no_shows", _("No-shows")),
               Column("rate", _("Attendance %"), "pct")]
    chart = Chart("bar", x="label", series=["attended", "no_shows"])

    def available(self) -> bool:
        return model("events", "RSVP", "event", "status", "attendance") is not None

    def run(self):
        f = self.params
        if not self.available():
            self.note = str(_("Not available: the events app has no RSVPs yet."))
            return []
        RSVP = model("events", "RSVP")
        start, end = _bounds(f)
        grouped = {
            _as_date(row["period"]): row for row in
            RSVP.objects.filter(event__starts_at__gte=start, event__starts_at__lt=end, status="going",
                                member__in=members(f).values("pk"))
            .annotate(period=Trunc("event__starts_at", f.grain, tzinfo=dt_timezone.utc)).values("period")
            .annotate(events=Count("event", distinct=True), going=Count("pk"),
                      attended=Count("pk", filter=Q(attendance="attended")),
                      no_shows=Count("pk", filter=Q(attendance="no_show")))
        }
        rows = []
        for p in periods(f.start, f.end, f.grain):
            r = grouped.get(p, {})
            rows.append({"period": p, "label": period_label(p, f.grain), "events": r.get("events", 0),
                         "going": r.get("going", 0), "attended": r.get("attended", 0),
                         "no_shows": r.get("no_shows", 0), "rate": ratio(r.get("attended", 0), r.get("going", 0))})
        return rows


def nps(promoters: int, detractors: int, total: int) -> float | None:
    """Net promoter score: % promoters (9-10) minus % detractors (0-6)."""
    if not total:
        return None
    return round(100.0 * (promoters - detractors) / total, 1)


class EventFeedbackScores(Report):
    slug = "feedback"
    title = _("NPS and CSAT")
    description = _("From event feedback: NPS = % promoters (9-10) - % detractors (0-6); CSAT = % of ratings 4-5.")
    definition = "nps"
    columns = [Column("label", _("Period"), "text"), Column("responses", _("Responses")),
               Column("promoters", _("Promoters")), Column("detractors", _("Detractors")),
               Column("nps", _("NPS"), "float"), Column("csat", _("CSAT %"), "pct")]
    chart = Chart("line", x="label", series=["nps", "csat"])

    def available(self) -> bool:
        return model("events", "EventFeedback", "nps", "satisfaction", "created_at") is not None

    def run(self):
        f = self.params
        if not self.available():
            self.note = str(_("Not available: the events app has no feedback yet."))
            return []
        Feedback = model("events", "EventFeedback")
        start, end = _bounds(f)
        grouped = {
            _as_date(row["period"]): row for row in
            Feedback.objects.filter(created_at__gte=start, created_at__lt=end, member__in=members(f).values("pk"))
            .annotate(period=Trunc("created_at", f.grain, tzinfo=dt_timezone.utc)).values("period")
            .annotate(responses=Count("pk"), promoters=Count("pk", filter=Q(nps__gte=9)),
                      detractors=Count("pk", filter=Q(nps__lte=6)), satisfied=Count("pk", filter=Q(satisfaction__gte=4)))
        }
        rows = []
        for p in periods(f.start, f.end, f.grain):
            r = grouped.get(p, {})
            n = r.get("responses", 0)
            rows.append({"period": p, "label": period_label(p, f.grain), "responses": n,
                         "promoters": r.get("promoters", 0), "detractors": r.get("detractors", 0),
                         "nps": nps(r.get("promoters", 0), r.get("detractors", 0), n),
                         "csat": ratio(r.get("satisfied", 0), n)})
        return rows


# --- newsletters ------------------------------------------------------------------------------------------

class NewsletterRates(Report):
    slug = "newsletters"
    title = _("Newsletter opens and clicks")
    description = _("Newsletters delivered (content app), members who opened and who clicked (ledger), and rates.")
    definition = "newsletters"
    columns = [Column("label", _("Period"), "text"), Column("sent", _("Delivered")),
               Column("openers", _("Opened")), Column("clickers", _("Clicked")),
               Column("open_rate", _("Open %"), "pct"), Column("click_rate", _("Click %"), "pct")]
    chart = Chart("bar", x="label", series=["sent", "openers", "clickers"])

    def run(self):
        f = self.params
        totals = period_totals(f, f.grain, period_index(f.start, f.grain), period_index(f.end, f.grain))
        if totals is not None:
            # No member filter, weeks or months: the period totals of the members' roll-ups.
            acts = {index_to_start(i, f.grain): {"openers": t.openers, "clickers": t.clickers}
                    for i, t in totals.items()}
        else:
            acts = self._acts(f)
        sent: dict = {}
        Delivery = model("content", "NewsletterDelivery", "sent_at", "member")
        if Delivery is not None:
            start, end = _bounds(f)
            sent = {
                _as_date(p): n for p, n in
                Delivery.objects.filter(sent_at__gte=start, sent_at__lt=end, member__in=members(f).values("pk"))
                .annotate(period=Trunc("sent_at", f.grain, tzinfo=dt_timezone.utc)).values("period")
                .annotate(n=Count("pk")).values_list("period", "n")
            }
        else:
            self.note = str(_("Deliveries are not available; rates need the content app."))
        rows = []
        for p in periods(f.start, f.end, f.grain):
            a = acts.get(p, {})
            s = sent.get(p, 0)
            rows.append({"period": p, "label": period_label(p, f.grain), "sent": s, "openers": a.get("openers", 0),
                         "clickers": a.get("clickers", 0), "open_rate": ratio(a.get("openers", 0), s),
                         "click_rate": ratio(a.get("clickers", 0), s)})
        return rows

    def _acts(self, f) -> dict:
        """Openers and clickers per period from the daily roll-up (days, or filtered members)."""
        return {
            row["period"]: row for row in
            DailyActivity.objects.filter(day__gte=f.start, day__lte=f.end, member_id__in=members(f).values("pk"))
            .filter(Q(newsletters_opened__gt=0) | Q(newsletters_clicked__gt=0))
            .annotate(period=Trunc("day", f.grain)).values("period")
            .annotate(openers=Count("member_id", distinct=True, filter=Q(newsletters_opened__gt=0)),
                      clickers=Count("member_id", distinct=True, filter=Q(newsletters_clicked__gt=0)),
                      opens=Sum("newsletters_opened"))
        }
