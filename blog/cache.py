"""A page cache for anonymous readers, invalidated exactly when content changes.

Every worker process keeps its own LRU of rendered public pages. They agree on freshness
through one stamp file in instance/: any commit that changes what readers can see touches
it, and each entry remembers the stamp it was rendered under. An entry also expires when
the next scheduled post falls due, so a post goes live at its time with no job to run.

A restore holds the stamp (hold_stamp: a new mtime, and the file not empty) while it switches
the database under the site, and releases it after (another new mtime): while it is held no
page is served from memory or kept, so a page rendered from the old database just before the
switch cannot outlive it, even if the restore is killed between switch and release.

The lookup runs as WSGI middleware in front of Flask, so a hit costs about what a
hello-world costs: a stat() of the stamp, a dict lookup, and the stored bytes.

Several machines (BLOG_CONTENT_STAMP=database, PostgreSQL only) cannot share a file: the stamp
is then a row of the database (content_version), raised in the transaction that changes public
content, and announced with NOTIFY when it commits. Each worker keeps a connection that
LISTENs and holds the last stamp in memory, so that a hit still costs no round trip; while
that connection is down, the worker serves nothing from memory (as under a held stamp).
"""

import functools
import gzip
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, g, has_app_context
from sqlalchemy import event, make_url, text
from sqlalchemy.orm import Session
from werkzeug.http import http_date, parse_date
from werkzeug.wrappers import Response

# Rows of these tables never show on a public page: writing them keeps the cache.
PRIVATE_TABLES = frozenset({"autosaves", "editor_sessions", "sign_in_attempts", "sign_in_tokens"})
# Search results are one page per query: caching them would let odd queries evict the pages
# every reader wants.
SKIP_PREFIXES = ("/editor", "/auth", "/static", "/media", "/search")
# The app marks a page the cache may keep with this header (its value: until when), only
# when the cache asked (FILLING in the environ); the cache takes it off before sending.
CACHEABLE_HEADER = "X-Blog-Page-Cache"
FILLING = "blog.page_cache.filling"
# The request headers that can turn a 200 into a 304 or a 412. Range and If-Range count only
# where ranges are accepted, and no page accepts them.
CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH")
# read_stamp's answer while a restore holds the stamp: nothing may be kept under it.
HELD = -1


def touch_stamp(path: str | os.PathLike) -> None:
    """Tell every worker that public content changed."""
    stamp = Path(path)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    now = time.time_ns()
    try:
        os.utime(stamp, ns=(now, now))
    except FileNotFoundError:
        stamp.touch()


def hold_stamp(path: str | os.PathLike) -> None:
    """Tell every worker that content is changing under it: keep no page until release_stamp."""
    _replace_stamp(Path(path), b"held by flask restore\n")


def release_stamp(path: str | os.PathLike) -> None:
    """End a hold_stamp; the stamp is new, so that no page kept before the hold is served."""
    _replace_stamp(Path(path), b"")


def _replace_stamp(stamp: Path, content: bytes) -> None:
    # One rename: the new mtime and the hold (a stamp that is not empty) come together.
    stamp.parent.mkdir(parents=True, exist_ok=True)
    partial = stamp.with_name(f"{stamp.name}.next")
    partial.write_bytes(content)
    now = time.time_ns()
    os.utime(partial, ns=(now, now))
    os.replace(partial, stamp)


def read_stamp(path: str) -> int:
    """Return the stamp (its mtime in nanoseconds), 0 if there is none, HELD while held."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return 0
    return HELD if found.st_size else found.st_mtime_ns


class FileStamp:
    """The stamp of one machine: a file's mtime in instance/ (see the module's docstring)."""

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)

    def read(self) -> int:
        return read_stamp(self.path)

    def bump(self, connection) -> None:
        """Nothing to do inside the transaction: the file is touched once it commits."""

    def committed(self, raised: int | None) -> None:
        touch_stamp(self.path)

    def close(self) -> None:
        pass


class SharedStamp:
    """The stamp of several machines: a row in PostgreSQL, pushed to each worker by NOTIFY."""

    CHANNEL = "blog_content"
    _RAISE = text(
        "UPDATE content_version SET stamp = GREATEST(stamp + 1, :now) WHERE id = 1 RETURNING stamp"
    )
    _NOTIFY = text("SELECT pg_notify(:channel, :stamp)")

    def __init__(self, database_url: str):
        url = make_url(database_url)
        if url.get_backend_name() != "postgresql":
            raise ValueError("BLOG_CONTENT_STAMP=database needs PostgreSQL (BLOG_DATABASE_URL).")
        self.dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.value: int | None = None  # None: not listening, so nothing is known
        self.pid: int | None = None
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def read(self) -> int:
        if self.pid != os.getpid():  # first use in this process (gunicorn forks after import)
            self._start()
        value = self.value
        return HELD if value is None else value

    def _start(self) -> None:
        with self.lock:
            if self.pid == os.getpid():
                return
            self.pid, self.value = os.getpid(), None
            threading.Thread(target=self._listen, name="content-stamp", daemon=True).start()

    def _listen(self) -> None:
        import psycopg  # only a PostgreSQL site gets here

        while not self.stopped.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {self.CHANNEL}")
                    # Read after LISTEN: a commit in between is both read and announced.
                    (stamp,) = conn.execute("SELECT stamp FROM content_version").fetchone()
                    self._seen(stamp)
                    while not self.stopped.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self._seen(int(note.payload))
            except Exception as error:  # a lost server: serve fresh pages until it is back
                self.value = None
                if not self.stopped.is_set():
                    logging.getLogger(__name__).warning("content stamp: %s; retrying", error)
                    self.stopped.wait(1.0)
        self.value = None

    def _seen(self, stamp: int) -> None:
        with self.lock:
            self.value = stamp if self.value is None else max(self.value, stamp)

    def bump(self, connection) -> int:
        """Raise the stamp in the writing transaction: it counts, and is announced, on commit.

        The row stays locked until then: public writes of two workers take turns.
        """
        stamp = connection.execute(self._RAISE, {"now": time.time_ns()}).scalar_one()
        connection.execute(self._NOTIFY, {"channel": self.CHANNEL, "stamp": str(stamp)})
        return stamp

    def committed(self, raised: int | None) -> None:
        # This worker reads its own write at once; the others when the NOTIFY reaches them.
        if raised is not None and self.value is not None:
            self._seen(raised)

    def close(self) -> None:
        self.stopped.set()


def stamp_source(config) -> FileStamp | SharedStamp:
    """Return the stamp the settings ask for: the instance's file, or the database's row."""
    if config.get("CONTENT_STAMP", "file") == "database":
        return SharedStamp(config["SQLALCHEMY_DATABASE_URI"])
    return FileStamp(config["PAGE_CACHE_STAMP"])


_watching = False


def _stamp() -> FileStamp | SharedStamp | None:
    return current_app.extensions.get("content_stamp") if has_app_context() else None


def watch_sessions() -> None:
    """Touch the stamp after any commit that wrote public content, once per process."""
    global _watching
    if _watching:
        return
    _watching = True
    session_class = Session

    def note(session: Session, tables) -> None:
        if set(tables) - PRIVATE_TABLES and not session.info.get("public_content_changed"):
            session.info["public_content_changed"] = True
            stamp = _stamp()
            if stamp is not None:
                session.info["content_stamp_raised"] = stamp.bump(session.connection())

    @event.listens_for(session_class, "after_flush")
    def after_flush(session, flush_context):
        changed = list(session.new) + list(session.dirty) + list(session.deleted)
        note(session, {getattr(obj, "__tablename__", "") for obj in changed})

    @event.listens_for(session_class, "do_orm_execute")
    def bulk_statement(state):
        if state.is_insert or state.is_update or state.is_delete:
            table = getattr(state.statement, "table", None)
            note(state.session, {getattr(table, "name", "")})

    @event.listens_for(session_class, "after_commit")
    def after_commit(session):
        if session.info.pop("public_content_changed", False):
            stamp = _stamp()
            if stamp is not None:
                stamp.committed(session.info.pop("content_stamp_raised", None))
                g.pop("content_stamp", None)

    @event.listens_for(session_class, "after_rollback")
    def after_rollback(session):
        session.info.pop("public_content_changed", None)
        session.info.pop("content_stamp_raised", None)


def _not_modified(entry: "Entry", etag: str, environ) -> bool:
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        return etag in if_none_match or if_none_match.strip() == "*"
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    modified = dict(entry.headers).get("Last-Modified")
    if since and modified:
        since_time, modified_time = parse_date(since), parse_date(modified)
        return bool(since_time and modified_time and modified_time <= since_time)
    return False


def make_conditional(response: Response, environ: dict) -> Response:
    """Return response.make_conditional(environ), cheaply when the request asks nothing.

    Most requests carry no If-* header: werkzeug would still parse the response's dates and
    ETag, only to add a Date (which the HTTP server sends anyway: see blog/security.py). It
    also adds a missing Content-Length: those go its way.
    """
    names = {name.lower() for name, _ in response.headers}
    if (
        environ["REQUEST_METHOD"] not in ("GET", "HEAD")
        or "content-length" not in names
        or any(environ.get(header) for header in CONDITIONAL_HEADERS)
    ):
        return response.make_conditional(environ)
    return response


@functools.lru_cache(maxsize=1)
def stamp_date(stamp: int) -> str:
    """Return a content stamp (an mtime in nanoseconds) as an HTTP date, for Last-Modified."""
    return http_date(stamp // 1_000_000_000)


@dataclass
class Entry:
    stamp: int
    expires: float  # epoch seconds: the next scheduled post's time, or infinity
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    gzipped: bytes | None
    etag: str
    # The gzip copy is another representation (RFC 9110 8.8.3): a cache between must not
    # take one for the other, so it has its own tag.
    gzip_etag: str | None


class PageCacheMiddleware:
    """Serve anonymous GETs of public pages from memory while the content stamp holds."""

    def __init__(self, wsgi_app, config, stamp, clock=time.time):
        self.wsgi_app = wsgi_app
        self.config = config
        self.stamp = stamp
        self.clock = clock
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def _cacheable_request(self, environ) -> bool:
        return (
            self.config["PAGE_CACHE"]
            and environ["REQUEST_METHOD"] in ("GET", "HEAD")
            and not environ.get("PATH_INFO", "").startswith(SKIP_PREFIXES)
            # A reader with a session (the editor, or a pending message) gets a fresh page.
            and "session=" not in environ.get("HTTP_COOKIE", "")
        )

    def __call__(self, environ, start_response):
        if not self._cacheable_request(environ):
            return self.wsgi_app(environ, start_response)
        # The host is part of the key: pages hold absolute URLs built from it, and one
        # request with a forged Host must not poison the page every reader gets. So is the
        # script root: every link starts with it.
        key = "{}://{}{}{}?{}".format(
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
        )
        stamp = self.stamp.read()
        if stamp == HELD:
            return self.wsgi_app(environ, start_response)
        entry = self.entries.get(key)
        if entry is not None and entry.stamp == stamp and self.clock() < entry.expires:
            self.hits += 1
            return self._serve(entry, environ, start_response)
        self.misses += 1
        return self._fill(key, stamp, environ, start_response)

    def _serve(self, entry: Entry, environ, start_response):
        # No Date: it is when the response is sent (RFC 9110 6.6.1), which the server adds.
        zipped = entry.gzipped is not None and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
        etag = entry.gzip_etag if zipped else entry.etag
        headers = [*entry.headers, ("ETag", etag)]
        if _not_modified(entry, etag, environ):
            start_response("304 Not Modified", headers)
            return [b""]
        body = entry.body
        if zipped:
            body = entry.gzipped
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        start_response(entry.status, headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _fill(self, key: str, stamp: int, environ, start_response):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None  # the app below never uses write()

        environ[FILLING] = True
        chunks = self.wsgi_app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status, headers = captured["status"], captured["headers"]
        marks = [value for name, value in headers if name == CACHEABLE_HEADER]
        headers = [(n, v) for n, v in headers if n != CACHEABLE_HEADER]
        storable = (
            status.startswith("200")
            and marks
            and environ["REQUEST_METHOD"] == "GET"
            and not any(name.lower() == "set-cookie" for name, _ in headers)
        )
        if not storable:
            start_response(status, headers)
            return [body]
        skip = ("content-length", "date", "etag", "vary")
        kept = [(n, v) for n, v in headers if n.lower() not in skip]
        # The app's ETag is a hash of this very body: no need to hash it again.
        etags = [v for n, v in headers if n.lower() == "etag"]
        vary = [v for n, v in headers if n.lower() == "vary"] + ["Accept-Encoding"]
        kept.append(("Vary", ", ".join(vary)))
        etag = etags[0] if etags else f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
        gzipped = gzip.compress(body, 6) if len(body) > 1024 else None
        entry = Entry(
            stamp=stamp,
            expires=float(marks[0]),
            status=status,
            headers=kept,
            body=body,
            gzipped=gzipped,
            etag=etag,
            gzip_etag=etag[:-1] + '-gzip"' if gzipped is not None else None,
        )
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.config["PAGE_CACHE_ENTRIES"]:
                self.entries.popitem(last=False)
        return self._serve(entry, environ, start_response)


_memo: dict[tuple[int, str], tuple[int, object]] = {}


def content_stamp() -> int:
    """Return the content stamp, which changes whenever public content does.

    Read once per request (a page asks for it a dozen times) and again after this request's
    own commits: a change another process makes meanwhile is seen by the next request. 0
    while a restore holds it: nothing is kept under 0 (memo_by_stamp).
    """
    stamp = g.get("content_stamp")
    if stamp is None:
        stamp = g.content_stamp = max(current_app.extensions["content_stamp"].read(), 0)
    return stamp


def memo_by_stamp(name: str, compute):
    """Return compute(), reusing this process's last result while the content is unchanged.

    The stamp is read before computing: a change that lands meanwhile leaves a newer stamp
    behind, so the value is recomputed next time instead of being kept stale.
    """
    key = (id(current_app._get_current_object()), name)
    stamp = content_stamp()
    found = _memo.get(key)
    if found is not None and found[0] == stamp and stamp:
        return found[1]
    value = compute()
    _memo[key] = (stamp, value)
    return value
