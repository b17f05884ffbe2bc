"""deploy/nginx.conf in front of `make serve`: slow clients wait on nginx, never on a worker.

The very file that ships is started (its marked values replaced with this test's ports and
folders), with gunicorn behind it as `make serve` runs it.
"""

import os
import shutil
import socket
import subprocess
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.test_serve import ROOT, fetch, free_port, make_serve, wait_for_port

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)

pytestmark = [
    # CI installs nginx (.ci/run): there it must run, not skip.
    pytest.mark.skipif(
        NGINX is None and os.environ.get("CI") != "true", reason="nginx is not installed"
    ),
    pytest.mark.sqlite_only("make serve runs on its own SQLite instance"),
]
SLOW_CLIENTS = 200


def nginx_config(folder: Path, port: int, upstream: str, instance: Path) -> Path:
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    for marked, value in {
        "server 127.0.0.1:8000;": f"server {upstream};",
        "listen 80;": f"listen 127.0.0.1:{port};",
        "/var/cache/nginx/blog": str(folder / "cache"),
        "/srv/blog/static/": f"{ROOT / 'static'}/",
        "/srv/blog/instance": str(instance),
    }.items():
        assert marked in site, f"deploy/nginx.conf no longer has {marked!r}"
        site = site.replace(marked, value)
    (folder / "blog.conf").write_text(site)
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    main = f"""
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
    (folder / "nginx.conf").write_text(main)
    return folder / "nginx.conf"


@contextmanager
def nginx(folder: Path, upstream: str, instance: Path):
    folder.mkdir()
    port = free_port()
    config = nginx_config(folder, port, upstream, instance)
    check = subprocess.run([NGINX, "-t", "-c", str(config), "-e", str(folder / "error.log")],
                           capture_output=True, text=True)  # fmt: skip
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [NGINX, "-c", str(config), "-e", str(folder / "error.log"), "-g", "daemon off;"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, process, seconds=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.communicate(timeout=30)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nginx")
    instance = folder / "instance"
    with ExitStack() as stack:
        app_url, _ = stack.enter_context(make_serve(instance, BLOG_TRUSTED_PROXIES="1"))
        proxy_url = stack.enter_context(
            nginx(folder / "nginx", app_url.removeprefix("http://"), instance)
        )
        for _ in range(4):  # both workers warm: the first page a worker renders costs most
            fetch(f"{app_url}/?warm={_}")
        yield proxy_url, app_url, instance


@contextmanager
def slow_clients(url: str, count: int = SLOW_CLIENTS):
    """Open count connections that send half a request and then stall, as slowloris does."""
    host, port = url.removeprefix("http://").split(":")
    sockets = []
    try:
        for _ in range(count):
            sock = socket.create_connection((host, int(port)), timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            sockets.append(sock)
        yield
    finally:
        for sock in sockets:
            sock.close()


def answers(url: str, seconds: float = 5.0) -> bool:
    """Tell whether a reader gets a page from the site (not nginx's cache) within seconds."""
    host, port = url.removeprefix("http://").split(":")
    request = f"GET /?probe={time.monotonic_ns()} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    try:
        with socket.create_connection((host, int(port)), timeout=seconds) as sock:
            sock.sendall(f"{request}Connection: close\r\n\r\n".encode())
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def test_slow_clients_do_not_stop_other_readers(site):
    proxy_url, app_url, _ = site
    with slow_clients(proxy_url):
        started = time.monotonic()
        assert all(answers(proxy_url) for _ in range(5))
        print(f"5 readers answered beside {SLOW_CLIENTS} slow clients in "
              f"{time.monotonic() - started:.2f} s")  # fmt: skip
    # Without nginx, the same slow clients hold both gunicorn workers: no one is answered.
    with slow_clients(app_url):
        assert not answers(app_url, seconds=3.0)


def test_anonymous_pages_are_micro_cached_and_the_editor_never(site):
    proxy_url, _, _ = site
    fetch(proxy_url + "/")
    _, headers, _ = fetch(proxy_url + "/")
    assert headers["X-Micro-Cache"] in ("HIT", "UPDATING")
    assert "stale-while-revalidate" in headers["Cache-Control"]
    _, headers, _ = fetch(proxy_url + "/", headers={"Cookie": "session=x"})
    assert headers["X-Micro-Cache"] == "BYPASS"
    status, headers, _ = fetch(proxy_url + "/auth/sign-in")
    assert status == 200 and "X-Micro-Cache" not in headers
    # A change shows within the micro-cache's second (nginx counts whole seconds).
    time.sleep(2.1)
    _, headers, _ = fetch(proxy_url + "/")
    assert headers["X-Micro-Cache"] in ("EXPIRED", "MISS", "UPDATING")


def test_static_files_and_uploads_come_from_nginx_with_the_sites_headers(site):
    proxy_url, _, instance = site
    status, headers, _ = fetch(proxy_url + "/static/css/site.css", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert "immutable" in headers["Cache-Control"]
    assert headers.get("Content-Encoding") == "gzip"

    (instance / "media").mkdir(exist_ok=True)
    name = "0123456789abcdef01234567-480.png"
    (instance / "media" / name).write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    (instance / "media" / "notes.html").write_text("<script>alert(1)</script>")
    status, headers, _ = fetch(f"{proxy_url}/media/{name}")
    assert status == 200
    assert headers["Content-Type"] == "image/png"
    assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert fetch(f"{proxy_url}/media/notes.html")[0] == 404


def test_the_client_cannot_forge_its_address(site):
    proxy_url, _, _ = site
    # The site trusts one hop: nginx sets X-Forwarded-For to the client's own address, so a
    # forged header changes nothing the site sees (its absolute URLs keep nginx's host).
    _, _, page = fetch(proxy_url + "/", {"X-Forwarded-For": "203.0.113.9", "Cookie": "session=x"})
    assert proxy_url.removeprefix("http://").split(":")[0] in page
