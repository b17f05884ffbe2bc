"""make serve: gunicorn workers on 127.0.0.1, debug off, logs on stdout, year-long static cache."""

import hashlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The virtualenv running these tests: make serve uses its flask and gunicorn.
VENV = Path(sys.executable).parent.parent

pytestmark = [
    pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed"),
    # make serve builds its own SQLite instance and opens the file to check it.
    pytest.mark.sqlite_only("make serve runs on its own SQLite instance"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read().decode()


def wait_for_port(port: int, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make serve exited early:\n{process.communicate()[0]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listens on port {port} after {seconds} s")


@contextmanager
def make_serve(instance: Path, **settings: str):
    """Run `make serve` (2 workers) over a fresh instance; yield its URL, then its output.

    settings: more environment variables (BLOG_TRUSTED_PROXIES="1" ...).
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOG_")}
    # A FLASK_DEBUG left in the shell must not switch debug on under gunicorn.
    env.update(BLOG_INSTANCE_PATH=str(instance), FLASK_DEBUG="1", **settings)
    command = ["make", "-o", f"{VENV}/.installed", "serve"]
    command += [f"VENV={VENV}", f"PORT={port}", "WORKERS=2"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    output = {}
    try:
        # Generous: the suite runs a worker per core, and setup migrates a fresh database first.
        wait_for_port(port, process, seconds=60)
        yield f"http://127.0.0.1:{port}", output
    finally:
        # make, its shell, gunicorn's master and its workers share one process group.
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            output["stdout"], output["stderr"] = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output["stdout"], output["stderr"] = process.communicate()


def test_make_serve(tmp_path):
    instance = tmp_path / "instance"
    with make_serve(instance) as (url, output):
        with urllib.request.urlopen(url + "/", timeout=30) as response:
            # gunicorn dates every response; the app adds no second Date.
            assert len(response.headers.get_all("Date")) == 1
        status, _, home = fetch(url + "/")
        assert status == 200
        match = re.search(r'href="/static/([^"?]+\.css)\?v=([0-9a-f]{8,})"', home)
        assert match, "the stylesheet URL carries no content fingerprint"
        css_path, fingerprint = match.groups()
        content = (ROOT / "static" / css_path).read_bytes()
        assert hashlib.sha256(content).hexdigest().startswith(fingerprint)
        status, headers, css = fetch(f"{url}/static/{css_path}?v={fingerprint}")
        assert status == 200 and css
        assert "max-age=31536000" in headers["Cache-Control"]

        status, _, missing = fetch(url + "/no-such-page")
        assert status == 404

        # Break the database under the running site. With debug off the site answers with
        # its own 500 page and logs the traceback; with debug on the error would propagate
        # to gunicorn, which answers with a bare page of its own.
        conn = sqlite3.connect(instance / "blog.sqlite")
        with conn:
            conn.execute("PRAGMA foreign_keys=OFF")
            conn.execute("DROP TABLE posts")
        conn.close()
        # A session cookie keeps the page cache from answering.
        status, _, failed = fetch(url + "/", headers={"Cookie": "session=none"})
        assert status == 500
        assert "Something went wrong on our side" in failed
        for page in (missing, failed):
            assert "Traceback" not in page
            assert "Werkzeug Debugger" not in page and "__debugger__" not in page

    stdout, stderr = output["stdout"], output["stderr"]
    # Migrations, gunicorn, its two workers, every request and the traceback: all on stdout.
    assert "Running upgrade" in stdout
    assert stdout.count("Booting worker") == 2
    assert re.search(r'"GET / HTTP/1.1" 200', stdout)
    assert re.search(r'"GET /static/\S+\.css\?v=\w+ HTTP/1.1" 200', stdout)
    assert "no such table: posts" in stdout
    assert "GET /" not in stderr and "Traceback" not in stderr
