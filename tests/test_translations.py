"""Every UI string is translated in every language, and the catalogues are up to date with the source.

The extraction runs makemessages on a copy of the source tree, so a string added without running
`make makemessages` (or left untranslated) fails here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = [code for code, _name in settings.LANGUAGES]
TRANSLATED = [code for code in LANGUAGES if code != "en"]
DOMAINS = ["django", "djangojs"]


def _entries(po: Path) -> list[dict]:
    """A small .po reader: msgctxt, msgid, msgid_plural, msgstr[n], flags."""
    entries: list[dict] = []
    current: dict = {"flags": set(), "msgstr": []}
    field = None

    def finish() -> None:
        nonlocal current
        if "msgid" in current:
            entries.append(current)
        current = {"flags": set(), "msgstr": []}

    for raw in po.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            field = None
            continue
        if line.startswith("#,"):
            current["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            current["msgctxt"] = _unquote(line[8:]); field = "msgctxt"
        elif line.startswith("msgid_plural "):
            current["msgid_plural"] = _unquote(line[13:]); field = "msgid_plural"
        elif line.startswith("msgid "):
            current["msgid"] = _unquote(line[6:]); field = "msgid"
        elif line.startswith("msgstr"):
            current["msgstr"].append(_unquote(line.split(" ", 1)[1])); field = "msgstr"
        elif line.startswith('"') and field:
            if field == "msgstr":
                current["msgstr"][-1] += _unquote(line)
            else:
                current[field] += _unquote(line)
    finish()
    return [entry for entry in entries if entry["msgid"]]  # the header has an empty msgid


def _unquote(text: str) -> str:
    return text.strip()[1:-1].encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def _catalogue(locale_dir: Path, code: str, domain: str) -> Path:
    return locale_dir / code / "LC_MESSAGES" / f"{domain}.po"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_string_is_translated(code):
    po = _catalogue(ROOT / "locale", code, "django")
    assert po.exists(), f"{po} is missing: run `make makemessages` and translate"
    missing = []
    for domain in DOMAINS:
        path = _catalogue(ROOT / "locale", code, domain)
        if not path.exists():
            continue
        for entry in _entries(path):
            if "fuzzy" in entry["flags"] or not all(entry["msgstr"]) or not entry["msgstr"]:
                missing.append(entry["msgid"])
    assert not missing, f"{len(missing)} untranslated strings in {code}, e.g. {missing[:10]}"


def test_catalogues_hold_every_string_in_the_source(tmp_path):
    """makemessages on a copy of the tree finds no msgid that the committed catalogues lack."""
    if not shutil.which("xgettext"):
        pytest.fail("gettext is not installed: `make setup` installs it")
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".venv", ".git", "node_modules", "staticfiles", "test-artifacts", "media", ".test-media", "*.sqlite3*",
        "__pycache__", "bench", "tests"))
    env_cmd = [sys.executable, "manage.py", "makemessages", "-l", "sw", "--no-obsolete", "--no-location"]
    subprocess.run(env_cmd, cwd=copy, check=True, capture_output=True, timeout=300,
                   env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"})
    subprocess.run([*env_cmd[:3], "-d", "djangojs", "-l", "sw", "--no-obsolete", "--no-location",
                    "--ignore=static/js/htmx.min.js"], cwd=copy, check=True, capture_output=True, timeout=300,
                   env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"})
    for domain in DOMAINS:
        extracted = _catalogue(copy / "locale", "sw", domain)
        if not extracted.exists():
            continue
        committed_path = _catalogue(ROOT / "locale", "sw", domain)
        committed = {(e.get("msgctxt"), e["msgid"]) for e in _entries(committed_path)} if committed_path.exists() else set()
        source = {(e.get("msgctxt"), e["msgid"]) for e in _entries(extracted)}
        new = sorted(source - committed, key=str)
        assert not new, f"{len(new)} strings in the source are not in locale/*/{domain}.po, e.g. {new[:10]}"
