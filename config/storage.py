"""Static files: whitenoise's compressed, hashed storage, with each file's URL remembered.

`{% static %}` asks the storage for a URL several times on every page (about 30 microseconds each: the
manifest lookup, splitting and quoting the name). The manifest does not change while a process runs, and the
storage reads STATIC_URL once, so the answer for a name cannot change either; Django makes a new storage
when the STORAGES setting changes. DEBUG is part of the key: with it on, the manifest storage gives
unhashed names.
"""

from __future__ import annotations

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[tuple[str, bool, bool], str] = {}

    def url(self, name: str, force: bool = False) -> str:
        key = (name, force, settings.DEBUG)
        found = self._urls.get(key)
        if found is None:
            found = self._urls[key] = super().url(name, force)
        return found
