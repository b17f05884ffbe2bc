"""Fixtures: an app with its own temporary SQLite database for every test."""

import itertools
import shutil
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, select, text

from blog import accounts, create_app
from blog.extensions import db
from blog.models import Category, Post, Tag, User, utcnow
from blog.render import derive_excerpt, render_body, word_count
from blog.slugs import slugify
from tests.helpers import PASSWORD, Auth


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Build the schema once through the migrations, as make run does; tests copy the file."""
    path = tmp_path_factory.mktemp("schema") / "template.sqlite"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.engine.dispose()
    return path


def make_app(tmp_path, **config):
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'blog.sqlite'}",
        "MEDIA_FOLDER": str(tmp_path / "media"),
        "PAGE_CACHE_STAMP": str(tmp_path / "content.stamp"),
    }
    settings.update(config)
    return create_app(settings)


@pytest.fixture
def app(tmp_path, migrated_database):
    shutil.copyfile(migrated_database, tmp_path / "blog.sqlite")
    app = make_app(tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


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
            html = render_body(body, "markdown")
            post = Post(
                title=title,
                slug=f"{slugify(title)}-{n}",
                body_source=body,
                body_html=html,
                excerpt=derive_excerpt(html),
                word_count=word_count(html),
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
def editor(app):
    """The editor's account, with a password; returns its username."""
    with app.app_context():
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
