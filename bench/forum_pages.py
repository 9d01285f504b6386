"""Forum page speed beside Spirit, measured in one run (never a test).

    .venv/bin/python bench/forum_pages.py [--engines sqlite postgres] [-n 200]

For each database engine: seeds the shared workload (../shared/bench/peers/workload.py) into a fresh database
through our own actions, serves it with the production settings (DEBUG off) under uvicorn with one process,
does the same for Spirit (gunicorn, one worker, same engine, seeded by the peer's own script), and times the
latest-topics list, a category list, and the hot topic's first and last page, anonymous and as a member,
alternating the two sites page by page. Prints medians, p95s and the ratio ours/Spirit (target <= 0.5).
Loopback only; every server it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = Path(os.environ.get("BENCH_PEERS", ROOT.parent / "shared" / "bench" / "peers"))
PY = str(ROOT / ".venv" / "bin" / "python")
PG = "postgres://postgres@127.0.0.1:5432"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cmd: list[str], *, cwd: Path, env: dict | None = None, timeout: int = 1800) -> str:
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return out.stdout


def psql(sql: str) -> None:
    run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql], cwd=ROOT)


def wait_for(url: str, proc: subprocess.Popen, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited while starting ({url})")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


def start(cmd: list[str], *, cwd: Path, env: dict, url_path: str = "/") -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [part.replace("{port}", str(port)) for part in cmd]
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    wait_for(base + url_path, proc)
    return proc, base


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def measure(base: str, path: str, n: int, cookie: str = "") -> tuple[float, float, int]:
    cmd = [sys.executable, str(PEERS / "measure.py"), base, path, "-n", str(n)]
    if cookie:
        cmd += ["--cookie", cookie]
    line = run(cmd, cwd=ROOT).strip().splitlines()[-1]
    status = int(re.search(r"status=(\d+)", line).group(1))
    median = float(re.search(r"median_ms=([\d.]+)", line).group(1))
    p95 = float(re.search(r"p95_ms=([\d.]+)", line).group(1))
    return median, p95, status


# --- Our site ----------------------------------------------------------------------------------------------

def our_site(engine: str, workdir: Path) -> tuple[subprocess.Popen, str, dict[str, str], str]:
    if engine == "postgres":
        psql("DROP DATABASE IF EXISTS bench_community")
        psql("CREATE DATABASE bench_community")
        database_url = f"{PG}/bench_community"
    else:
        db = workdir / "ours.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        database_url = f"sqlite:///{db}"
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", DATABASE_URL=database_url,
               SECRET_KEY="bench-" + "x" * 60, ALLOWED_HOSTS="127.0.0.1,localhost", SECURE_SSL_REDIRECT="0",
               LOG_LEVEL="WARNING", BENCH_PEERS=str(PEERS))
    run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env)
    run([PY, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env)
    started = time.perf_counter()
    out = run([PY, "manage.py", "shell", "-c", "from bench.forum_seed import seed; seed()"], cwd=ROOT, env=env)
    print(f"  ours: seeded through our actions in {time.perf_counter() - started:.0f}s", flush=True)
    values = dict(re.findall(r"^(HOT|CATEGORY|SESSION)=(.*)$", out, re.M))
    proc, base = start([PY, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", "{port}",
                        "--ws", "websockets-sansio", "--lifespan", "off", "--no-access-log"],
                       cwd=ROOT, env=env, url_path="/healthz")
    hot = values["HOT"].rstrip("/") + "/"
    paths = {"latest": "/", "category": values["CATEGORY"], "hot first page": hot,
             "hot last page": f"{hot}?page=51"}
    return proc, base, paths, f"sessionid={values['SESSION']}"


# --- Spirit --------------------------------------------------------------------------------------------------

SPIRIT_PG_SETTINGS = '''from .bench import *  # noqa
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "bench_spirit",
                         "USER": "postgres", "HOST": "127.0.0.1", "PORT": "5432"}}
'''

SPIRIT_INFO = r'''
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from spirit.topic.models import Topic
from spirit.category.models import Category
user = get_user_model().objects.get(username="member1")
s = SessionStore(); s["_auth_user_id"] = str(user.pk)
s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
s["_auth_user_hash"] = user.get_session_auth_hash(); s.create()
hot = Topic.objects.order_by("pk").first()
cat = Category.objects.filter(title="Category 1").first()
print(f"HOT=/topic/{hot.pk}/{hot.slug}/"); print(f"CATEGORY=/category/{cat.pk}/{cat.slug}/")
print(f"SESSION={s.session_key}")
'''


def spirit_site(engine: str, peer: Path) -> tuple[subprocess.Popen, str, dict[str, str], str]:
    if not (peer / "spiritsite" / "bench.sqlite3").exists():
        print("  spirit: setting up (about a minute)", flush=True)
        run(["bash", str(PEERS / "spirit_setup.sh"), str(peer)], cwd=ROOT)
    site = peer / "spiritsite"
    python = str(peer / "spirit-venv" / "bin" / "python")
    settings = "spiritsite.settings.bench"
    env = dict(os.environ, BENCH_DIR=str(PEERS))
    if engine == "postgres":
        run([str(peer / "spirit-venv" / "bin" / "pip"), "install", "-q", "psycopg[binary]"], cwd=site)
        (site / "spiritsite" / "settings" / "bench_pg.py").write_text(SPIRIT_PG_SETTINGS)
        settings = "spiritsite.settings.bench_pg"
        psql("DROP DATABASE IF EXISTS bench_spirit")
        psql("CREATE DATABASE bench_spirit")
        env["DJANGO_SETTINGS_MODULE"] = settings
        run([python, "manage.py", "migrate", "-v0"], cwd=site, env=env)
        run([python, "manage.py", "createcachetable"], cwd=site, env=env)
        with open(PEERS / "spirit_seed.py") as seed:
            subprocess.run([python, "manage.py", "shell"], cwd=site, env=env, stdin=seed, check=True,
                           capture_output=True, timeout=1800)
    env["DJANGO_SETTINGS_MODULE"] = settings
    out = run([python, "manage.py", "shell", "-c", SPIRIT_INFO], cwd=site, env=env)
    values = dict(re.findall(r"^(HOT|CATEGORY|SESSION)=(.*)$", out, re.M))
    proc, base = start([str(peer / "spirit-venv" / "bin" / "gunicorn"), "-w", "1", "-b", "127.0.0.1:{port}",
                        "spiritsite.wsgi:application"], cwd=site, env=env)
    paths = {"latest": "/", "category": values["CATEGORY"], "hot first page": values["HOT"],
             "hot last page": f"{values['HOT']}?page=51"}
    return proc, base, paths, f"sessionid={values['SESSION']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("-n", type=int, default=200, help="requests per page and site")
    parser.add_argument("--peer-dir", type=Path, default=ROOT.parent / "bench-peer",
                        help="where Spirit is installed (outside the repository)")
    args = parser.parse_args()
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / "community-bench"
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for engine in args.engines:
        print(f"== {engine}", flush=True)
        ours = spirit = None
        try:
            ours = our_site(engine, workdir)
            spirit = spirit_site(engine, args.peer_dir)
            for page in ours[2]:
                for who in ("anonymous", "member"):
                    o = measure(ours[1], ours[2][page], args.n, ours[3] if who == "member" else "")
                    s = measure(spirit[1], spirit[2][page], args.n, spirit[3] if who == "member" else "")
                    rows.append((engine, page, who, o, s))
                    print(f"  {page:<15} {who:<9} ours {o[0]:7.2f} ms (p95 {o[1]:7.2f}, {o[2]})   "
                          f"spirit {s[0]:7.2f} ms (p95 {s[1]:7.2f}, {s[2]})   ratio {o[0] / s[0]:.2f}", flush=True)
        finally:
            for site in (ours, spirit):
                if site:
                    stop(site[0])
    print("\n| engine | page | viewer | ours median (p95) ms | Spirit median (p95) ms | ratio |")
    print("|---|---|---|---|---|---|")
    for engine, page, who, o, s in rows:
        print(f"| {engine} | {page} | {who} | {o[0]:.1f} ({o[1]:.1f}) | {s[0]:.1f} ({s[1]:.1f}) | "
              f"**{o[0] / s[0]:.2f}** |")
    worst = max((o[0] / s[0] for *_, o, s in rows), default=0)
    print(f"\nworst ratio {worst:.2f} (target <= 0.50): {'met' if worst <= 0.5 else 'NOT met'}")


if __name__ == "__main__":
    if shutil.which("psql") is None:
        print("psql not found; use --engines sqlite", file=sys.stderr)
    main()
