"""The clock runs every periodic command; each exists and runs on an empty community."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command, get_commands

from accounts.management.commands.run_scheduler import PERIODIC


def test_every_periodic_command_exists():
    commands = get_commands()
    assert [name for name, _interval in PERIODIC if name not in commands] == []


@pytest.mark.django_db
def test_run_scheduler_once_runs_every_command(caplog):
    out = io.StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert not [r for r in caplog.records if "periodic command" in r.getMessage()], caplog.text
