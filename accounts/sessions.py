"""Django's database sessions, with the one read every signed-in request makes done in raw SQL.

Every request of a signed-in member loads their session. The ORM query for it (a `get` on the session key and
expiry) cost more to build than to run: about a millisecond of a member's page. Everything else (saving,
expiry, cycling keys, clearsessions) is Django's own `django.contrib.sessions.backends.db`.
Settings: SESSION_ENGINE = "accounts.sessions".
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        if not self.session_key:
            self._session_key = None
            return None
        model = self.model
        connection = connections[router.db_for_read(model)]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('session_data')} FROM {quote(model._meta.db_table)} "
                f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s",
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django does for a missing or expired session: a new one if saved
            return None
        return model(session_key=self.session_key, session_data=row[0])
