"""Fixtures for real-browser tests: live servers with demo content and one Chromium."""

import os
import shutil
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from blog import accounts
from blog.demo import create_demo_posts
from blog.extensions import db
from blog.models import Category, Post
from tests.helpers import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class LiveSite:
    """Where the live server listens, and a post and a category known to exist there."""

    url: str
    post_path: str
    category_path: str

    def __call__(self, path: str) -> str:
        return self.url + path

    def resolve(self, path: str) -> str:
        """Turn the names "post" and "category" into their paths; leave a path as it is."""
        return {"post": self.post_path, "category": self.category_path}.get(path, path)


class _Closed:
    """A response body that is closed as soon as the server lets go of it.

    When Chromium drops a connection mid-response (a font or picture of a page it has left),
    Werkzeug's development server can leave the body unclosed, and the file behind it then
    raises a ResourceWarning at garbage collection, in whichever test runs next.
    """

    def __init__(self, body):
        self.body = body

    def __iter__(self):
        return iter(self.body)

    def close(self):
        if hasattr(self.body, "close"):
            self.body.close()

    def __del__(self):
        self.close()


def _closing(app):
    def serve(environ, start_response):
        return _Closed(app(environ, start_response))

    return serve


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        # One line per request only buries the output of a failing test; errors still log.
        pass


def _make_app(pytestconfig, tmp_path):
    # Both conftest.py files are plain modules named "conftest", so tests/conftest.py can't be
    # imported from here; pytest registers each conftest under its path, so ask it instead.
    shared = pytestconfig.pluginmanager.get_plugin(
        str(Path(__file__).parent.parent / "conftest.py")
    )
    if shared is None:
        pytest.fail("pytest did not load tests/conftest.py, whose make_app the live server needs")
    return shared.make_app(tmp_path)


@pytest.fixture(scope="session")
def live_site(pytestconfig, tmp_path_factory, migrated_database):
    """Serve the blog, filled with 60 demo posts, on a free local port (tests only read)."""
    tmp_path = tmp_path_factory.mktemp("live")
    shutil.copyfile(migrated_database, tmp_path / "blog.sqlite")
    app = _make_app(pytestconfig, tmp_path)
    with app.app_context():
        create_demo_posts(60)
        db.session.commit()
        post_slug, category_slug = db.session.execute(
            select(Post.slug, Category.slug)
            .join(Post.category)
            .where(Post.status == "published")
            .order_by(Post.published_at.desc())
            .limit(1)
        ).one()
    with _serving(app) as url:
        yield LiveSite(
            url, post_path=f"/posts/{post_slug}", category_path=f"/category/{category_slug}"
        )


@dataclass(frozen=True)
class EditorSite:
    """Where the editor's live server listens, and the username that signs in there."""

    url: str
    username: str
    password: str = PASSWORD

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session")
def editor_site(pytestconfig, tmp_path_factory, migrated_database):
    """Serve a blog of its own, with a few posts and the editor's password set, for writing.

    Separate from live_site, whose readers' tests assume its content never changes.
    """
    tmp_path = tmp_path_factory.mktemp("editor-live")
    shutil.copyfile(migrated_database, tmp_path / "blog.sqlite")
    app = _make_app(pytestconfig, tmp_path)
    with app.app_context():
        user = accounts.ensure_editor_account()
        accounts.set_password(user, PASSWORD)
        create_demo_posts(5)
        db.session.commit()
        username = user.username
    with _serving(app) as url:
        yield EditorSite(url, username)


@pytest.fixture(scope="module")
def serve_site(pytestconfig, tmp_path_factory, migrated_database):
    """Return a function that serves a blog of its own, filled first by fill(app) inside an
    app context, and returns its base URL; the servers stop after the module's tests."""
    with ExitStack() as servers:

        def serve(fill) -> str:
            tmp_path = tmp_path_factory.mktemp("own-live")
            shutil.copyfile(migrated_database, tmp_path / "blog.sqlite")
            app = _make_app(pytestconfig, tmp_path)
            with app.app_context():
                fill(app)
            return servers.enter_context(_serving(app))

        yield serve


@contextmanager
def _serving(app):
    """Serve app on a free local port in a thread; yield its base URL."""
    server = make_server(
        "127.0.0.1", 0, _closing(app), threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """Launch the system Chromium once; skip without it, except in CI where that is an error."""
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} not found: install Debian's chromium package to run browser tests"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{reason} (CI is set, and browser tests must never skip in CI)")
        pytest.skip(reason)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """Return a function that opens a page in a fresh context: viewport width, color scheme."""
    contexts = []

    def open_(width=1280, height=800, color_scheme="light"):
        context = browser.new_context(
            viewport={"width": width, "height": height}, color_scheme=color_scheme
        )
        context.set_default_timeout(5000)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    """A desktop-sized page in the light color scheme."""
    return open_page()
