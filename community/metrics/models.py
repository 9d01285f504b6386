"""Models of metrics."""

from django.db import models  # noqa: F401
