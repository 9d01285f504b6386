"""Models of content."""

from django.db import models  # noqa: F401
