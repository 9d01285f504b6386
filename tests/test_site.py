"""Site-wide behaviour: health check, deploy check, error pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db.utils import OperationalError

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "channel_layer": "ok"}


@pytest.mark.django_db
def test_healthz_names_the_failed_database(client):
    with mock.patch("config.views._check_database", side_effect=OperationalError("connection refused")):
        from config import views

        with mock.patch.dict(views.CHECKS, {"database": views._check_database}):
            response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database"]


def test_healthz_503_when_database_unreachable():
    """A real unreachable database (a port nothing listens on), in a fresh process."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test",
               DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz'); print(r.status_code, r.json()['failed'])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "503 ['database']", out.stderr[-2000:]


def _deploy_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="k" * 20 + "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5",
        ALLOWED_HOSTS="community.example.com",
        CSRF_TRUSTED_ORIGINS="https://community.example.com",
    )
    env.update(extra)
    return env


def test_production_settings_pass_the_deploy_check():
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=_deploy_env(), capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


@pytest.mark.parametrize("hosts", ["*", "*.example.com", "community.example.com,*"])
def test_production_refuses_wildcard_allowed_hosts(hosts):
    out = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=_deploy_env(ALLOWED_HOSTS=hosts),
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode != 0
    assert "wildcard is refused" in out.stderr


@pytest.mark.django_db
def test_404_page_is_ours(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


@pytest.mark.django_db
def test_javascript_catalogue_is_served_per_language(client):
    response = client.get("/")
    assert b"/jsi18n/?v=en" in response.content
    catalogue = client.get("/jsi18n/?v=sw", HTTP_ACCEPT_LANGUAGE="sw")
    assert catalogue.status_code == 200
    assert "max-age=86400" in catalogue["Cache-Control"]
    assert b"django.gettext" in catalogue.content or b"gettext" in catalogue.content


def _database_settings(**extra: str) -> dict:
    code = ("import json, django; django.setup(); from django.conf import settings; "
            "print(json.dumps({k: settings.DATABASES['default'][k] for k in ('ENGINE', 'OPTIONS', 'CONN_MAX_AGE')}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_deploy_env(**extra), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_pools_postgresql_connections_unless_told_not_to():
    url = "postgres://u:p@db.example.com:5432/community"
    pooled = _database_settings(DATABASE_URL=url, DB_CONN_MAX_AGE="60", DB_POOL_MAX="4")
    assert pooled["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 4, "timeout": 10}
    assert pooled["CONN_MAX_AGE"] == 0  # Django refuses persistent connections beside a pool
    assert "pool" not in _database_settings(DATABASE_URL=url, DB_POOL="0")["OPTIONS"]
    sqlite = _database_settings(DATABASE_URL="sqlite:////tmp/community-settings-test.sqlite3")
    assert sqlite["ENGINE"] == "config.db.sqlite3"  # SQLite keeps a few connections between requests
