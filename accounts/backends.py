"""The authentication backends, loading the signed-in member with one raw query.

AuthenticationMiddleware asks the backend for the member on every request of a signed-in member; Django's
ModelBackend.get_user builds an ORM query for it each time, which cost more than running it. Same row, same
checks (`user_can_authenticate`: inactive members are not signed in).
"""

from __future__ import annotations

from allauth.account import auth_backends as allauth_backends
from django.contrib.auth import backends, get_user_model
from django.core.exceptions import ValidationError

from config.db.rows import one_row


def _load_user(backend: backends.ModelBackend, user_id):
    model = get_user_model()
    try:
        pk = model._meta.pk.to_python(user_id)
    except ValidationError:  # a session holding something that is not a user id: nobody signed in
        return None
    user = one_row(model, model._meta.pk.column, pk)
    return user if user is not None and backend.user_can_authenticate(user) else None


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        return _load_user(self, user_id)


class AuthenticationBackend(allauth_backends.AuthenticationBackend):
    """allauth's (email login, rate limits), loading the member as ModelBackend above does."""

    def get_user(self, user_id):
        return _load_user(self, user_id)
