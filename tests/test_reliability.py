"""Reliability: a real multi-process server under readers and saves, and saves cut by kill -9.

Each test copies a site built by the real commands (setup, demo, set-password), serves it with
gunicorn on 127.0.0.1 and talks HTTP to it the way browsers do. Every save the server
acknowledges (302) must be in the database afterwards, at the version it was saved as.
"""

import contextlib
import http.client
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.helpers import PASSWORD

# These run gunicorn over their own SQLite instance and check the file with sqlite3.
pytestmark = pytest.mark.sqlite_only("gunicorn workers over a SQLite file, checked with sqlite3")

ROOT = Path(__file__).resolve().parent.parent
LOAD_SECONDS = 8
READERS = 6
EDITORS = 2
KILLS = 4
COLLISIONS = 6

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')
MARKER = re.compile(r"Reliability marker ([0-9a-f]{32})\b")
FILLER = (
    "Officials said the decision followed months of consultation with residents. "
    "Critics argue the timetable is too ambitious and the budget too thin. "
)
TAGS = ["Climate", "Energy", "Trade", "Space", "Oceans"]


def site_env(instance: Path) -> dict[str, str]:
    """Return the environment of a site kept in instance, free of the caller's BLOG_* settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("BLOG_")}
    env["BLOG_INSTANCE_PATH"] = str(instance)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str


def fetch(port: int, method: str, path: str, body: str | None = None, headers=None) -> Response:
    """Send one request on its own connection and read the whole answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return Response(answer.status, answer.headers, answer.read().decode())
    finally:
        connection.close()


class Server:
    """gunicorn serving the site in instance, in a process group of its own."""

    def __init__(self, instance: Path, workers: int):
        self.instance = instance
        self.workers = workers
        self.port = free_port()
        self.log = instance.parent / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--graceful-timeout",
            "5",
            # The default control socket is one path per user: two servers would share it.
            "--no-control-socket",
            "app:app",
        ]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=site_env(self.instance),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, f"gunicorn exited:\n{self.log_tail()}"
            with contextlib.suppress(OSError, http.client.HTTPException):
                if fetch(self.port, "GET", "/").status == 200:
                    return
            assert time.monotonic() < deadline, f"gunicorn did not answer:\n{self.log_tail()}"
            time.sleep(0.1)

    def kill(self) -> None:
        """Kill -9 the master and every worker at once, as a crash or the OOM killer would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """Shut down gracefully, then make sure nothing of the group is left."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback") if self.log.exists() else 0


@dataclass
class Ack:
    """A save the server acknowledged: post_id's version now holds marker."""

    post_id: int
    version: int
    marker: str


@dataclass
class Tally:
    """What every thread saw, under one lock."""

    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # markers of saves answered 409
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, status: int | str) -> None:
        with self.lock:
            self.requests += 1
            self.statuses[status] += 1

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


class Conflict(Exception):
    """The post changed since its form was opened (409)."""


class Editor:
    """One signed-in browser tab: a cookie jar and CSRF tokens scraped from the real forms."""

    def __init__(
        self,
        port: int,
        categories: list[int],
        rng: random.Random,
        tally: Tally,
        body_kb: int = 4,
        think: float = 0.0,
    ):
        self.port = port
        self.tally = tally
        self.think = think
        self.categories = categories
        self.rng = rng
        self.body_kb = body_kb
        self.cookies: dict[str, str] = {}
        self.posting = threading.Event()
        self.save_seconds: list[float] = []  # how long each acknowledged POST took
        self.in_flight: Ack | None = None

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = fetch(self.port, method, path, body, headers)
        self.tally.count(response.status)
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response

    def sign_in(self) -> None:
        page = self.request("GET", "/auth/sign-in")
        answer = self.request(
            "POST",
            "/auth/sign-in",
            {
                "csrf_token": TOKEN.search(page.text).group(1),
                "username": "editor",
                "password": PASSWORD,
                "next": "",
            },
        )
        assert answer.status == 302, (answer.status, answer.text[:500])

    def open_form(self, post_id: int | None) -> tuple[str, int]:
        """Open the post form as a browser would; return its CSRF token and version."""
        path = f"/editor/posts/{post_id}" if post_id else "/editor/posts/new"
        page = self.request("GET", path)
        if page.status != 200:
            raise AssertionError(f"GET {path}: {page.status}")
        return TOKEN.search(page.text).group(1), int(VERSION.search(page.text).group(1))

    def save(self, post_id: int | None, marker: str, opened: tuple[str, int] | None = None) -> Ack:
        """Save marker's text to a post (None: a new one); raise Conflict on a 409.

        opened is the (token, version) of a form opened earlier; else the form is opened now.
        """
        if opened is None:
            opened = self.open_form(post_id)
            # A person reads the form before saving: the other tab has time to save first.
            time.sleep(self.rng.uniform(0, self.think))
        token, version = opened
        paragraphs = [FILLER] * (self.body_kb * 1024 // len(FILLER))
        body = "\n\n".join([f"Reliability marker {marker}.", *paragraphs])
        form = {
            "csrf_token": token,
            "title": f"Reliability check {marker[:12]}",
            "slug": "",
            "body_format": "markdown",
            "body": body,
            "excerpt": "",
            "category": str(self.rng.choice(self.categories)),
            "tags": ", ".join(self.rng.sample(TAGS, 2)),
            "image_id": "0",
            "image_alt": "",
            "status": "publish",
            "publish_at": "",
            "seo_title": "",
            "seo_description": "",
            "version": str(version),
        }
        path = f"/editor/posts/{post_id}" if post_id else "/editor/posts/new"
        self.in_flight = Ack(post_id or 0, version + 1, marker)
        self.posting.set()
        started = time.monotonic()
        try:
            answer = self.request("POST", path, form)
        except ConnectionRefusedError:
            self.in_flight = None  # it never reached the server
            raise
        finally:
            self.posting.clear()
        self.in_flight = None
        self.save_seconds.append(time.monotonic() - started)
        if answer.status == 409:
            raise Conflict(marker)
        if answer.status != 302:
            raise AssertionError(f"POST {path}: {answer.status}")
        saved_id = int(urlsplit(answer.headers["Location"]).path.rstrip("/").rsplit("/", 1)[1])
        return Ack(saved_id, version + 1, marker)


def build_site(instance: Path) -> None:
    """Prepare a site with the commands an operator runs: setup, demo, set-password."""
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    steps = [(["setup"], ""), (["demo", "--posts", "300"], ""), (["set-password", "editor"], None)]
    for args, stdin in steps:
        done = subprocess.run(
            flask + args,
            cwd=ROOT,
            env=site_env(instance),
            input=f"{PASSWORD}\n" if stdin is None else stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"flask {' '.join(args)}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    instance = tmp_path_factory.mktemp("reliability") / "instance"
    build_site(instance)
    return instance


@pytest.fixture
def instance(built_site, tmp_path):
    """A copy of the built site for this test alone."""
    path = tmp_path / "instance"
    shutil.copytree(built_site, path)
    return path


@pytest.fixture
def servers():
    """Collect the servers a test starts, and always stop them."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def query(instance: Path, sql: str, *params) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(instance / "blog.sqlite")) as db:
        return db.execute(sql, params).fetchall()


def site_facts(instance: Path) -> dict:
    """Return what the load needs: public slugs, categories, tags, authors, months."""
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    public = query(
        instance,
        "SELECT id, slug, published_at FROM posts WHERE status = 'published' "
        "AND published_at <= ? ORDER BY id",
        now,
    )
    return {
        "public": public,
        "categories": [row for (row,) in query(instance, "SELECT id FROM categories")],
        "category_slugs": [row for (row,) in query(instance, "SELECT slug FROM categories")],
        "tag_slugs": [row for (row,) in query(instance, "SELECT slug FROM tags")],
        "authors": [row for (row,) in query(instance, "SELECT username FROM users")],
    }


def reader_paths(facts: dict, rng: random.Random) -> list[tuple[str, int]]:
    """Return (path, expected status) pairs over every kind of public page."""
    paths = [("/", 200), ("/archive/", 200), ("/feed.atom", 200), ("/sitemap.xml", 200)]
    paths += [(f"/?page={n}", 200) for n in range(2, 25)]
    paths += [(f"/posts/{slug}", 200) for _, slug, _ in rng.sample(facts["public"], 60)]
    paths += [(f"/category/{slug}", 200) for slug in facts["category_slugs"]]
    paths += [(f"/tag/{slug}", 200) for slug in facts["tag_slugs"][:10]]
    paths += [(f"/author/{name}", 200) for name in facts["authors"]]
    months = {published[:7] for _, _, published in facts["public"]}
    paths += [(f"/archive/{m[:4]}/{int(m[5:7])}/", 200) for m in sorted(months)[:12]]
    paths += [("/posts/no-such-post", 404), ("/?page=100000", 404)]
    return paths


def read_until(port: int, paths, stop: threading.Event, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        path, expected = rng.choice(paths)
        try:
            status = fetch(port, "GET", path).status
        except (OSError, http.client.HTTPException) as error:
            tally.count("connection error")
            tally.error(f"GET {path}: {error!r}")
            continue
        tally.count(status)
        if status != expected:
            tally.error(f"GET {path}: {status}")


def write_until(editor: Editor, shared: list[int], stop: threading.Event, tally: Tally) -> None:
    """Create and edit posts, some of them shared with the other editor, until stopped."""
    own: list[int] = []
    try:
        editor.sign_in()
    except Exception as error:  # every failure is a finding, reported below
        tally.error(f"sign-in: {error!r}")
        return
    while not stop.is_set():
        roll = editor.rng.random()
        if not own or roll < 0.15:
            post_id = None
        elif roll < 0.75:
            post_id = editor.rng.choice(shared)
        else:
            post_id = editor.rng.choice(own)
        marker = uuid.uuid4().hex
        try:
            ack = editor.save(post_id, marker)
        except Conflict:
            # The other tab saved first: re-open the form (new version) on the next turn.
            with tally.lock:
                tally.rejected.append(marker)
            continue
        except Exception as error:  # every failure is a finding, reported below
            tally.error(f"editor: {error!r}"[:300])
            continue
        with tally.lock:
            tally.acks.append(ack)
        if post_id is None:
            own.append(ack.post_id)


def stored_versions(instance: Path) -> dict[str, list[tuple[int, int]]]:
    """Map every marker in the database to the (post id, version) texts that hold it."""
    texts = query(instance, "SELECT id, version, body_source FROM posts")
    texts += query(instance, "SELECT post_id, version, body_source FROM revisions")
    found: dict[str, list[tuple[int, int]]] = {}
    for post_id, version, body in texts:
        for marker in MARKER.findall(body):
            found.setdefault(marker, []).append((post_id, version))
    return found


def consistency_problems(instance: Path) -> list[str]:
    """Return whatever is broken: the file, a half-written post, a gap in its revisions."""
    problems = []
    integrity = query(instance, "PRAGMA integrity_check")
    if integrity != [("ok",)]:
        problems.append(f"integrity_check: {integrity[:5]}")
    if orphans := query(instance, "PRAGMA foreign_key_check"):
        problems.append(f"foreign_key_check: {orphans[:5]}")
    for post_id, source, html, excerpt in query(
        instance, "SELECT id, body_source, body_html, excerpt FROM posts"
    ):
        if source.strip() and not (html.strip() and excerpt.strip()):
            problems.append(f"post {post_id}: body_html or excerpt missing")
        for marker in MARKER.findall(source):
            if marker not in html:
                problems.append(f"post {post_id}: body_html is not its body_source")
    revisions: dict[int, list[int]] = {}
    for post_id, version in query(instance, "SELECT post_id, version FROM revisions"):
        revisions.setdefault(post_id, []).append(version)
    # Every save keeps the version it replaces: revisions 1 .. version-1, each exactly once.
    for post_id, version in query(instance, "SELECT id, version FROM posts"):
        kept = sorted(revisions.get(post_id, []))
        if kept != list(range(1, version)):
            problems.append(f"post {post_id}: version {version}, revisions {kept}")
    return problems


def lost_saves(acks: list[Ack], found: dict) -> list[Ack]:
    return [ack for ack in acks if (ack.post_id, ack.version) not in found.get(ack.marker, [])]


def save_at_once(editors: list[Editor], post_id: int, tally: Tally) -> str:
    """Open one post in every tab, press Save in all at once; return what they were told."""
    opened = [editor.open_form(post_id) for editor in editors]
    barrier = threading.Barrier(len(editors))
    answers: list[str] = []

    def press_save(editor: Editor, form: tuple[str, int]) -> None:
        marker = uuid.uuid4().hex
        barrier.wait()
        try:
            ack = editor.save(post_id, marker, opened=form)
        except Conflict:
            answers.append("409")
            with tally.lock:
                tally.rejected.append(marker)
        except Exception as error:  # every failure is a finding, reported below
            answers.append("error")
            tally.error(f"double save: {error!r}"[:300])
        else:
            answers.append("302")
            with tally.lock:
                tally.acks.append(ack)

    threads = [
        threading.Thread(target=press_save, args=pair) for pair in zip(editors, opened, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return " + ".join(sorted(answers))


def test_concurrent_readers_and_editors_lose_nothing(instance, servers, record_property):
    rng = random.Random()
    facts = site_facts(instance)
    paths = reader_paths(facts, rng)
    shared = [post_id for post_id, _, _ in rng.sample(facts["public"], 2)]
    server = Server(instance, workers=3)
    servers.append(server)
    server.start()

    tally, stop, editors_stop = Tally(), threading.Event(), threading.Event()
    editors = [
        Editor(server.port, facts["categories"], random.Random(n), tally, think=0.3)
        for n in range(EDITORS)
    ]
    readers = [
        threading.Thread(target=read_until, args=(server.port, paths, stop, tally, n))
        for n in range(READERS)
    ]
    writers = [
        threading.Thread(target=write_until, args=(editor, shared, editors_stop, tally))
        for editor in editors
    ]
    started = time.monotonic()
    for thread in readers + writers:
        thread.start()
    time.sleep(LOAD_SECONDS - 3)
    editors_stop.set()
    for thread in writers:
        thread.join(60)
    # Then, still under the readers' load, both tabs press Save on one post at the same moment.
    collisions = Counter(
        save_at_once(editors, rng.choice(shared), tally) for _ in range(COLLISIONS)
    )
    stop.set()
    for thread in readers:
        thread.join(60)
    elapsed = time.monotonic() - started
    server.stop()
    log = server.log_tail(20000)

    found = stored_versions(instance)
    lost = lost_saves(tally.acks, found)
    saved_rejects = [marker for marker in tally.rejected if marker in found]
    latest = {}
    for ack in tally.acks:
        latest[ack.post_id] = max(latest.get(ack.post_id, 0), ack.version)
    versions = dict(query(instance, "SELECT id, version FROM posts"))
    stale = [pid for pid, version in latest.items() if versions.get(pid) != version]
    problems = consistency_problems(instance)
    summary = (
        f"load: {tally.requests} requests in {elapsed:.1f} s "
        f"({tally.requests / elapsed:.0f}/s, 3 workers, {READERS} readers, {EDITORS} editors), "
        f"{len(tally.errors)} errors, {len(tally.acks)} saves acknowledged, "
        f"{tally.statuses[409]} conflicts (409), {len(lost)} lost; "
        f"{COLLISIONS} simultaneous double saves: {dict(collisions)}"
    )
    print(f"\n{summary}")
    record_property("load", summary)

    assert not tally.errors, f"{tally.errors[:10]}\n{log}"
    assert not server.tracebacks(), log
    assert tally.acks, "no save was acknowledged"
    assert not lost, f"acknowledged but not stored: {lost[:5]}"
    assert not saved_rejects, f"answered 409 yet stored: {saved_rejects[:5]}"
    assert not stale, f"posts whose last acknowledged save is not current: {stale}"
    assert set(collisions) == {"302 + 409"}, collisions
    assert not problems, problems[:10]


def save_until_killed(editor: Editor, targets: list[int], tally: Tally, cut: list[Ack]) -> None:
    """Save until the server dies; remember the save in flight when it did."""
    while True:
        try:
            tally.acks.append(editor.save(editor.rng.choice([*targets, None]), uuid.uuid4().hex))
        except (OSError, http.client.HTTPException):
            if editor.in_flight is not None:
                # Sent, perhaps half processed: it may be stored whole, or not at all.
                cut.append(editor.in_flight)
                editor.in_flight = None
            return
        except Exception as error:  # every failure is a finding, reported below
            tally.error(f"editor: {error!r}"[:300])
            return


def test_saves_cut_by_kill_leave_the_database_consistent(instance, servers, record_property):
    rng = random.Random()
    facts = site_facts(instance)
    targets = [post_id for post_id, _, _ in rng.sample(facts["public"], 2)]
    server = Server(instance, workers=1)
    servers.append(server)
    # Big bodies make a save take long enough (render, sanitize, write) to be cut halfway.
    tally, cut = Tally(), []
    editor = Editor(server.port, facts["categories"], rng, tally, body_kb=60)
    for kill in range(KILLS):
        server.start()
        if kill == 0:
            editor.sign_in()
        thread = threading.Thread(target=save_until_killed, args=(editor, targets, tally, cut))
        thread.start()
        # Let some saves through, then cut one at a random point of its request.
        time.sleep(rng.uniform(0.2, 1.0))
        editor.posting.wait(10)
        typical = statistics.median(editor.save_seconds) if editor.save_seconds else 0.3
        time.sleep(rng.uniform(0, 1.2 * typical))
        server.kill()
        thread.join(30)

    server.start()
    slugs = [
        slug for (slug,) in query(instance, "SELECT slug FROM posts WHERE id IN (?, ?)", *targets)
    ]
    answers = [
        fetch(server.port, "GET", path).status for path in ["/", *(f"/posts/{s}" for s in slugs)]
    ]
    # No lock of a killed writer is left behind: the restarted site saves at once.
    tally.acks.append(editor.save(targets[0], uuid.uuid4().hex))
    server.stop()

    found = stored_versions(instance)
    lost = lost_saves(tally.acks, found)
    outcomes = Counter()
    for post_id, version, marker in ((c.post_id, c.version, c.marker) for c in cut):
        places = found.get(marker, [])
        if not places:
            outcomes["not saved"] += 1
        elif len(places) == 1 and places[0][1] == version and post_id in (0, places[0][0]):
            outcomes["saved whole"] += 1
        else:
            outcomes[f"misplaced {places}"] += 1
    problems = consistency_problems(instance)
    summary = (
        f"kill -9: {KILLS} kills, {len(tally.acks)} saves acknowledged, {len(lost)} lost, "
        f"{len(cut)} saves cut in flight ({dict(outcomes)}; a save takes "
        f"{statistics.median(editor.save_seconds or [0]) * 1000:.0f} ms), restart answers {answers}"
    )
    print(f"\n{summary}")
    record_property("kill", summary)

    assert not tally.errors, tally.errors[:10]
    assert not server.tracebacks(), server.log_tail()
    assert not lost, f"acknowledged but not stored: {lost[:5]}"
    assert set(outcomes) <= {"not saved", "saved whole"}, outcomes
    assert not problems, problems[:10]
    assert answers == [200] * len(answers)
