"""Models of events."""

from django.db import models  # noqa: F401
