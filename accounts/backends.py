"""The authentication backends, loading the signed-in member with one raw query.

AuthenticationMiddleware asks the backend for the member on every request of a signed-in member; Django's
ModelBackend.get_user builds an ORM query for it each time, which cost more than running it. Same row, same
checks (`user_can_authenticate`: inactive members are not signed in).
"""

from __future__ import annotations

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends, get_user_model
from django.core.exceptions import ValidationError
from django.db import connections, router


def _load_user(backend: backends.ModelBackend, user_id):
    model = get_user_model()
    try:
        pk = model._meta.pk.to_python(user_id)
    except ValidationError:  # a session holding something that is not a user id: nobody signed in
        return None
    alias = router.db_for_read(model)
    connection = connections[alias]
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(model._meta.db_table)} "
                       f"WHERE {quote(model._meta.pk.column)} = %s", [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    # The database's values as the ORM would convert them (SQLite returns times as text, for one).
    values = []
    for field, value in zip(fields, row):
        for converter in connection.ops.get_db_converters(field.get_col(model._meta.db_table)) + \
                field.get_db_converters(connection):
            value = converter(value, field.get_col(model._meta.db_table), connection)
        values.append(value)
    user = model.from_db(alias, [f.attname for f in fields], values)
    return user if backend.user_can_authenticate(user) else None


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        return _load_user(self, user_id)


class AuthenticationBackend(allauth_backends.AuthenticationBackend):
    """allauth's (email login, rate limits), loading the member as ModelBackend above does."""

    def get_user(self, user_id):
        return _load_user(self, user_id)
