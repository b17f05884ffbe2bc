"""Fixtures: an app with its own temporary database for every test.

SQLite by default: the migrated schema is built once into a file and each test copies it.
With BLOG_TEST_DATABASE_URL=postgresql+psycopg://user:pw@host:port/db the same suite runs on
PostgreSQL: the schema is built once into a template database and each site gets its own
database cloned from it (CREATE DATABASE ... TEMPLATE), dropped after the test.
"""

import functools
import hashlib
import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, make_url, select, text
from sqlalchemy.pool import NullPool
from werkzeug.security import generate_password_hash

from blog import accounts, create_app
from blog.extensions import db
from blog.models import Category, Post, Tag, User, utcnow
from blog.render import body_fields
from blog.slugs import slugify
from tests.helpers import PASSWORD, Auth

TEST_DATABASE_URL = os.environ.get("BLOG_TEST_DATABASE_URL")


class PostgresDatabases:
    """Creates and drops the PostgreSQL databases of one test run, next to the one named."""

    def __init__(self, url: str):
        self.url = make_url(url)
        # Tests import this module as tests.conftest too: both copies must name the same run.
        run = os.environ.setdefault("BLOG_TEST_RUN", uuid.uuid4().hex[:8])
        # Under pytest-xdist every worker builds its own template and drops only its own
        # databases at its end: the worker's id (gw0, gw1 ...) is in every name.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.template = f"blog_template_{run}_{worker}"
        self.prefix = f"blog_test_{run}_{worker}_"

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def execute(self, sql: str, *params) -> list:
        import psycopg  # only needed for a PostgreSQL run

        # CREATE/DROP DATABASE cannot run inside a transaction: autocommit.
        dsn = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            cursor = conn.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []

    def build_template(self) -> None:
        self.execute(f'CREATE DATABASE "{self.template}"')
        app = create_app(
            {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": self.url_of(self.template)}
        )
        with app.app_context():
            upgrade()
            # A template with open connections cannot be copied.
            db.session.remove()
            db.engine.dispose()

    def name_of(self, folder: Path) -> str:
        # Named from the folder, so both copies of this module give one folder one database.
        return self.prefix + hashlib.sha1(str(Path(folder)).encode()).hexdigest()[:16]

    def for_folder(self, folder: Path) -> str:
        """Return the URL of the folder's database (as if it held blog.sqlite), made once."""
        name = self.name_of(folder)
        if not self.execute("SELECT 1 FROM pg_database WHERE datname = %s", name):
            self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self.url_of(name)

    def empty_for_folder(self, folder: Path) -> str:
        """Return the URL of a new database for the folder with no tables at all."""
        name = self.name_of(folder)
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url_of(name)

    def drop(self, name: str) -> None:
        # FORCE (PostgreSQL 13+) ends the connections an app's pool still holds; a server
        # process of another role (autovacuum) can still be in the way for a moment.
        import psycopg

        for attempt in range(5):
            try:
                self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except psycopg.errors.InsufficientPrivilege:
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def drop_folder(self, folder: Path) -> None:
        self.drop(self.name_of(folder))

    def drop_all(self) -> None:
        """Drop every database of this run, whichever copy of this module made it."""
        rows = self.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", self.prefix
        )
        for (name,) in rows:
            self.drop(name)
        self.drop(self.template)


postgres = PostgresDatabases(TEST_DATABASE_URL) if TEST_DATABASE_URL else None


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, skip the few tests about SQLite itself (marked sqlite_only)."""
    if postgres is None:
        return
    for item in items:
        if marker := item.get_closest_marker("sqlite_only"):
            reason = marker.args[0] if marker.args else "tests SQLite itself"
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Build the schema once through the migrations, as make run does; tests copy the file.

    On PostgreSQL the schema goes into a template database instead and the returned file is
    an empty stand-in: tests that copy it into a folder get that folder's cloned database
    from make_app.
    """
    if postgres is not None:
        postgres.build_template()
        path = tmp_path_factory.mktemp("schema") / "template.sqlite"
        path.touch()
        yield path
        postgres.drop_all()
        return
    path = tmp_path_factory.mktemp("schema") / "template.sqlite"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.engine.dispose()
    yield path


def make_app(tmp_path, **config):
    if postgres is not None and "DATABASE_URL" not in config:
        database_url = postgres.for_folder(tmp_path)
    else:
        database_url = f"sqlite:///{tmp_path / 'blog.sqlite'}"
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "MEDIA_FOLDER": str(tmp_path / "media"),
        "PAGE_CACHE_STAMP": str(tmp_path / "content.stamp"),
    }
    if postgres is not None and "DATABASE_URL" not in config:
        # No pool: a connection closes when its app context ends, so a second app that a
        # test never disposes of leaves none open when its database is dropped.
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"poolclass": NullPool}
    settings.update(config)
    return create_app(settings)


@pytest.fixture
def app_config() -> dict:
    """Config the app fixture adds to the tests' defaults; a test module may override it."""
    return {}


@pytest.fixture
def app(tmp_path, migrated_database, app_config):
    shutil.copyfile(migrated_database, tmp_path / "blog.sqlite")
    app = make_app(tmp_path, **app_config)
    yield app
    with app.app_context():
        db.engine.dispose()
    if postgres is not None:
        postgres.drop_folder(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Content:
    """Builds posts, categories, tags and authors straight into the test database."""

    _counter = itertools.count(1)

    def __init__(self, app):
        self.app = app

    def _get_or_create(self, model, **fields):
        row = db.session.scalar(select(model).filter_by(slug=fields["slug"]))
        if row is None:
            row = model(**fields)
            db.session.add(row)
        return row

    def author(self, username="editor", display_name=None, bio=""):
        with self.app.app_context():
            user = db.session.scalar(select(User).filter_by(username=username))
            if user is None:
                user = User(
                    username=username, display_name=display_name or username.title(), bio=bio
                )
                db.session.add(user)
                db.session.commit()
            return user.id

    def post(
        self,
        title=None,
        *,
        category="World News",
        tags=(),
        author="editor",
        status="published",
        published_at=None,
        body="Some **news** text.",
        ago=None,
    ):
        """Add a post and return its slug; ago (a timedelta) sets its age."""
        n = next(self._counter)
        title = title or f"Post number {n}"
        author_id = self.author(author)
        with self.app.app_context():
            if published_at is None:
                published_at = utcnow() - (ago if ago is not None else timedelta(minutes=n))
            post = Post(
                title=title,
                slug=f"{slugify(title)}-{n}",
                body_source=body,
                **body_fields(body, "markdown").as_dict(),
                status=status,
                published_at=published_at,
                author_id=author_id,
                category=self._get_or_create(Category, name=category, slug=slugify(category)),
                tags=[self._get_or_create(Tag, name=t, slug=slugify(t)) for t in tags],
            )
            db.session.add(post)
            db.session.commit()
            return post.slug


@pytest.fixture
def content(app):
    return Content(app)


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run while the returned callable's request executes."""

    def run(fn):
        statements = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            result = fn()
        finally:
            event.remove(engine, "before_cursor_execute", before)
        return result, statements

    return run


@pytest.fixture
def category_id(app):
    """A category for posts written through the editor's form: World News."""
    with app.app_context():
        category = Category(name="World News", slug="world-news")
        db.session.add(category)
        db.session.commit()
        return category.id


# scrypt at Werkzeug's default work factor takes a fifth of a second on purpose, and every
# sign-in checks it again: the editor of the fixture gets scrypt's cheapest one instead. Only
# this fixture: set_password elsewhere hashes as the site does (test_auth checks it).
CHEAP_SCRYPT = "scrypt:1024:8:1"


@pytest.fixture
def editor(app, monkeypatch):
    """The editor's account, with a password; returns its username."""
    with app.app_context(), monkeypatch.context() as patch:
        cheap = functools.partial(generate_password_hash, method=CHEAP_SCRYPT)
        patch.setattr(accounts, "generate_password_hash", cheap)
        user = accounts.ensure_editor_account()
        accounts.set_password(user, PASSWORD)
        db.session.commit()
        return user.username


@pytest.fixture
def auth(client, editor):
    return Auth(client)


@pytest.fixture
def signed_in(client, auth):
    """A test client with the editor signed in."""
    response = auth.sign_in()
    assert response.status_code == 302, response.text
    return client


@pytest.fixture(scope="session")
def s3_endpoint():
    """The URL of a real S3-compatible server: BLOG_TEST_S3_ENDPOINT_URL, else moto's, started here.

    moto_server runs as its own process on a free port, so that make test needs nothing
    started beforehand; it is stopped when the test run (or xdist worker) ends.
    """
    if url := os.environ.get("BLOG_TEST_S3_ENDPOINT_URL"):
        yield url
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    # Its log (a line per request) is not read: a pipe left full would stop the server.
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start: {' '.join(command)}") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    """A boto3 client of that server, and the AWS_* variables the sites (and their commands) read.

    Nothing from the account running the tests: no profile, no session, no config file.
    """
    import boto3  # a test dependency; only the S3 tests need it

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    yield client
    client.close()
