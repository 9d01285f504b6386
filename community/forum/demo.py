"""Demo forum: categories (one Q&A, one members-only), topics in English, Swahili, Latvian and Armenian with
replies, reactions, tags and an accepted answer. Created through the forum's own actions; idempotent (a
category is found by slug, a topic by its title, and existing topics are left as they are)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.test.utils import override_settings

from community.forum import actions
from community.forum.models import AccessLevel, Category, StartPolicy, Topic


@dataclass(frozen=True)
class DemoCategory:
    slug: str
    name: str
    description: str
    colour: str
    position: int
    options: dict = field(default_factory=dict)


CATEGORIES = [
    DemoCategory("announcements", "Announcements", "News from the team: releases, events and changes.", "#b3261e", 0,
                 {"start_policy": StartPolicy.MODERATORS}),
    DemoCategory("questions", "Questions & answers", "Ask how to do something; accept the answer that helped.",
                 "#1e7b34", 1, {"qa_mode": True}),
    DemoCategory("tips", "Tips and tricks", "Share what works for you.", "#2455c3", 2),
    DemoCategory("lounge", "Members lounge", "Only for signed-in members: introduce yourself, chat.", "#8a5a00", 3,
                 {"access_level": AccessLevel.MEMBERS}),
]


@dataclass(frozen=True)
class DemoTopic:
    category: str
    author: str
    title: str
    body: str
    tags: str = ""
    replies: tuple[tuple[str, str], ...] = ()
    likes: tuple[str, ...] = ()
    accept: int | None = None  # index into replies
    pin: bool = False


TOPICS = [
    DemoTopic("announcements", "maria", "Welcome to our community!",
              "We are glad you are here. Ask questions in **Questions & answers**, share tips, and meet us at "
              "our events. Please be kind; the moderators are @juma and @maria.",
              "welcome", (("sam", "Thanks, happy to be here!"), ("anahit", "Ողջույն բոլորին։")),
              likes=("sam", "amani", "janis", "anahit"), pin=True),
    DemoTopic("questions", "sam", "How do I reset my device to factory settings?",
              "My device keeps freezing after the last update. Is there a way to reset it without losing "
              "my photos?", "reset device",
              (("juma", "Back up your photos first, then hold the **power** and **volume down** buttons for ten "
                        "seconds until the logo appears. Choose *Factory reset* in the menu."),
               ("janis", "This worked for me too. The backup step is important!")),
              likes=("amani", "maria"), accept=0),
    DemoTopic("questions", "amani", "Betri inaisha haraka sana",
              "Tangu wiki iliyopita betri ya kifaa changu inaisha kabla ya mchana. Kuna mtu ana ushauri?",
              "betri",
              (("juma", "Jaribu kuzima *Bluetooth* na eneo (GPS) usipozitumia, kisha anzisha upya kifaa."),),
              likes=("sam",)),
    DemoTopic("tips", "janis", "Kā pagarināt akumulatora darbības laiku",
              "Daži padomi, kas man palīdzēja:\n\n1. Samaziniet ekrāna spilgtumu.\n2. Izslēdziet fona "
              "atjaunināšanu.\n3. Izmantojiet enerģijas taupīšanas režīmu.", "akumulators padomi",
              (("liga", "Paldies, Jāni! Vēl var izslēgt vibrāciju."),), likes=("liga", "sam", "amani")),
    DemoTopic("tips", "anahit", "Ինչպես պահպանել լուսանկարները ամպում",
              "Կարգավորումներում միացրեք ավտոմատ պահուստավորումը, և ձեր լուսանկարները միշտ ապահով կլինեն։",
              "լուսանկարներ",
              (("sam", "Great tip, thank you! (I used a translator to read it.)"),), likes=("janis",)),
    DemoTopic("lounge", "sam", "Introduce yourself!",
              "Tell us who you are and what you use our products for. I'm Sam from Dublin; I mostly take photos.",
              "introductions",
              (("amani", "Habari! Mimi ni Amani kutoka Nairobi."), ("janis", "Sveiki! Jānis no Rīgas."),
               ("anahit", "Բարև, ես Անահիտն եմ Երևանից։")),
              likes=("maria", "juma")),
]


def seed(stdout=None) -> dict[str, Topic]:
    from accounts.demo import seed as seed_members

    members = seed_members()
    staff = members["admin"]
    # Demo members were created a moment ago; the new-member limits are for people, not for the seed.
    with override_settings(FORUM_NEW_MEMBER_HOURS=0), transaction.atomic():
        categories: dict[str, Category] = {}
        for spec in CATEGORIES:
            category = Category.objects.filter(slug=spec.slug).first()
            if category is None:
                category = actions.category_create(
                    actor=staff, name=spec.name, slug=spec.slug, description=spec.description, colour=spec.colour,
                    position=spec.position, moderators=[members["juma"]], **spec.options)
            categories[spec.slug] = category
        topics: dict[str, Topic] = {}
        for spec in TOPICS:
            category = categories[spec.category]
            topic = Topic.objects.filter(category=category, title=spec.title).first()
            if topic is None:
                topic = _create(spec, category, members)
            topics[spec.title] = topic
    if stdout is not None:
        stdout.write(f"  forum: {len(categories)} categories, {len(topics)} topics")
    return topics


def _create(spec: DemoTopic, category: Category, members: dict) -> Topic:
    author = members[spec.author]
    topic = actions.topic_create(author=author, category=category, title=spec.title, raw=spec.body, tags=spec.tags,
                                 language=author.locale)
    replies = [actions.reply_create(author=members[handle], topic=topic, raw=text) for handle, text in spec.replies]
    first = topic.posts.get(number=1)
    for handle in spec.likes:
        if members[handle].pk != author.pk:
            actions.reaction_toggle(user=members[handle], post=first, kind="like")
    for index, reply in enumerate(replies):
        if index == 0 and author.pk != reply.author_id:
            actions.reaction_toggle(user=author, post=reply, kind="heart")
    if spec.accept is not None:
        actions.answer_accept(actor=author, post=replies[spec.accept])
    if spec.pin:
        actions.topic_pin(actor=members["juma"], topic=topic)
    return topic
