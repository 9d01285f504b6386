"""RSVPs: going / interested / not going, capacity, plus-ones and the waitlist.

Every change runs inside one transaction holding the Event row lock (`select_for_update`, a real row lock on
PostgreSQL; SQLite serialises writers anyway), so the seat count read, the decision and the counters written
are one step: a full event never takes one seat too many, and the unique (member, event) constraint makes a
member's concurrent requests collapse into one RSVP.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from community.metrics.actions import record, undo
from events.actions._common import publish_seats, recount, tell
from events.errors import EventError, EventPermissionDenied, NotEnoughSeats, RSVPClosed
from events.models import RSVP, Event, RSVPStatus
from events.permissions import can_see_event, participation_refusal

ANSWERS = (RSVPStatus.GOING, RSVPStatus.INTERESTED, RSVPStatus.NOT_GOING)
HOLDING = (RSVPStatus.GOING, RSVPStatus.WAITLISTED)
#: Answers that count as participation ("event.rsvp" in the metrics ledger, as its backfill counts them).
PARTICIPATING = (RSVPStatus.GOING, RSVPStatus.WAITLISTED, RSVPStatus.INTERESTED)


def promote_waitlisted(*, event: Event, actor: User | None = None) -> list[RSVP]:
    """Give freed seats to the waitlist in order of arrival; tell each promoted member.

    Strictly first come, first served: if the first waitlisted member needs more seats (guests) than are
    free, nobody behind them jumps the queue. Call with the Event row locked; recounts the event.
    """
    recount(event)
    promoted: list[RSVP] = []
    free = None if event.capacity is None else event.capacity - event.seats_taken
    now = timezone.now()
    for rsvp in RSVP.objects.filter(event=event).waitlisted().select_related("member"):
        need = 1 + rsvp.plus_ones
        if free is not None and need > free:
            break
        rsvp.status = RSVPStatus.GOING
        rsvp.waitlisted_at = None
        rsvp.updated_at = now
        rsvp.save(update_fields=["status", "waitlisted_at", "updated_at"])
        promoted.append(rsvp)
        if free is not None:
            free -= need
    if promoted:
        recount(event)
        for rsvp in promoted:
            tell(recipient=rsvp.member, event=event, actor=actor, what="promoted")
    return promoted


@transaction.atomic
def rsvp_set(*, member: User, event: Event, status: str, plus_ones: int = 0) -> RSVP:
    """Answer (or change the answer) for one event; 'going' becomes 'waitlisted' when there is no seat."""
    if status not in ANSWERS:
        raise EventError(_("Choose going, interested or not going."))
    refusal = participation_refusal(member)
    if refusal:
        raise EventPermissionDenied(refusal)
    event = Event.objects.select_for_update().get(pk=event.pk)
    if not can_see_event(member, event):
        raise EventPermissionDenied()
    now = timezone.now()
    if not event.rsvp_open(now):
        raise RSVPClosed()
    if status != RSVPStatus.GOING:
        plus_ones = 0
    if not 0 <= plus_ones <= event.max_plus_ones:
        raise EventError(_("You can bring at most %(n)s guests."), n=event.max_plus_ones)

    rsvp = RSVP.objects.filter(event=event, member=member).first()
    previous = rsvp.status if rsvp else None
    if rsvp is None:
        rsvp = RSVP(event=event, member=member, created_at=now)

    if status == RSVPStatus.GOING:
        need = 1 + plus_ones
        if previous == RSVPStatus.GOING:
            if event.capacity is not None and event.seats_taken - rsvp.seats + need > event.capacity:
                raise NotEnoughSeats()
            new_status = RSVPStatus.GOING
        elif previous == RSVPStatus.WAITLISTED:
            new_status = RSVPStatus.WAITLISTED  # keeps its place in the queue
        else:
            fits = event.capacity is None or (
                event.waitlist_count == 0 and event.seats_taken + need <= event.capacity
            )
            new_status = RSVPStatus.GOING if fits else RSVPStatus.WAITLISTED
            rsvp.waitlisted_at = None if fits else now
    else:
        new_status = status
        rsvp.waitlisted_at = None

    if previous == new_status and rsvp.plus_ones == plus_ones:
        return rsvp
    rsvp.status = new_status
    rsvp.plus_ones = plus_ones
    rsvp.updated_at = now
    rsvp.save()

    if previous in HOLDING or new_status == RSVPStatus.WAITLISTED:
        promote_waitlisted(event=event)
    else:
        recount(event)
    rsvp.refresh_from_db(fields=["status", "waitlisted_at"])

    if rsvp.status in PARTICIPATING and previous not in PARTICIPATING:
        record(member=member, kind="event.rsvp", subject=rsvp)
    elif previous in PARTICIPATING and rsvp.status not in PARTICIPATING:
        undo(member=member, kind="event.rsvp", subject=rsvp)
    publish_seats(event)
    return rsvp


def rsvp_cancel(*, member: User, event: Event) -> RSVP:
    """'Not going': frees the member's seats (and guests') for the first on the waitlist."""
    return rsvp_set(member=member, event=event, status=RSVPStatus.NOT_GOING)


