"""Demo content: tips in the four languages, subscribers, and a sent newsletter with its report. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.core.mail import get_connection
from django.utils import timezone

from community.content import actions, sending, tracking
from community.content.models import (
    Article,
    IssueStatus,
    NewsletterDelivery,
    NewsletterIssue,
    Segment,
    SegmentKind,
    Subscriber,
    SubscriberStatus,
)

ARTICLES = [
    {
        "slug": "five-habits-that-keep-your-account-safe", "language": "en", "tags": ["security", "tips"],
        "title": "Five habits that keep your account safe",
        "summary": "Small things that stop most account takeovers.",
        "body": (
            "Most stolen accounts are not hacked, they are *handed over*. These five habits stop nearly all of it.\n\n"
            "1. **Use a password manager.** One strong, different password per site.\n"
            "2. **Turn on two-step sign-in** wherever it is offered.\n"
            "3. **Check the sender** before you follow a link in an email.\n"
            "4. **Update your apps**: updates close the holes attackers use.\n"
            "5. **Sign out on shared devices**, and never save passwords there.\n"
        ),
    },
    {
        "slug": "how-to-ask-a-question-that-gets-answered", "language": "en", "tags": ["forum", "tips"],
        "title": "How to ask a question that gets answered",
        "summary": "A clear title, what you tried, and what you expected.",
        "body": (
            "## Write a title that is a question\n\n"
            "\"Printer shows error 42 after update\" beats \"Help!!!\".\n\n"
            "## Say what you tried\n\n"
            "Others will not suggest what you already did, and you get to the answer faster.\n\n"
            "## Mark the answer\n\n"
            "When a reply solves it, accept it: the next person with the same problem finds it at once.\n"
        ),
    },
    {
        "slug": "members-preview-what-you-asked-for", "language": "en", "tags": ["community"],
        "title": "Members' preview: what you asked for this quarter", "members_only": True,
        "summary": "The three most requested improvements, and when they arrive.",
        "body": "Thank you for every idea in the forum. The three most requested were **offline mode**, "
                "**shared lists** and **dark mode**. All three are planned for the next quarter.\n",
    },
    {
        "slug": "vidokezo-vitano-vya-kulinda-akaunti-yako", "language": "sw", "tags": ["security", "tips"],
        "title": "Vidokezo vitano vya kulinda akaunti yako",
        "summary": "Tabia ndogo zinazozuia akaunti nyingi kuibiwa.",
        "body": (
            "1. **Tumia kidhibiti cha manenosiri**: nenosiri moja imara na tofauti kwa kila tovuti.\n"
            "2. **Washa uthibitishaji wa hatua mbili** popote unapotolewa.\n"
            "3. **Angalia mtumaji** kabla ya kubofya kiungo kwenye barua pepe.\n"
            "4. **Sasisha programu zako** mara kwa mara.\n"
            "5. **Toka kwenye vifaa vya pamoja**, na usihifadhi manenosiri huko.\n"
        ),
    },
    {
        "slug": "pieci-ieradumi-kas-pasarga-jusu-kontu", "language": "lv", "tags": ["security", "tips"],
        "title": "Pieci ieradumi, kas pasargā jūsu kontu",
        "summary": "Nelielas lietas, kas aptur lielāko daļu kontu uzlaušanu.",
        "body": (
            "1. **Izmantojiet paroļu pārvaldnieku**: katrai vietnei sava stipra parole.\n"
            "2. **Ieslēdziet divpakāpju autentifikāciju** visur, kur tā ir pieejama.\n"
            "3. **Pārbaudiet sūtītāju**, pirms atverat saiti e-pastā.\n"
            "4. **Atjauniniet lietotnes**: atjauninājumi aizver caurumus.\n"
            "5. **Izrakstieties koplietotās ierīcēs** un nesaglabājiet tur paroles.\n"
        ),
    },
    {
        "slug": "hing-sovorutyun-voronq-pashtpanum-en-dzer-hashivy", "language": "hy", "tags": ["security", "tips"],
        "title": "Հինգ սովորություն, որոնք պաշտպանում են ձեր հաշիվը",
        "summary": "Փոքր քայլեր, որոնք կանխում են հաշիվների գողության մեծ մասը։",
        "body": (
            "1. **Օգտագործեք գաղտնաբառերի կառավարիչ**՝ յուրաքանչյուր կայքի համար առանձին ուժեղ գաղտնաբառ։\n"
            "2. **Միացրեք երկքայլ նույնականացումը**, որտեղ հնարավոր է։\n"
            "3. **Ստուգեք ուղարկողին**՝ նամակի հղումը բացելուց առաջ։\n"
            "4. **Թարմացրեք հավելվածները**։\n"
            "5. **Դուրս եկեք ընդհանուր սարքերից** և այնտեղ գաղտնաբառեր մի պահեք։\n"
        ),
    },
]

SCHEDULED = {
    "slug": "coming-soon-offline-mode", "language": "en", "tags": ["community"],
    "title": "Coming soon: offline mode, step by step",
    "summary": "How to get your lists onto your phone before the trip.",
    "body": "Offline mode arrives next week. This article appears on its own at the scheduled time.\n",
}

SUBSCRIBERS = [
    ("reader.one@example.org", "Robin", "en", SubscriberStatus.CONFIRMED),
    ("msomaji@example.org", "Neema", "sw", SubscriberStatus.CONFIRMED),
    ("lasitajs@example.org", "Ilze", "lv", SubscriberStatus.CONFIRMED),
    ("pending.reader@example.org", "", "en", SubscriberStatus.PENDING),
]

ISSUE_SUBJECT = "November tips: keep your account safe"


def _article(spec: dict, editor, *, schedule_in: timedelta | None = None) -> Article:
    article = Article.objects.filter(slug=spec["slug"]).first()
    if article is not None:
        return article
    article = actions.article_create(
        actor=editor, title=spec["title"], slug=spec["slug"], summary=spec["summary"], body=spec["body"],
        language=spec["language"], tags=spec["tags"], members_only=spec.get("members_only", False),
    )
    if schedule_in:
        actions.article_schedule(actor=editor, article=article, publish_at=timezone.now() + schedule_in)
    else:
        actions.article_publish(actor=editor, article=article)
    return article


def seed(stdout=None) -> dict:
    from accounts.demo import seed as seed_members

    members = seed_members()
    editor = members["liga"]
    articles = [_article(spec, editor) for spec in ARTICLES]
    _article(SCHEDULED, editor, schedule_in=timedelta(days=2))

    for email, name, language, status in SUBSCRIBERS:
        Subscriber.objects.get_or_create(
            email=email, defaults={"name": name, "language": language, "status": status,
                                   "confirmed_at": timezone.now() if status == SubscriberStatus.CONFIRMED else None},
        )

    segment, _created = Segment.objects.get_or_create(
        name="Everyone who opted in", defaults={"kind": SegmentKind.ALL, "created_by": editor}
    )
    Segment.objects.get_or_create(
        name="Swahili readers", defaults={"kind": SegmentKind.LANGUAGE, "language": "sw", "created_by": editor}
    )

    issue = NewsletterIssue.objects.filter(subject=ISSUE_SUBJECT).first()
    if issue is None:
        issue = actions.issue_create(
            actor=editor, subject=ISSUE_SUBJECT, preheader="Five habits, one question, and what is next.",
            from_name="Brand Community tips",
            body="This month: **account safety**. Five small habits stop nearly every account takeover. "
                 "Read the tips below, and tell us in the [forum](/) which one you started today.",
            articles=articles[:2], segment=segment,
        )
        # Send it for real through the engine, into an in-memory mailbox (the demo prints no mail).
        NewsletterIssue.objects.filter(pk=issue.pk).update(status=IssueStatus.SENDING,
                                                           started_at=timezone.now() - timedelta(days=3))
        issue.refresh_from_db()
        sending.deliveries_prepare(issue)
        sending.deliver(issue.pk, connection=get_connection("django.core.mail.backends.locmem.EmailBackend"))
        from django.core import mail

        mail.outbox.clear()  # keep no copies in memory
        # Some recipients opened it and clicked: the same paths the tracking links take.
        deliveries = list(NewsletterDelivery.objects.filter(issue=issue).order_by("pk"))
        guide = articles[0]
        from django.conf import settings

        for index, delivery in enumerate(deliveries):
            if index % 3 != 2:
                actions.track_open(token=tracking.open_token(delivery_id=delivery.pk))
            if index % 3 == 0:
                actions.track_click(token=tracking.click_token(
                    delivery_id=delivery.pk, url=settings.SITE_URL + guide.get_absolute_url()))
    if stdout is not None:
        stdout.write(f"  content: {Article.objects.count()} articles, newsletter '{issue.subject}' "
                     f"({NewsletterDelivery.objects.filter(issue=issue).count()} recipients)")
    return {"articles": articles, "issue": issue}
