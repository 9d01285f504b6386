"""A real ASGI server process (uvicorn) on its own database, for browser and multi-process tests.

pytest-django's live_server is a threaded WSGI server inside the test process: it cannot serve websockets,
and a restart cannot be tested. So these tests start uvicorn as a separate process, exactly as production
runs it, on a file database that the test process can also open.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveSite:
    """A migrated database and one or more uvicorn processes serving it."""

    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[int, subprocess.Popen] = field(default_factory=dict)

    @classmethod
    def create(cls, workdir: Path, *, database_url: str | None = None, redis_url: str | None = None) -> LiveSite:
        workdir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.e2e",
            DATABASE_URL=database_url or f"sqlite:///{workdir / 'site.sqlite3'}",
            E2E_MAIL_DIR=str(workdir / "mail"),
            MEDIA_ROOT=str(workdir / "media"),
            PYTHONUNBUFFERED="1",
        )
        if redis_url:
            env["REDIS_URL"] = redis_url
            env["CHANNEL_PREFIX"] = f"e2e{os.getpid()}"
            env["CACHE_PREFIX"] = f"e2e{os.getpid()}"
        site = cls(workdir=workdir, env=env)
        site.manage("migrate", "--no-input", "-v", "0")
        return site

    def manage(self, *args: str, timeout: int = 300) -> str:
        out = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                             text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
        return out.stdout

    def shell(self, code: str) -> str:
        """Run Python with Django set up against the site's database; returns stdout."""
        return self.manage("shell", "-c", code)

    def start(self, port: int | None = None) -> str:
        port = port or free_port()
        log = open(self.workdir / f"server-{port}.log", "ab")
        proc = subprocess.Popen(
            [PYTHON, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
             "--ws", "websockets-sansio", "--lifespan", "off", "--timeout-graceful-shutdown", "5"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.processes[port] = proc
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {(self.workdir / f'server-{port}.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return url
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not answer /healthz within 60 s")

    def stop(self, port: int) -> None:
        proc = self.processes.pop(port)
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def restart(self, port: int) -> str:
        self.stop(port)
        return self.start(port)

    def close(self) -> None:
        for port in list(self.processes):
            self.stop(port)

    def mails(self) -> list[str]:
        folder = self.workdir / "mail"
        if not folder.exists():
            return []
        # The file backend writes every message of one connection into one file, each followed by a rule.
        messages: list[str] = []
        for path in sorted(folder.iterdir(), key=lambda p: (p.stat().st_mtime, p.name)):
            for part in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
                if part.strip():
                    messages.append(part)
        return messages
