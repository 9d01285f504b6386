"""Notifications: in-app notifications, notification emails, personalised digests, the member's live badge.

Doors for other apps (keep the signatures):
- `actions.notify(recipient=, kind=, actor=, target=, url=, data=)`: tell one member something.
- `mail`: `safe_header`, `unsubscribe_token` / `read_unsubscribe_token`, `unsubscribe_url`, `build_message`,
  `render_email`, `register_unsubscribe_scope(prefix, handler, label=)`; the unsubscribe page is
  /unsubscribe/<token>/ (GET confirms, POST and RFC 8058 one-click POST unsubscribe).
- `presence.is_online(member)`: the live layer sets cache key `presence:member:<id>`
  (`realtime.member_presence_key`) while a socket is open; `User.last_seen_at` counts for five minutes.
- `digest.build_digest(member, now)` for one member, `digest.build_digests(members, now)` /
  `digest.iter_digests(members, now)` for many (a constant ~12 queries per chunk of up to 500 members).

Periodic work (cron every 15 minutes, or enqueue the tasks of the same names in `tasks`):
    manage.py send_digests                        # digests of members for whom it is now 07:00-08:00
    manage.py send_pending_notification_emails   # emails held back while their member was online
"""
