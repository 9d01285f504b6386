"""Results of `reverse()` kept per process for `{% url %}` tags with constant arguments.

A page has a dozen or more `{% url 'name' %}` tags whose result never changes while the process runs; each
cost about 50 microseconds (resolving the URL patterns), together a tenth of rendering a topic list. The memo
is emptied when a setting the results depend on changes (tests override them).
"""

from __future__ import annotations

from django.core.signals import setting_changed
from django.dispatch import receiver

urls: dict[tuple, str] = {}

_DEPENDS_ON = {"ROOT_URLCONF", "FORCE_SCRIPT_NAME", "LANGUAGES", "LANGUAGE_CODE", "INSTALLED_APPS"}


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs) -> None:
    if setting in _DEPENDS_ON:
        urls.clear()
