"""Our allauth overrides and account templates all compile and use our layout."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import get_template

TEMPLATES = Path(settings.BASE_DIR) / "templates"
OURS = sorted(
    str(path.relative_to(TEMPLATES))
    for folder in ("account", "accounts", "allauth")
    for path in (TEMPLATES / folder).rglob("*")
    if path.suffix in {".html", ".txt"}
)


@pytest.mark.parametrize("name", OURS)
def test_template_compiles(name):
    get_template(name)


@pytest.mark.parametrize("name", [n for n in OURS if n.startswith("account/") and n.endswith(".html")
                                  and "/snippets/" not in n])
def test_allauth_pages_extend_our_layouts(name):
    source = (TEMPLATES / name).read_text()
    assert '{% extends "accounts/base_' in source, f"{name} does not use our layouts"


def test_allauth_fallback_layout_extends_base():
    source = (TEMPLATES / "allauth/layouts/base.html").read_text()
    assert source.startswith('{% extends "base.html" %}')
