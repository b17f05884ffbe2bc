"""One and two app instances behind nginx over one PostgreSQL, for `make bench` (issue 19).

Used by bench/run.py when BENCH_DATABASE_URL names a PostgreSQL server whose role may create
databases: a database of its own is made for the run (and dropped after), filled with the
demo posts, and served by gunicorn instances with separate instance folders, one secret key
and BLOG_CONTENT_STAMP=database, behind deploy/nginx.conf with its micro-cache off (so that
every request reaches an instance). On a machine with two cores, two instances share the same
two cores: the rows show what a second instance costs, not what a second machine would gain.
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
POSTS = 1_000


def database_url() -> str | None:
    """Return BENCH_DATABASE_URL, checked to name PostgreSQL, or None when it is not set."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url and not url.startswith("postgresql"):
        sys.exit(f"BENCH_DATABASE_URL must name PostgreSQL (postgresql+psycopg://...), not {url}")
    return url or None


def _conninfo(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def run_database(url: str) -> Iterator[str]:
    """Yield the URL of a new database beside url's, dropped when the block ends."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"blog_bench_{secrets.token_hex(4)}"
    with psycopg.connect(_conninfo(url), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_conninfo(url), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def instance_env(base: dict[str, str], url: str, instance: Path) -> dict[str, str]:
    """Return the settings of one instance: its own folder, the shared database and key."""
    return {
        **base,
        "BLOG_INSTANCE_PATH": str(instance),
        "BLOG_DATABASE_URL": url,
        "BLOG_SECRET_KEY": "bench-instances",
        "BLOG_CONTENT_STAMP": "database",
        "BLOG_TRUSTED_PROXIES": "1",
    }


def build(env: dict[str, str]) -> None:
    """Make the schema and the demo posts through one instance's settings."""
    for args in (["setup"], ["demo", "--posts", str(POSTS)]):
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def _config(folder: Path, port: int, upstreams: list[str], instance: Path) -> Path:
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    for marked, value in {
        "server 127.0.0.1:8000;": " ".join(f"server {up};" for up in upstreams),
        "listen 80;": f"listen 127.0.0.1:{port};",
        "/var/cache/nginx/blog": str(folder / "cache"),
        "/srv/blog/static/": f"{ROOT / 'static'}/",
        "/srv/blog/instance": str(instance),
        # Every request to an instance: the micro-cache would measure nginx alone.
        "proxy_cache blog_pages;": "proxy_cache off;",
    }.items():
        if marked not in site:
            raise RuntimeError(f"deploy/nginx.conf no longer has {marked!r}")
        site = site.replace(marked, value)
    (folder / "blog.conf").write_text(site)
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    (folder / "nginx.conf").write_text(
        f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"};
events {{ worker_connections 1024; }}
http {{
    access_log off;
    include /etc/nginx/mime.types;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {folder / "blog.conf"};
}}
"""
    )
    return folder / "nginx.conf"


@contextmanager
def nginx(folder: Path, port: int, upstreams: list[str], instance: Path) -> Iterator[str]:
    """Run deploy/nginx.conf in front of upstreams; yield its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    config = _config(folder, port, upstreams, instance)
    log = folder / "error.log"
    process = subprocess.Popen(
        [NGINX, "-c", str(config), "-e", str(log), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited at start: {log.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not listen in 30 s") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


class Front:
    """nginx before some instances, measured as one server: its URL, their workers' CPU."""

    def __init__(self, base: str, servers: list):
        self.base, self.servers, self.requests_served = base, servers, 0

    def cpu(self) -> dict[int, int]:
        return {pid: ticks for server in self.servers for pid, ticks in server.cpu().items()}
